"""Writes of the payments domain: schedule, disburse through Stripe, record pledges and manual payments, and
apply Stripe's webhook events. Each function's docstring lists what it writes.

Crash safety: a payment is marked `released` with its idempotency key, and that is committed, BEFORE Stripe is
called; the Stripe object's id is recorded in a second transaction. If the process dies between the two, the
payment stays `released` with its key, and `disburse` called again repeats the request with the same key: Stripe
answers with the first transfer, not a second one. The transfer's webhook also carries the payment id in its
metadata, so it can complete the record on its own.

Stripe unreachable, or no answer: `disburse` keeps the payment released with the error (`send_error`) and the
time of the next send (`retry_at`). The payment retry worker (`run_payment_retry_worker`, started in the app's
lifespan) sends every due one again with the SAME key, with exponential backoff and jitter by time
(`portal.core.backoff.retry_delay`, STRIPE settings `retry_*`), for `retry_for_hours` from the release; then the
payment gets `attention_at` ("needs attention", shown on the award page and the ledger), never `failed`: Stripe
may have made the transfer, so only Stripe's answer to the same key, the transfer's webhook, or staff who look
(`retry_transfer`, which first asks Stripe for a transfer of this payment) decide. Each send is claimed first
(`retry_at` moved past the longest a send can take, `send_lease`) in a locked transaction (PostgreSQL:
`FOR UPDATE SKIP LOCKED`; SQLite: the IMMEDIATE write transaction), so several app processes never send one
payment at the same time; a process that dies mid-send leaves the claim to run out, and the payment is sent
again (same key) after it.

Webhooks in flight (`apply_event`): the event's `stripe_event` row and its whole effect (payment, audit row,
tranche through the status hook) are written in ONE transaction, and the webhook answers 200 only after it
committed. A crash before the commit leaves nothing (Stripe, not answered, delivers the event again and it is
applied then); a crash after it leaves the event applied and recorded (the redelivery is a "replay" and changes
nothing); two deliveries at once are kept to one by the unique event id (the second rolls back whole). Proved by
tests/awards/tranches/test_status.py (a failure inside the transaction, after the payment and its tranche
moved: nothing kept, the resend applied once) and tests/payments/test_webhooks.py (replays, duplicates at once).

Statuses change only along `portal.payments.rules.TRANSITIONS`; Stripe's webhooks move payments to paid,
reversed or failed (the API answers only record the object's id), so the same code decides the state however the
news arrives. Every status change calls `portal.payments.hooks.status_moved` in its own transaction: that is how a
tranche (portal/awards/tranches/services.py) follows its payment without this package importing awards.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any

from msgspec.structs import replace
from piccolo.columns import Column

from portal import db
from portal.core import audit, clock
from portal.core.actor import Actor
from portal.core.backoff import retry_delay
from portal.core.errors import Conflict, Invalid, NotFound
from portal.db import Duplicate, write_transaction
from portal.payments import hooks, rules
from portal.payments.gateway import NETWORK_RETRIES, StripeGateway, StripeRefused, StripeUnavailable, Transfer
from portal.payments.records import PaymentRecord
from portal.payments.tables import Payment, StripeEvent
from portal.settings import StripeSettings

log = logging.getLogger(__name__)

SYSTEM = Actor(user=None, ip="")
MANUAL_RAILS = ("ach", "cheque")
MAX_REFERENCE = 200
MAX_ID = 2**31 - 1  # ids are SERIAL (int4) on PostgreSQL


async def _locked(payment_id: int) -> PaymentRecord:
    """The payment, locked until the transaction ends (PostgreSQL; SQLite's write transaction is already
    exclusive). NotFound if there is none."""
    suffix = " FOR UPDATE" if db.current_engine().engine_type == "postgres" else ""
    rows = await Payment.raw(f"SELECT * FROM payment WHERE id = {{}}{suffix}", payment_id)
    if not rows:
        raise NotFound("No such payment")
    return PaymentRecord.of(rows[0])


def idempotency_key(row: PaymentRecord, attempt: int) -> str:
    """Derived from the tranche (or, before tranches exist, the payment) and the attempt: the same disbursement
    always sends the same key; a retry after a definite failure sends the next version."""
    if row.kind == "payment_intent":
        return f"pledge-{row.id}-v{attempt}"
    if row.tranche_id is not None:
        return f"tranche-{row.tranche_id}-v{attempt}"
    return f"payment-{row.id}-v{attempt}"


def _metadata(row: PaymentRecord) -> dict[str, str]:
    meta = {"payment": str(row.id), "program": str(row.program)}
    for key, value in (("tranche", row.tranche_id), ("award", row.award_id), ("funder", row.funder)):
        if value is not None:
            meta[key] = str(value)
    return meta


async def get_payment(payment_id: int) -> PaymentRecord:
    row = await Payment.select().where(Payment.id == payment_id).first()
    if row is None:
        raise NotFound("No such payment")
    return PaymentRecord.of(row)


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
        payment_id: int = rows[0]["id"]
        await audit.record(actor, "payment.scheduled", "payment", payment_id, amount_cents=amount_cents)
    return payment_id


async def disburse(payment_id: int, gateway: StripeGateway, actor: Actor = SYSTEM) -> PaymentRecord:
    """Send a scheduled transfer through Stripe, safely against crashes and double clicks.

    Writes, in a first transaction committed before Stripe is called: status `released`, the idempotency key
    (a new version after a failure), a new retry period, an audit row `payment.released`, the status hook's
    writes; and the send's claim (`retry_at` after `send_lease`, `send_attempts` + 1). Then calls Stripe's
    transfers.create with that key and metadata (payment, tranche, award, program). Then, in a second
    transaction: the transfer's id and `created`; or, if Stripe refused it, status `failed` with Stripe's
    message, an audit row `payment.failed` and the status hook's writes. If Stripe could not be reached, the
    error and the next automatic send (`_note_unavailable`) are written and `StripeUnavailable` is raised: the
    payment stays released, and the retry worker sends the same key again. A payment already paid or
    reversed, or released and answered, is returned unchanged.
    """
    async with write_transaction():
        row = await _locked(payment_id)
        if row.kind != "transfer" or row.rail != "stripe":
            raise Conflict("This payment is not a Stripe transfer")
        if row.status in ("paid", "reversed") or (row.status == "released" and row.stripe_id):
            return await get_payment(payment_id)  # done, or sent and answered (its webhook will say paid)
        if not row.destination:
            raise Conflict("The grantee has no connected Stripe account yet")
        now = clock.now()
        if row.status in ("scheduled", "failed"):
            attempt = row.attempt + 1
            key = idempotency_key(row, attempt)
            fresh: dict[Column | str, Any] = {Payment.retry_since: now, Payment.send_attempts: 0,
                                               Payment.send_error: None, Payment.attention_at: None}
            await Payment.update({Payment.status: "released", Payment.attempt: attempt,
                                  Payment.idempotency_key: key, Payment.failure_message: "",
                                  Payment.updated_at: now, **fresh}).where(Payment.id == payment_id)
            await audit.record(actor, "payment.released", "payment", payment_id, idempotency_key=key)
            await hooks.status_moved(hooks.StatusMoved.of(row, "released"))
            row = replace(row, status="released", attempt=attempt, idempotency_key=key, retry_since=now,
                          send_attempts=0, send_error=None, attention_at=None)
        row = await _claim(row, gateway.settings, now)
    # Committed: from here a crash leaves a released payment whose key a retry will reuse.
    return await _send(row, gateway, actor)


def send_lease(settings: StripeSettings) -> timedelta:
    """The longest one send can take: the SDK's tries (NETWORK_RETRIES + 1) of `timeout_seconds` each, its
    waits between them (at most 5 s each), and a margin. A claim lasts that long, so a send still under way is
    never repeated by another worker; after it, a send whose process died is repeated (same key)."""
    return timedelta(seconds=(NETWORK_RETRIES + 1) * settings.timeout_seconds + 5 * NETWORK_RETRIES + 10)


async def _claim(row: PaymentRecord, settings: StripeSettings, now: datetime) -> PaymentRecord:
    """Inside the caller's transaction, with the row locked: this send is the payment's only one until
    `send_lease` has passed. Writes `retry_at` and `send_attempts`; returns the row with them."""
    attempts = (row.send_attempts or 0) + 1
    retry_at = now + send_lease(settings)
    since = row.retry_since or now
    await Payment.update({Payment.retry_at: retry_at, Payment.send_attempts: attempts,
                          Payment.retry_since: since}).where(Payment.id == row.id)
    return replace(row, retry_at=retry_at, send_attempts=attempts, retry_since=since)


async def _send(row: PaymentRecord, gateway: StripeGateway, actor: Actor,
                now: datetime | None = None) -> PaymentRecord:
    """The Stripe call of a claimed, released transfer, and what its answer writes (see `disburse`)."""
    payment_id, key = row.id, row.idempotency_key
    assert key is not None, "a released payment has its idempotency key"
    try:
        transfer = await gateway.create_transfer(amount_cents=row.amount_cents, currency=row.currency,
                                                 destination=row.destination, idempotency_key=key,
                                                 metadata=_metadata(row))
    except StripeRefused as exc:
        async with write_transaction():
            current = await _locked(payment_id)
            if current.idempotency_key == key and rules.can_move(current.status, "failed"):
                await Payment.update({Payment.status: "failed", Payment.failure_message: exc.message[:2000],
                                      Payment.updated_at: clock.now(), **_NOT_RETRIED}).where(
                    Payment.id == payment_id)
                await audit.record(actor, "payment.failed", "payment", payment_id, code=exc.code,
                                   message=exc.message[:500])
                await hooks.status_moved(hooks.StatusMoved.of(current, "failed"))
        return await get_payment(payment_id)
    except StripeUnavailable as exc:
        await _note_unavailable(row, gateway.settings, str(exc) or exc.title, now)
        raise
    await _record_transfer(payment_id, transfer)
    return await get_payment(payment_id)


_NOT_RETRIED: dict[Column | str, Any] = {Payment.retry_at: None, Payment.attention_at: None, Payment.send_error: None}
"""A payment answered (a Stripe id, or a refusal): nothing is left to send again."""


async def _record_transfer(payment_id: int, transfer: Transfer) -> None:
    """Writes the Stripe transfer's id and `created` on its payment (unless its webhook did first)."""
    async with write_transaction():
        current = await _locked(payment_id)
        if current.stripe_id is None:  # the webhook may have recorded it first
            await Payment.update({Payment.stripe_id: transfer.id, Payment.stripe_created: transfer.created,
                                  Payment.updated_at: clock.now(), **_NOT_RETRIED}).where(Payment.id == payment_id)


