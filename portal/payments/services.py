"""Writes of the payments domain: schedule, disburse through Stripe, record pledges and manual payments, and
apply Stripe's webhook events. Each function's docstring lists what it writes.

Crash safety: a payment is marked `released` with its idempotency key, and that is committed, BEFORE Stripe is
called; the Stripe object's id is recorded in a second transaction. If the process dies between the two, the
payment stays `released` with its key, and `disburse` called again repeats the request with the same key: Stripe
answers with the first transfer, not a second one. The transfer's webhook also carries the payment id in its
metadata, so it can complete the record on its own.

Statuses change only along `portal.payments.rules.TRANSITIONS`; Stripe's webhooks move payments to paid,
reversed or failed (the API answers only record the object's id), so the same code decides the state however the
news arrives. Every status change calls `portal.payments.hooks.status_moved` in its own transaction: that is how a
tranche (portal/awards/tranches.py) follows its payment without this package importing awards.
"""

from __future__ import annotations

import logging
from typing import Any

from portal import db
from portal.core import audit, clock
from portal.core.actor import Actor
from portal.core.errors import Conflict, Invalid, NotFound
from portal.db import Duplicate, write_transaction
from portal.payments import hooks, rules
from portal.payments.gateway import StripeGateway, StripeRefused
from portal.payments.tables import Payment, StripeEvent

log = logging.getLogger(__name__)

SYSTEM = Actor(user=None, ip="")
MANUAL_RAILS = ("ach", "cheque")
MAX_REFERENCE = 200
MAX_ID = 2**31 - 1  # ids are SERIAL (int4) on PostgreSQL


async def _locked(payment_id: int) -> dict[str, Any]:
    """The payment row, locked until the transaction ends (PostgreSQL; SQLite's write transaction is already
    exclusive). NotFound if there is none."""
    suffix = " FOR UPDATE" if db.current_engine().engine_type == "postgres" else ""
    rows = await Payment.raw(f"SELECT * FROM payment WHERE id = {{}}{suffix}", payment_id)
    if not rows:
        raise NotFound("No such payment")
    return rows[0]


def idempotency_key(row: dict[str, Any], attempt: int) -> str:
    """Derived from the tranche (or, before tranches exist, the payment) and the attempt: the same disbursement
    always sends the same key; a retry after a definite failure sends the next version."""
    if row["kind"] == "payment_intent":
        return f"pledge-{row['id']}-v{attempt}"
    if row["tranche_id"] is not None:
        return f"tranche-{row['tranche_id']}-v{attempt}"
    return f"payment-{row['id']}-v{attempt}"


def _metadata(row: dict[str, Any]) -> dict[str, str]:
    meta = {"payment": str(row["id"]), "program": str(row["program"])}
    for key, column in (("tranche", "tranche_id"), ("award", "award_id"), ("funder", "funder")):
        if row[column] is not None:
            meta[key] = str(row[column])
    return meta


async def get_payment(payment_id: int) -> dict[str, Any]:
    row = await Payment.select().where(Payment.id == payment_id).first()
    if row is None:
        raise NotFound("No such payment")
    return row


async def schedule_transfer(*, program_id: int, amount_cents: int, destination: str, award_id: int | None = None,
                            tranche_id: int | None = None, actor: Actor = SYSTEM) -> int:
    """A transfer to a grantee's connected account, planned and not yet sent.

    Writes: a `payment` row (transfer, scheduled); an audit row `payment.scheduled`.
    """
    if amount_cents <= 0:
        raise Invalid({"amount": "Enter an amount greater than zero."})
    now = clock.now()
    async with write_transaction():
        rows = await Payment.insert(Payment(
            kind="transfer", rail="stripe", status="scheduled", program=program_id, amount_cents=amount_cents,
            destination=destination, award_id=award_id, tranche_id=tranche_id, created_at=now, updated_at=now,
        )).returning(Payment.id)
        payment_id = rows[0]["id"]
        await audit.record(actor, "payment.scheduled", "payment", payment_id, amount_cents=amount_cents)
    return payment_id


