"""An award's payment schedule and its disbursement.

Staff define the tranches (each on acceptance, on the approval of the interim or final report, or on a date);
they add up to the award's amount and can be changed until one is released. Releasing a tranche makes its
`payment` row (portal/payments/services.schedule_transfer) and, when the grantee organisation has a connected
account with payouts enabled and Stripe is configured, disburses it at once (one transfer, idempotency key
`tranche-<id>-v<attempt>`). Otherwise the payment waits, scheduled, for staff to record an ACH or cheque payment
(the manual rail) or to send it through Stripe once the grantee has onboarded.

A released tranche's status follows its payment's (see `STATUS_OF_PAYMENT`), written in the same transaction as
every change of the payment's status: this module registers `follow_payment` on the payments package's hook
(`portal.payments.hooks`) when it is imported, because the payment moves in code that must not import awards
(Stripe's webhooks, `payments.services.apply_event`; a manual payment; a disbursement). The hook rather than a
call back from payments keeps the imports one way (awards -> payments), and rather than reading the payment at
every display (as the pages once did) it keeps `tranche.status` the one answer, for queries and the ledger
alike. `portal/app.py` and `portal/cli.py` import this module before they touch the database; payments refuses
to move a tranche's payment if no listener is registered at all (`hooks.NoListener`).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from msgspec.structs import replace

from portal import db
from portal.awards import queries as award_queries
from portal.awards.forms import dollars_to_cents
from portal.awards.tranches.tables import Tranche
from portal.core import audit, clock
from portal.core.actor import Actor
from portal.core.errors import Conflict, Invalid, NotFound
from portal.core.templating import money
from portal.db import write_transaction
from portal.payments import hooks as payment_hooks
from portal.payments import services as payments
from portal.payments.gateway import StripeGateway, StripeNotConfigured, StripeUnavailable, gateway_for
from portal.payments.onboarding.queries import payout_destination
from portal.payments.records import PaymentRecord
from portal.payments.tables import Payment
from portal.web.forms import text

log = logging.getLogger(__name__)

TRIGGERS = {"on_acceptance": "On acceptance", "on_report_approval": "On approval of a report",
            "on_date": "On a date"}
REPORT_KINDS = ("interim", "final")
MAX_ROWS = 6


@dataclass(frozen=True)
class TrancheInput:
    amount_cents: int
    trigger: str
    report_kind: str
    due_date: date | None


def gateway_or_none(settings: Any) -> StripeGateway | None:
    try:
        return gateway_for(settings.stripe)
    except StripeNotConfigured:
        return None


STATUSES = {
    "scheduled": "Scheduled",
    "released": "Released, not yet paid",
    "paid": "Paid",
    "failed": "Failed",
    "reversed": "Reversed",
}
"""A tranche's statuses and how the pages name them. `reversed`: the grantee was paid, then the transfer was
reversed in full (the money went back to the platform's balance); unlike `failed`, it cannot be sent again."""

STATUS_OF_PAYMENT = {"scheduled": "released", "released": "released", "paid": "paid", "failed": "failed",
                     "reversed": "reversed"}
"""A released tranche's status for each status of its payment (a payment waiting for the manual rail is
`scheduled`, one sent to Stripe `released`: for the tranche both are released, not yet paid)."""


@payment_hooks.on_status_moved
async def follow_payment(moved: payment_hooks.StatusMoved) -> None:
    """Writes, in the transaction that moved the payment: its tranche's status (`STATUS_OF_PAYMENT`)."""
    if moved.tranche_id is None:
        return
    await Tranche.update({Tranche.status: STATUS_OF_PAYMENT[moved.new]}).where(
        (Tranche.id == moved.tranche_id) & (Tranche.payment == moved.payment_id))


async def list_tranches(award_id: int) -> list[dict[str, Any]]:
    rows = await Tranche.select(
        *Tranche.all_columns(), Tranche.payment.status.as_alias("payment_status"),
        Tranche.payment.rail.as_alias("payment_rail"), Tranche.payment.reference.as_alias("payment_reference"),
        Tranche.payment.stripe_id.as_alias("payment_stripe_id"),
        Tranche.payment.failure_message.as_alias("payment_failure"),
        Tranche.payment.send_error.as_alias("payment_send_error"),
        Tranche.payment.retry_at.as_alias("payment_retry_at"),
        Tranche.payment.attention_at.as_alias("payment_attention_at"),
    ).where(Tranche.award == award_id).order_by(Tranche.position)
    for row in rows:
        row["due_date"] = db.to_date(row["due_date"])
    return rows


def schedule_input(data: dict[str, Any], award_amount_cents: int) -> list[TrancheInput]:
    """The schedule form (rows 1..6: amount_N, trigger_N, report_kind_N, due_date_N; blank amounts skipped);
    Invalid with every error at once, the sum included (key `total`)."""
    errors: dict[str, str] = {}
    rows: list[TrancheInput] = []
    for n in range(1, MAX_ROWS + 1):
        raw = text(data, f"amount_{n}", 40)
        if not raw:
            continue
        cents = dollars_to_cents(raw)
        if cents is None or cents <= 0:
            errors[f"amount_{n}"] = "Enter an amount in dollars greater than zero, like 25000 or 25,000.50."
        trigger = text(data, f"trigger_{n}", 40)
        kind, due = "", None
        if trigger not in TRIGGERS:
            errors[f"trigger_{n}"] = "Choose when this tranche is paid."
        elif trigger == "on_report_approval":
            kind = text(data, f"report_kind_{n}", 40)
            if kind not in REPORT_KINDS:
                errors[f"report_kind_{n}"] = "Choose the interim or the final report."
                kind = ""
        elif trigger == "on_date":
            raw_date = text(data, f"due_date_{n}", 40)
            try:
                due = date.fromisoformat(raw_date) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw_date) else None
            except ValueError:
                due = None
            if due is None:
                errors[f"due_date_{n}"] = "Enter the date as YYYY-MM-DD."
        rows.append(TrancheInput(cents or 0, trigger, kind, due))
    if not rows and not errors:
        errors["amount_1"] = "Enter at least one tranche."
    total = sum(r.amount_cents for r in rows)
    if not errors and total != award_amount_cents:
        errors["total"] = (f"The tranches add up to {money(total)}; they must add up to the award, "
                           f"{money(award_amount_cents)}.")
    if errors:
        raise Invalid(errors)
    return rows