async def _note_unavailable(row: PaymentRecord, settings: StripeSettings, error: str,
                            now: datetime | None = None) -> None:
    """A send of `row` (as claimed) got no usable answer from Stripe. Writes, unless the payment was answered
    or claimed again meanwhile (that one decides): `send_error`, and the next send's time (`retry_delay` after
    this attempt); or, once `retry_for_hours` have passed since the retry period began, `attention_at` with no
    next send and an audit row `payment.needs_attention`. Never `failed`: Stripe may have made the transfer."""
    at = now or clock.now()
    async with write_transaction():
        current = await _locked(row.id)
        if (current.status != "released" or current.stripe_id is not None
                or current.idempotency_key != row.idempotency_key
                or current.send_attempts != row.send_attempts):
            return
        since = clock.as_utc(current.retry_since or current.updated_at)
        give_up = at >= since + timedelta(hours=settings.retry_for_hours)
        changes: dict[Any, Any] = {Payment.send_error: error[:2000], Payment.updated_at: at}
        if give_up:
            changes |= {Payment.retry_at: None, Payment.attention_at: at}
            await audit.record(SYSTEM, "payment.needs_attention", "payment", row.id,
                               idempotency_key=row.idempotency_key, attempts=row.send_attempts,
                               error=error[:500])
        else:
            assert row.send_attempts is not None, "a claimed send is counted"
            changes[Payment.retry_at] = at + retry_delay(row.send_attempts, settings.retry_first_seconds,
                                                         settings.retry_max_seconds)
        await Payment.update(changes).where(Payment.id == row.id)
    log.warning("payment %s: Stripe gave no answer (send %s%s): %s", row.id, row.send_attempts,
                ", needs attention" if give_up else "", error)