async def disburse(payment_id: int, gateway: StripeGateway, actor: Actor = SYSTEM) -> dict[str, Any]:
    """Send a scheduled transfer through Stripe, safely against crashes and double clicks.

    Writes, in a first transaction committed before Stripe is called: status `released`, the idempotency key
    (a new version after a failure), an audit row `payment.released`, the status hook's writes. Then calls
    Stripe's transfers.create with that key and metadata (payment, tranche, award, program). Then, in a second
    transaction: the transfer's id and `created`; or, if Stripe refused it, status `failed` with Stripe's
    message, an audit row `payment.failed` and the status hook's writes. If Stripe could not be reached,
    `StripeUnavailable` is raised and the payment stays released: call again, the same key is sent. A payment
    already paid or reversed is returned unchanged.
    """
    async with write_transaction():
        row = await _locked(payment_id)
        if row["kind"] != "transfer" or row["rail"] != "stripe":
            raise Conflict("This payment is not a Stripe transfer")
        if row["status"] in ("paid", "reversed") or (row["status"] == "released" and row["stripe_id"]):
            return await get_payment(payment_id)  # done, or sent and answered (its webhook will say paid)
        if not row["destination"]:
            raise Conflict("The grantee has no connected Stripe account yet")
        if row["status"] in ("scheduled", "failed"):
            attempt = row["attempt"] + 1
            key = idempotency_key(row, attempt)
            await Payment.update({Payment.status: "released", Payment.attempt: attempt,
                                  Payment.idempotency_key: key, Payment.failure_message: "",
                                  Payment.updated_at: clock.now()}).where(Payment.id == payment_id)
            await audit.record(actor, "payment.released", "payment", payment_id, idempotency_key=key)
            await hooks.status_moved(hooks.StatusMoved.of(row, "released"))
            row |= {"status": "released", "attempt": attempt, "idempotency_key": key}
        key = row["idempotency_key"]
    # Committed: from here a crash leaves a released payment whose key a retry will reuse.
    try:
        transfer = await gateway.create_transfer(amount_cents=row["amount_cents"], currency=row["currency"],
                                                 destination=row["destination"], idempotency_key=key,
                                                 metadata=_metadata(row))
    except StripeRefused as exc:
        async with write_transaction():
            current = await _locked(payment_id)
            if current["idempotency_key"] == key and rules.can_move(current["status"], "failed"):
                await Payment.update({Payment.status: "failed", Payment.failure_message: exc.message[:2000],
                                      Payment.updated_at: clock.now()}).where(Payment.id == payment_id)
                await audit.record(actor, "payment.failed", "payment", payment_id, code=exc.code,
                                   message=exc.message[:500])
                await hooks.status_moved(hooks.StatusMoved.of(current, "failed"))
        return await get_payment(payment_id)
    async with write_transaction():
        current = await _locked(payment_id)
        if current["stripe_id"] is None:  # the webhook may have recorded it first
            await Payment.update({Payment.stripe_id: transfer.id, Payment.stripe_created: transfer.created,
                                  Payment.updated_at: clock.now()}).where(Payment.id == payment_id)
    return await get_payment(payment_id)


async def record_pledge_payment(*, program_id: int, funder_id: int, amount_cents: int, gateway: StripeGateway,
                                payment_method: str | None = None, actor: Actor = SYSTEM) -> dict[str, Any]:
    """A funder's pledge paid into a program's fund by a Stripe PaymentIntent.

    Writes: a `payment` row (payment_intent, released, key `pledge-<id>-v1`) and an audit row
    `payment.pledge_started`, committed before Stripe is called; then the PaymentIntent's id (or, if Stripe
    refused it, status `failed`, an audit row and the status hook's writes). The webhook
    `payment_intent.succeeded` marks it paid (or `payment_failed`, failed). Returns the payment row with
    `client_secret` added, for the browser to confirm the payment when no `payment_method` was given.
    Conflict if a payment of this pledge is already under way (released): never a second charge, even for two
    clicks at once (the pledge's row is locked on PostgreSQL; SQLite's write transaction is exclusive).
    """
    if amount_cents <= 0:
        raise Invalid({"amount": "Enter an amount greater than zero."})
    now = clock.now()
    async with write_transaction():
        if db.current_engine().engine_type == "postgres":
            await Payment.raw("SELECT id FROM program_funder WHERE program = {} AND funder = {} FOR UPDATE",
                              program_id, funder_id)
        if await Payment.exists().where((Payment.kind == "payment_intent") & (Payment.program == program_id)
                                        & (Payment.funder == funder_id) & (Payment.status == "released")):
            raise Conflict("A payment of this pledge is already under way.")
        rows = await Payment.insert(Payment(
            kind="payment_intent", rail="stripe", status="released", program=program_id, funder=funder_id,
            amount_cents=amount_cents, attempt=1, created_at=now, updated_at=now,
        )).returning(Payment.id)
        payment_id = rows[0]["id"]
        row = await _locked(payment_id)
        key = idempotency_key(row, 1)
        await Payment.update({Payment.idempotency_key: key}).where(Payment.id == payment_id)
        await audit.record(actor, "payment.pledge_started", "payment", payment_id, amount_cents=amount_cents,
                           funder=funder_id)
    try:
        intent = await gateway.create_payment_intent(amount_cents=amount_cents, idempotency_key=key,
                                                     metadata=_metadata(row), payment_method=payment_method)
    except StripeRefused as exc:
        async with write_transaction():
            await Payment.update({Payment.status: "failed", Payment.failure_message: exc.message[:2000],
                                  Payment.updated_at: clock.now()}).where(Payment.id == payment_id)
            await audit.record(actor, "payment.failed", "payment", payment_id, code=exc.code)
            await hooks.status_moved(hooks.StatusMoved.of(row, "failed"))
        return await get_payment(payment_id) | {"client_secret": ""}
    async with write_transaction():
        current = await _locked(payment_id)
        if current["stripe_id"] is None:
            await Payment.update({Payment.stripe_id: intent.id, Payment.stripe_created: intent.created,
                                  Payment.updated_at: clock.now()}).where(Payment.id == payment_id)
    return await get_payment(payment_id) | {"client_secret": intent.client_secret}