async def _lock_award(award_id: int) -> None:
    if db.current_engine().engine_type == "postgres":
        await Tranche.raw("SELECT id FROM award WHERE id = {} FOR UPDATE", award_id)


def refuse_unpaid(award: dict[str, Any]) -> None:
    """Conflict for an award that pays no money (a cohort seat, technical assistance): it has no tranches."""
    if not award["terms"].is_paid:
        raise Conflict(f"This award pays no money ({award['terms'].phrase}): there is nothing to schedule.")


async def set_schedule(actor: Actor, award_id: int, rows: list[TrancheInput]) -> None:
    """Replace the award's schedule.

    Writes, in one transaction: the award's tranche rows deleted and inserted again (positions 1..n); an audit
    row `tranche.schedule_set`. Conflict once a tranche is released, if the award was declined, or if it pays
    no money (`refuse_unpaid`). The tranches add up to the award's cash (portal/awards/terms.py).
    """
    async with write_transaction():
        await _lock_award(award_id)
        award = await award_queries.get_award(award_id)
        if award is None:
            raise NotFound()
        if award["status"] == "declined":
            raise Conflict("The city declined this award: there is nothing to pay.")
        refuse_unpaid(award)
        cash_cents = award["terms"].cash_cents
        if sum(r.amount_cents for r in rows) != cash_cents:
            raise Invalid({"total": f"The tranches must add up to the award, {money(cash_cents)}."})
        if await Tranche.exists().where((Tranche.award == award_id) & (Tranche.status != "scheduled")):
            raise Conflict("A tranche has been released: the schedule can no longer change.")
        await Tranche.delete().where(Tranche.award == award_id)
        if rows:
            await Tranche.insert(*[Tranche(award=award_id, position=i, amount_cents=r.amount_cents,
                                           trigger=r.trigger, report_kind=r.report_kind, due_date=r.due_date)
                                   for i, r in enumerate(rows, start=1)])
        await audit.record(actor, "tranche.schedule_set", "award", award_id,
                           tranches=[[r.amount_cents, r.trigger, r.report_kind, str(r.due_date or "")] for r in rows])
    # An accepted award whose new schedule has tranches due now: release them.