# -- the payment retry worker -----------------------------------------------------------------------------------

POLL_SECONDS = 1.0


def _due(at: datetime) -> Any:
    return ((Payment.kind == "transfer") & (Payment.rail == "stripe") & (Payment.status == "released")
            & Payment.stripe_id.is_null() & Payment.attention_at.is_null() & (Payment.retry_at <= at))


async def claim_due_transfer(settings: StripeSettings, at: datetime) -> PaymentRecord | None:
    """Claim the released transfer without a Stripe id whose next send is due first (`_claim`), or None. Two
    workers never claim the same one: the row is locked (PostgreSQL: `FOR UPDATE SKIP LOCKED`, another worker
    takes the next one; SQLite: the IMMEDIATE write transaction) and the claim moves `retry_at` past `at`."""
    async with write_transaction():
        query = Payment.select().where(_due(at)).order_by(Payment.retry_at).order_by(Payment.id).limit(1)
        if db.current_engine().engine_type == "postgres":
            query = query.lock_rows("UPDATE", skip_locked=True)
        rows = await query
        if not rows:
            return None
        return await _claim(PaymentRecord.of(rows[0]), settings, at)


async def retry_unanswered_transfers(gateway: StripeGateway, now: datetime | None = None, limit: int = 20) -> int:
    """Send again (same key) each released Stripe transfer whose next send is due, one claim at a time; returns
    how many Stripe answered. `now` is the clock (the tests move it; by default the server's). Writes what
    `disburse`'s send writes for each (the transfer's id; or `failed`; or the error and the next send, or
    needs attention)."""
    at = now or clock.now()
    if not await Payment.exists().where(_due(at)):
        return 0  # the idle poll: a plain read, no write lock taken
    answered = 0
    for _ in range(limit):
        row = await claim_due_transfer(gateway.settings, at)
        if row is None:
            break
        try:
            await _send(row, gateway, SYSTEM, now)
        except StripeUnavailable:
            continue  # noted on the payment, with its next send
        answered += 1
    return answered