async def record_manual_payment(payment_id: int, rail: str, reference: str, actor: Actor = SYSTEM) -> None:
    """Staff paid a scheduled (or failed) transfer outside Stripe, by ACH or cheque.

    Writes, in one transaction: status `paid` with the rail, the reference (ACH trace or cheque number) and the
    time; an audit row `payment.paid_manually`; the status hook's writes (its tranche paid). Refused (Conflict)
    while a Stripe transfer is in flight or done.
    """
    reference = (reference or "").strip()
    errors = {}
    if rail not in MANUAL_RAILS:
        errors["rail"] = "Choose ACH or cheque."
    if not reference:
        errors["reference"] = "Enter the ACH trace number or the cheque number."
    elif len(reference) > MAX_REFERENCE:
        errors["reference"] = f"Use at most {MAX_REFERENCE} characters."
    if errors:
        raise Invalid(errors)
    async with write_transaction():
        row = await _locked(payment_id)
        if row["kind"] != "transfer" or row["status"] not in ("scheduled", "failed"):
            raise Conflict("Only a scheduled or failed transfer can be paid manually")
        now = clock.now()
        await Payment.update({Payment.status: "paid", Payment.rail: rail, Payment.reference: reference,
                              Payment.paid_at: now, Payment.updated_at: now}).where(Payment.id == payment_id)
        await audit.record(actor, "payment.paid_manually", "payment", payment_id, rail=rail, reference=reference)
        await hooks.status_moved(hooks.StatusMoved.of(row, "paid"))


async def reconcile(payment_id: int, gateway: StripeGateway) -> dict[str, Any]:
    """Bring a Stripe payment up to date from Stripe itself, for when webhooks were lost (e.g. the endpoint was
    down longer than Stripe retries). A released transfer without a Stripe id is disbursed again (same key, so
    no second transfer); otherwise the object is retrieved and applied exactly as its webhook would be.

    Writes: what `disburse` or the matching webhook writes (status, Stripe id, amount reversed, audit rows).
    """
    row = await get_payment(payment_id)
    if row["rail"] != "stripe" or row["status"] == "scheduled":
        return row
    if row["stripe_id"] is None:
        # Only a crashed send is repeated (same key); a failed one waits for staff to disburse it again.
        return await disburse(payment_id, gateway) if (row["kind"], row["status"]) == ("transfer", "released") else row
    if row["kind"] == "transfer":
        transfer = await gateway.retrieve_transfer(row["stripe_id"])
        obj = {"id": transfer.id, "amount": transfer.amount, "amount_reversed": transfer.amount_reversed,
               "reversed": transfer.reversed, "destination": transfer.destination, "created": transfer.created,
               "metadata": transfer.metadata}
        async with write_transaction():
            await _apply_transfer(obj, "reconcile")
    else:
        intent = await gateway.retrieve_payment_intent(row["stripe_id"])
        obj = {"id": intent.id, "amount": intent.amount, "status": intent.status, "created": intent.created,
               "metadata": intent.metadata}
        async with write_transaction():
            await _apply_payment_intent(obj, "reconcile")
    return await get_payment(payment_id)


# -- webhooks ---------------------------------------------------------------------------------------------------

