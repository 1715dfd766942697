"""Reads for a funder's pledge page: the pledge's PaymentIntent that the browser may still complete, and its client
secret (asked of Stripe again, never stored). Nothing here writes.

A pledge payment is started by `services.record_pledge_payment` (one PaymentIntent, key `pledge-<id>-v1`). The
funder's browser confirms it with Stripe.js and the intent's client secret. If the page is reloaded, or the card
was declined (Stripe lets the same intent be confirmed again with another card), the page finds that intent
here and offers to finish it rather than start a second one.
"""

from __future__ import annotations

from dataclasses import dataclass

from portal.payments.gateway import StripeGateway, StripeRefused, StripeUnavailable
from portal.payments.records import PaymentRecord
from portal.payments.tables import Payment

CONFIRMABLE = frozenset({"requires_payment_method", "requires_confirmation", "requires_action"})
"""PaymentIntent statuses in which Stripe.js can still confirm it (after a decline it is requires_payment_method)."""


@dataclass(frozen=True)
class Checkout:
    """A pledge payment the page shows: either one to confirm (`client_secret` set) or one Stripe has and the
    webhook has not yet confirmed (`waiting`)."""

    payment: PaymentRecord
    stripe_status: str
    client_secret: str = ""

    @property
    def waiting(self) -> bool:
        return not self.client_secret and self.payment.status == "released"


async def latest_pledge_payment(program_id: int, funder_id: int) -> PaymentRecord | None:
    """The pledge's most recent PaymentIntent payment, whatever its status."""
    row = await Payment.select().where(
        (Payment.kind == "payment_intent") & (Payment.program == program_id) & (Payment.funder == funder_id)
    ).order_by(Payment.id, ascending=False).first()
    return PaymentRecord.of(row) if row is not None else None


async def open_checkout(program_id: int, funder_id: int, outstanding_cents: int,
                        gateway: StripeGateway) -> Checkout | None:
    """The pledge's PaymentIntent the browser may still complete, with its client secret from Stripe; or the
    one under way that Stripe holds as processing or succeeded (waiting for its webhook); else None.

    Only the latest payment counts: released (started, not confirmed), or failed by a decline while its intent
    is still confirmable for the amount now outstanding (a retry on the same intent, as Stripe allows)."""
    row = await latest_pledge_payment(program_id, funder_id)
    if row is None or row.status not in ("released", "failed") or not row.stripe_id:
        return None
    if row.status == "failed" and row.amount_cents != outstanding_cents:
        return None
    try:
        intent = await gateway.retrieve_payment_intent(row.stripe_id)
    except (StripeUnavailable, StripeRefused):
        return Checkout(row, "unknown") if row.status == "released" else None
    if intent.status in CONFIRMABLE:
        return Checkout(row, intent.status, client_secret=intent.client_secret)
    if row.status == "released":
        return Checkout(row, intent.status)
    return None