async def run_payment_retry_worker(gateway: StripeGateway, stop: asyncio.Event) -> None:
    """Send unanswered Stripe transfers again until `stop` is set, looking every `POLL_SECONDS` (each payment's
    `retry_at` decides what is due, so the wake-ups only look)."""
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), timeout=POLL_SECONDS)
        except asyncio.TimeoutError:
            pass
        if stop.is_set():
            break
        try:
            await retry_unanswered_transfers(gateway)
        except Exception:  # the worker must outlive a bad row or a lost connection; the claim runs out
            log.exception("payment retry failed")


async def retry_transfer(payment_id: int, gateway: StripeGateway, actor: Actor) -> PaymentRecord:
    """Staff send again a released Stripe transfer that Stripe has not answered (it needs attention, or waits for
    its next automatic send). First Stripe is asked for a transfer of this payment (by its metadata, among the
    destination's transfers): the key may be older than the 24 hours Stripe keeps it, and a transfer made then
    must not be made twice. Found, it is recorded as its webhook would record it; else the same key is sent.

    Writes, in a first transaction: a new retry period (attention cleared, attempts counted again), the claim,
    and an audit row `payment.retried` with the last error; then what `disburse`'s send writes (or, found, the
    transfer's id and status, as `apply_event`). Conflict for any other payment. StripeUnavailable as
    `disburse` (noted on the payment; the worker sends it again)."""
    async with write_transaction():
        row = await _locked(payment_id)
        if (row.kind, row.rail, row.status) != ("transfer", "stripe", "released") or row.stripe_id:
            raise Conflict("Only a Stripe transfer sent and not answered can be sent again.")
        now = clock.now()
        await Payment.update({Payment.retry_since: now, Payment.send_attempts: 0, Payment.attention_at: None}).where(
            Payment.id == payment_id)
        await audit.record(actor, "payment.retried", "payment", payment_id, idempotency_key=row.idempotency_key,
                           last_error=(row.send_error or "")[:500])
        row = await _claim(replace(row, retry_since=now, send_attempts=0, attention_at=None), gateway.settings, now)
    try:
        made = [t for t in await gateway.list_transfers(destination=row.destination)
                if t.metadata.get("payment") == str(payment_id)]
    except StripeUnavailable as exc:
        await _note_unavailable(row, gateway.settings, str(exc) or exc.title)
        raise
    if not made:
        return await _send(row, gateway, actor)
    transfer = made[-1]  # newest first: the first one made
    async with write_transaction():
        await _apply_transfer(_as_event_object(transfer), "retry")
    return await get_payment(payment_id)