async def apply_event(event: dict[str, Any]) -> str:
    """Apply one verified Stripe event exactly once.

    Writes, in one transaction: a `stripe_event` row (the event id is unique) and the event's effect on its
    payment (status, Stripe id, amount reversed, paid time, failure message; an audit row and the status hook's
    writes, e.g. the tranche's status, per status change). If anything in it raises, none of it is written.
    An event id already recorded changes nothing ("replay"). Returns the outcome: applied, stale (nothing
    new: an older or repeated state), unmatched (no payment of ours), ignored (a type we do not act on), or
    replay.
    """
    event_id, event_type = str(event["id"]), str(event["type"])
    obj = event.get("data", {}).get("object", {}) or {}
    try:
        async with write_transaction():
            seen = await StripeEvent.exists().where(StripeEvent.event_id == event_id)
            if seen:
                return "replay"
            if event_type.startswith("transfer."):
                outcome = await _apply_transfer(obj, event_type)
            elif event_type.startswith("payment_intent."):
                outcome = await _apply_payment_intent(obj, event_type)
            else:
                outcome = "ignored"
            now = clock.now()
            await StripeEvent.insert(StripeEvent(
                event_id=event_id[:255], type=event_type[:100], object_id=str(obj.get("id", ""))[:255],
                outcome=outcome, received_at=now, processed_at=now))
    except Duplicate:
        return "replay"  # the same event delivered twice at once: the other delivery applied it
    return outcome


async def _payment_for(obj: dict[str, Any], kind: str) -> dict[str, Any] | None:
    """Our payment for a Stripe object: by its id, else by the payment id in its metadata (the id is not
    recorded yet if the portal crashed after Stripe answered)."""
    stripe_id = str(obj.get("id", ""))
    rows = await Payment.select(Payment.id).where((Payment.stripe_id == stripe_id) & (Payment.kind == kind))
    if not rows:
        raw = str((obj.get("metadata") or {}).get("payment", ""))
        if not raw.isdigit() or int(raw) > MAX_ID:
            return None
        rows = await Payment.select(Payment.id).where((Payment.id == int(raw)) & (Payment.kind == kind)
                                                      & Payment.stripe_id.is_null())
        if not rows:
            return None
    return await _locked(rows[0]["id"])


async def _move(row: dict[str, Any], target: str | None, changes: dict[Any, Any], detail: dict[str, Any]) -> str:
    """Apply `changes` and, if it is a step forward, the status `target` (with an audit row and the status
    hook); 'applied' if anything changed."""
    now = clock.now()
    moved = target is not None and target != row["status"] and rules.can_move(row["status"], target)
    if moved:
        changes[Payment.status] = target
        if target == "paid":
            changes[Payment.paid_at] = now
    if not changes:
        return "stale"
    changes[Payment.updated_at] = now
    await Payment.update(changes).where(Payment.id == row["id"])
    if moved and target is not None:
        await audit.record(SYSTEM, f"payment.{target}", "payment", row["id"], **detail)
        await hooks.status_moved(hooks.StatusMoved.of(row, target))
    return "applied"


async def _apply_transfer(obj: dict[str, Any], event_type: str) -> str:
    row = await _payment_for(obj, "transfer")
    if row is None:
        return "unmatched"
    if int(obj.get("amount") or 0) != row["amount_cents"] or obj.get("destination") not in (row["destination"], None):
        log.warning("transfer %s does not match payment %s", obj.get("id"), row["id"])
        return "unmatched"
    changes: dict[Any, Any] = {}
    if row["stripe_id"] is None:
        changes[Payment.stripe_id] = str(obj["id"])[:64]
        changes[Payment.stripe_created] = int(obj.get("created") or 0)
    reversed_cents = int(obj.get("amount_reversed") or 0)
    if reversed_cents > row["amount_reversed_cents"]:  # only ever grows: an older snapshot cannot shrink it
        changes[Payment.amount_reversed_cents] = reversed_cents
    return await _move(row, rules.transfer_status(obj), changes, {"stripe_id": obj.get("id"), "event": event_type})


async def _apply_payment_intent(obj: dict[str, Any], event_type: str) -> str:
    row = await _payment_for(obj, "payment_intent")
    if row is None:
        return "unmatched"
    if int(obj.get("amount") or 0) != row["amount_cents"]:
        log.warning("payment intent %s does not match payment %s", obj.get("id"), row["id"])
        return "unmatched"
    changes: dict[Any, Any] = {}
    if row["stripe_id"] is None:
        changes[Payment.stripe_id] = str(obj["id"])[:64]
        changes[Payment.stripe_created] = int(obj.get("created") or 0)
    target = rules.payment_intent_status(obj, event_type)
    if target == "failed" and rules.can_move(row["status"], "failed"):
        error = obj.get("last_payment_error") or {}
        changes[Payment.failure_message] = str(error.get("message", "") if isinstance(error, dict) else "")[:2000]
    return await _move(row, target, changes, {"stripe_id": obj.get("id"), "event": event_type})
