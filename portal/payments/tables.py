"""Payments and the Stripe events already applied to them."""

from piccolo.columns import BigInt, ForeignKey, Integer, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table

from portal.accounts.tables import Organisation
from portal.programs.tables import Program


class Payment(Table, tablename="payment"):
    """One movement of money: a transfer to a grantee's connected account (or its manual ACH/cheque
    equivalent), or a funder's pledge paid by PaymentIntent. Amounts are integer cents.

    Status moves only along `portal.payments.rules.TRANSITIONS`:
    scheduled -> released (Stripe asked, key committed) -> paid -> reversed; failed from scheduled/released.
    """

    id: Serial  # the primary key Piccolo adds, declared for the type checker

    kind = Varchar(length=16)  # transfer | payment_intent
    rail = Varchar(length=8, default="stripe")  # stripe | ach | cheque
    status = Varchar(length=16, default="scheduled")  # scheduled | released | paid | failed | reversed
    program = ForeignKey(Program, on_delete=OnDelete.restrict, index=True)
    funder = ForeignKey(Organisation, on_delete=OnDelete.restrict, null=True, default=None, index=True)
    award_id = Integer(null=True, default=None, index=True)  # issue 5's award; no foreign key yet
    tranche_id = Integer(null=True, default=None)  # issue 5's tranche; it will point at this row
    amount_cents = BigInt()
    amount_reversed_cents = BigInt(default=0)
    currency = Varchar(length=3, default="usd")
    destination = Varchar(length=64, default="")  # the connected account (acct_...) of a transfer
    stripe_id = Varchar(length=64, null=True, default=None)  # tr_... or pi_...; unique (separate migration)
    idempotency_key = Varchar(length=80, null=True, default=None)  # unique; set when released
    attempt = Integer(default=0)  # the key's version: a failed transfer is retried under a new key
    stripe_created = BigInt(null=True, default=None)  # the Stripe object's `created` (epoch seconds)
    reference = Varchar(length=200, default="")  # ACH trace or cheque number of a manual payment
    failure_message = Text(default="")
    # A released Stripe transfer whose answer is outstanding (payments.services: the retry worker):
    retry_at = Timestamptz(null=True, default=None, index=True)  # next send allowed (the claim's end, or backoff)
    retry_since = Timestamptz(null=True, default=None)  # start of the automatic retry period (release, or by hand)
    send_attempts = Integer(null=True, default=None)  # sends to Stripe since then
    send_error = Text(null=True, default=None)  # why the last send got no answer from Stripe
    attention_at = Timestamptz(null=True, default=None)  # retry period over: staff must look (never `failed`)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    paid_at = Timestamptz(null=True, default=None)


class StripeEvent(Table, tablename="stripe_event"):
    """Every Stripe event the webhook accepted, written in the transaction of its effect: an event id seen
    again is a replay and changes nothing."""

    id: Serial  # the primary key Piccolo adds, declared for the type checker

    event_id = Varchar(length=255)  # evt_...; unique (separate migration)
    type = Varchar(length=100)
    object_id = Varchar(length=255, default="")
    outcome = Varchar(length=32, default="")  # applied | stale | unmatched | ignored
    received_at = Timestamptz()
    processed_at = Timestamptz()