async def record_pledge_payment(*, program_id: int, funder_id: int, amount_cents: int, gateway: StripeGateway,
                                payment_method: str | None = None,
                                actor: Actor = SYSTEM) -> tuple[PaymentRecord, str]:
    """A funder's pledge paid into a program's fund by a Stripe PaymentIntent.

    Writes: a `payment` row (payment_intent, released, key `pledge-<id>-v1`) and an audit row
    `payment.pledge_started`, committed before Stripe is called; then the PaymentIntent's id (or, if Stripe
    refused it, status `failed`, an audit row and the status hook's writes). The webhook
    `payment_intent.succeeded` marks it paid (or `payment_failed`, failed). Returns the payment and the
    PaymentIntent's client secret ("" if refused), for the browser to confirm the payment when no
    `payment_method` was given.
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
        return await get_payment(payment_id), ""
    async with write_transaction():
        current = await _locked(payment_id)
        if current.stripe_id is None:
            await Payment.update({Payment.stripe_id: intent.id, Payment.stripe_created: intent.created,
                                  Payment.updated_at: clock.now()}).where(Payment.id == payment_id)
    return await get_payment(payment_id), intent.client_secret


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
        if row.kind != "transfer" or row.status not in ("scheduled", "failed"):
            raise Conflict("Only a scheduled or failed transfer can be paid manually")
        now = clock.now()
        await Payment.update({Payment.status: "paid", Payment.rail: rail, Payment.reference: reference,
                              Payment.paid_at: now, Payment.updated_at: now}).where(Payment.id == payment_id)
        await audit.record(actor, "payment.paid_manually", "payment", payment_id, rail=rail, reference=reference)
        await hooks.status_moved(hooks.StatusMoved.of(row, "paid"))


async def reconcile(payment_id: int, gateway: StripeGateway) -> PaymentRecord:
    """Bring a Stripe payment up to date from Stripe itself, for when webhooks were lost (e.g. the endpoint was
    down longer than Stripe retries). A released transfer without a Stripe id is disbursed again (same key, so
    no second transfer); otherwise the object is retrieved and applied exactly as its webhook would be.

    Writes: what `disburse` or the matching webhook writes (status, Stripe id, amount reversed, audit rows).
    """
    row = await get_payment(payment_id)
    if row.rail != "stripe" or row.status == "scheduled":
        return row
    if row.stripe_id is None:
        # Only a crashed send is repeated (same key); a failed one waits for staff to disburse it again.
        return await disburse(payment_id, gateway) if (row.kind, row.status) == ("transfer", "released") else row
    if row.kind == "transfer":
        transfer = await gateway.retrieve_transfer(row.stripe_id)
        async with write_transaction():
            await _apply_transfer(_as_event_object(transfer), "reconcile")
    else:
        intent = await gateway.retrieve_payment_intent(row.stripe_id)
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


def _as_event_object(transfer: Transfer) -> dict[str, Any]:
    """A transfer fetched from Stripe, shaped as its webhook's `data.object`."""
    return {"id": transfer.id, "amount": transfer.amount, "amount_reversed": transfer.amount_reversed,
            "reversed": transfer.reversed, "destination": transfer.destination, "created": transfer.created,
            "metadata": transfer.metadata}