async def _locked_tranche(tranche_id: int) -> dict[str, Any]:
    suffix = " FOR UPDATE" if db.current_engine().engine_type == "postgres" else ""
    rows = await Tranche.raw(f"SELECT * FROM tranche WHERE id = {{}}{suffix}", tranche_id)
    if not rows:
        raise NotFound("No such tranche")
    tranche: dict[str, Any] = rows[0]
    return tranche


async def release_tranche(actor: Actor, tranche_id: int, gateway: StripeGateway | None) -> PaymentRecord:
    """Release one scheduled tranche of an accepted award.

    Writes, in one transaction: a `payment` row (payments.schedule_transfer: transfer, scheduled, to the
    grantee's connected account if it can receive payouts, else with no destination); the tranche `released`
    with the payment id and time; an audit row `tranche.released`. Then, with a destination and a gateway,
    `payments.disburse` (its own writes; one Stripe transfer keyed by the tranche). A tranche already released
    is not released again: only its pending Stripe send is repeated (same key). Returns the payment.
    """
    async with write_transaction():
        tranche = await _locked_tranche(tranche_id)
        award = await award_queries.get_award(tranche["award"])
        assert award is not None
        if award["status"] != "accepted":
            raise Conflict("Tranches are released once the city has accepted the award.")
        if tranche["status"] == "scheduled":
            destination = await payout_destination(award["city_id"])
            payment_id = await payments.schedule_transfer(
                program_id=award["program_id"], amount_cents=tranche["amount_cents"], destination=destination,
                award_id=award["id"], tranche_id=tranche_id, actor=actor)
            await Tranche.update({Tranche.status: "released", Tranche.payment: payment_id,
                                  Tranche.released_at: clock.now()}).where(Tranche.id == tranche_id)
            await audit.record(actor, "tranche.released", "tranche", tranche_id, award_id=award["id"],
                               payment_id=payment_id, amount_cents=tranche["amount_cents"])
        else:
            payment_id = tranche["payment"]
    return await send_through_stripe(actor, tranche_id, gateway)


async def send_through_stripe(actor: Actor, tranche_id: int, gateway: StripeGateway | None) -> PaymentRecord:
    """Disburse a released tranche's payment through Stripe when the grantee can receive payouts: a payment
    still without a destination (released before onboarding) gets the connected account first. Writes: the
    payment's destination; what `payments.disburse` writes (the tranche's status with it, `follow_payment`)."""
    tranche = await Tranche.select().where(Tranche.id == tranche_id).first()
    if tranche is None:
        raise NotFound("No such tranche")
    if tranche["payment"] is None:
        raise Conflict("This tranche has not been released yet.")
    payment = await payments.get_payment(tranche["payment"])
    if gateway is not None and payment.rail == "stripe" and payment.status in ("scheduled", "failed", "released"):
        if not payment.destination and payment.status == "scheduled":
            award = await award_queries.get_award(tranche["award"])
            destination = await payout_destination(award["city_id"]) if award else ""
            if destination:
                await Payment.update({Payment.destination: destination, Payment.updated_at: clock.now()}).where(
                    (Payment.id == payment.id) & (Payment.status == "scheduled"))
                payment = replace(payment, destination=destination)
        if payment.destination:
            try:
                payment = await payments.disburse(payment.id, gateway, actor)
            except StripeUnavailable:
                log.warning("tranche %s: Stripe unavailable; the payment stays released for a retry", tranche_id)
                payment = await payments.get_payment(payment.id)
    return payment