async def _payment_for(obj: dict[str, Any], kind: str) -> PaymentRecord | None:
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


async def _move(row: PaymentRecord, target: str | None, changes: dict[Any, Any], detail: dict[str, Any]) -> str:
    """Apply `changes` and, if it is a step forward, the status `target` (with an audit row and the status
    hook); 'applied' if anything changed."""
    now = clock.now()
    moved = target is not None and target != row.status and rules.can_move(row.status, target)
    if moved:
        changes[Payment.status] = target
        if target == "paid":
            changes[Payment.paid_at] = now
    if not changes:
        return "stale"
    changes[Payment.updated_at] = now
    await Payment.update(changes).where(Payment.id == row.id)
    if moved and target is not None:
        await audit.record(SYSTEM, f"payment.{target}", "payment", row.id, **detail)
        await hooks.status_moved(hooks.StatusMoved.of(row, target))
    return "applied"


async def _apply_transfer(obj: dict[str, Any], event_type: str) -> str:
    row = await _payment_for(obj, "transfer")
    if row is None:
        return "unmatched"
    if int(obj.get("amount") or 0) != row.amount_cents or obj.get("destination") not in (row.destination, None):
        log.warning("transfer %s does not match payment %s", obj.get("id"), row.id)
        return "unmatched"
    changes: dict[Any, Any] = {}
    if row.stripe_id is None:
        changes[Payment.stripe_id] = str(obj["id"])[:64]
        changes[Payment.stripe_created] = int(obj.get("created") or 0)
        changes |= _NOT_RETRIED  # answered: the retry worker has nothing left to send
    reversed_cents = int(obj.get("amount_reversed") or 0)
    if reversed_cents > row.amount_reversed_cents:  # only ever grows: an older snapshot cannot shrink it
        changes[Payment.amount_reversed_cents] = reversed_cents
    return await _move(row, rules.transfer_status(obj), changes, {"stripe_id": obj.get("id"), "event": event_type})


async def _apply_payment_intent(obj: dict[str, Any], event_type: str) -> str:
    row = await _payment_for(obj, "payment_intent")
    if row is None:
        return "unmatched"
    if int(obj.get("amount") or 0) != row.amount_cents:
        log.warning("payment intent %s does not match payment %s", obj.get("id"), row.id)
        return "unmatched"
    changes: dict[Any, Any] = {}
    if row.stripe_id is None:
        changes[Payment.stripe_id] = str(obj["id"])[:64]
        changes[Payment.stripe_created] = int(obj.get("created") or 0)
    target = rules.payment_intent_status(obj, event_type)
    if target == "failed" and rules.can_move(row.status, "failed"):
        error = obj.get("last_payment_error") or {}
        changes[Payment.failure_message] = str(error.get("message", "") if isinstance(error, dict) else "")[:2000]
    return await _move(row, target, changes, {"stripe_id": obj.get("id"), "event": event_type})