async def retry_send(actor: Actor, tranche_id: int, gateway: StripeGateway) -> PaymentRecord:
    """Staff send a released tranche's Stripe transfer again after Stripe gave no answer (it needs attention, or
    waits for its next automatic send). Writes: what `payments.retry_transfer` writes (an audit row
    `payment.retried`; the transfer's id, or the error and the next automatic send). Stripe still unreachable
    is noted on the payment, not raised: the page shows it."""
    tranche = await Tranche.select(Tranche.payment).where(Tranche.id == tranche_id).first()
    if tranche is None:
        raise NotFound("No such tranche")
    if tranche["payment"] is None:
        raise Conflict("This tranche has not been released yet.")
    try:
        return await payments.retry_transfer(tranche["payment"], gateway, actor)
    except StripeUnavailable:
        log.warning("tranche %s: Stripe still unavailable; the payment retry worker sends it again", tranche_id)
        return await payments.get_payment(tranche["payment"])


async def pay_manually(actor: Actor, tranche_id: int, rail: str, reference: str) -> None:
    """Staff paid a released tranche by ACH or cheque. Writes: what `payments.record_manual_payment` writes,
    the tranche `paid` with it. Conflict unless the tranche is released and its payment not in flight with Stripe."""
    tranche = await Tranche.select(Tranche.payment).where(Tranche.id == tranche_id).first()
    if tranche is None:
        raise NotFound("No such tranche")
    if tranche["payment"] is None:
        raise Conflict("Release the tranche before recording its payment.")
    await payments.record_manual_payment(tranche["payment"], rail, reference, actor)


async def _release_where(actor: Actor, condition: Any, gateway: StripeGateway | None) -> int:
    rows = await Tranche.select(Tranche.id).where(
        condition & (Tranche.status == "scheduled") & (Tranche.award.status == "accepted")).order_by(Tranche.id)
    for row in rows:
        await release_tranche(actor, row["id"], gateway)
    return len(rows)


async def release_on_acceptance(actor: Actor, award_id: int, gateway: StripeGateway | None) -> int:
    """Release the award's tranches due on acceptance; returns how many."""
    return await _release_where(actor, (Tranche.award == award_id) & (Tranche.trigger == "on_acceptance"), gateway)


async def release_on_report(actor: Actor, award_id: int, report_kind: str, gateway: StripeGateway | None) -> int:
    """Release the award's tranches due when its `report_kind` report is approved; returns how many."""
    return await _release_where(actor, (Tranche.award == award_id) & (Tranche.trigger == "on_report_approval")
                                & (Tranche.report_kind == report_kind), gateway)


async def release_due(today: date, gateway: StripeGateway | None, actor: Actor = payments.SYSTEM) -> int:
    """Release every date-triggered tranche of an accepted award due on or before `today`; returns how many."""
    return await _release_where(actor, (Tranche.trigger == "on_date") & (Tranche.due_date <= today), gateway)


async def approve_report(actor: Actor, report: dict[str, Any], gateway: StripeGateway | None) -> int:
    """Staff approve a submitted report. Writes: the report `submitted` -> `approved`; an audit row
    `report.approved`; then the award's tranches due on that report's approval are released (see
    `release_tranche`). Returns how many were released. Conflict unless the report is submitted."""
    from portal.reporting.tables import Report

    async with write_transaction():
        moved = await Report.update({Report.status: "approved", Report.updated_at: clock.now()}).where(
            (Report.id == report["id"]) & (Report.status == "submitted")).returning(Report.id)
        if not moved:
            raise Conflict("Only a submitted report can be approved.")
        await audit.record(actor, "report.approved", "report", report["id"], award_id=report["award"],
                           kind=report["kind"])
    return await release_on_report(actor, report["award"], report["kind"], gateway)
