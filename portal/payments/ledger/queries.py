"""The money ledger per award, program and funder, in integer cents. Only awards that pay money (a cash grant,
a travel stipend: programs.rules.PAID_OFFER_KINDS) are in it; a cohort seat or hours of technical assistance
commit and pay nothing, whatever value staff counted against the budget.

- committed: the amounts of accepted awards;
- scheduled: tranches not yet released;
- released: tranches released whose payment is not yet paid (waiting for Stripe or for the manual rail);
- paid: tranches whose payment is paid (a Stripe transfer, or ACH/cheque recorded by staff);
- failed: tranches whose payment failed or was reversed.
A tranche's stored status follows its payment in the transaction that moves the payment (the payments hook,
portal/payments/hooks.py, which the tranches module listens to), so Stripe's webhooks, which move payments, move
the ledger too; this module reads the `tranche` table by SQL and imports nothing from awards. Funders: pledged (program_funder) and received (their pledge
PaymentIntents that succeeded). Sums are made here: SQLite's SUM would be a float.
"""

from __future__ import annotations

from typing import Any

from portal.payments.records import PaymentRecord
from portal.payments.tables import Payment
from portal.programs.rules import PAID_OFFER_KINDS
from portal.programs.tables import Program, ProgramFunder

FIGURES = ("committed", "scheduled", "released", "paid", "failed")
FIGURE_OF_TRANCHE = {"scheduled": "scheduled", "released": "released", "paid": "paid", "failed": "failed",
                     "reversed": "failed"}
"""A tranche's status (portal/awards/tranches/services.STATUSES) -> the figure it counts in."""

TRANCHES_SQL = """
SELECT a.id AS award_id, a.status AS award_status, a.amount_cents AS award_amount, t.amount_cents, t.status
FROM award a JOIN application ap ON ap.id = a.application
JOIN program pg ON pg.id = ap.program
LEFT JOIN tranche t ON t.award = a.id
WHERE pg.offer_kind IN ({paid}) AND {where}
""".replace("{paid}", ", ".join(f"'{kind}'" for kind in sorted(PAID_OFFER_KINDS)))


def _empty() -> dict[str, int]:
    return dict.fromkeys(FIGURES, 0)


def _figures(rows: list[dict[str, Any]]) -> dict[str, int]:
    out = _empty()
    committed: set[int] = set()
    for row in rows:
        if row["award_status"] == "accepted" and row["award_id"] not in committed:
            committed.add(row["award_id"])
            out["committed"] += int(row["award_amount"])
        if row["amount_cents"] is None or row["award_status"] == "declined":
            continue
        out[FIGURE_OF_TRANCHE[row["status"]]] += int(row["amount_cents"])
    return out


async def award_ledger(award_id: int) -> dict[str, int]:
    return _figures(await Payment.raw(TRANCHES_SQL.format(where="a.id = {}"), int(award_id)))


async def program_ledger(program_id: int) -> dict[str, Any]:
    """The program's figures, one row per award (city, status, figures) and the funds received from funders."""
    rows = await Payment.raw(TRANCHES_SQL.replace("a.id AS award_id", "a.id AS award_id, o.name AS city_name")
                             .replace("WHERE", "JOIN organisation o ON o.id = ap.organisation WHERE")
                             .format(where="ap.program = {}"), int(program_id))
    by_award: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        by_award.setdefault(row["award_id"], []).append(row)
    awards = [{"award_id": award_id, "city_name": group[0]["city_name"], "status": group[0]["award_status"],
               "amount_cents": int(group[0]["award_amount"]), **_figures(group)}
              for award_id, group in sorted(by_award.items())]
    program = await Program.select(Program.id, Program.title, Program.budget_cents).where(
        Program.id == program_id).first()
    return {"program": program, "totals": _figures(rows), "awards": awards,
            "funders": await funder_rows(program_id=program_id),
            "funds_received_cents": await funds_received_cents(program_id),
            "unanswered": await unanswered_transfers(program_id)}


async def unanswered_transfers(program_id: int) -> list[PaymentRecord]:
    """The program's Stripe transfers sent and not answered (Stripe unreachable; retried automatically, or past
    the retry period and needing attention), oldest first, with the last error."""
    rows = await Payment.select().where((Payment.program == program_id) & (Payment.kind == "transfer") & (Payment.rail == "stripe")
            & (Payment.status == "released") & Payment.stripe_id.is_null()
            & (Payment.send_error.is_not_null() | Payment.attention_at.is_not_null())).order_by(Payment.id)
    return [PaymentRecord.of(row) for row in rows]


async def funds_received_cents(program_id: int) -> int:
    """Pledges paid into the program's fund (PaymentIntents that succeeded)."""
    rows = await Payment.select(Payment.amount_cents).where(
        (Payment.program == program_id) & (Payment.kind == "payment_intent") & (Payment.status == "paid"))
    return sum(int(r["amount_cents"]) for r in rows)


async def funder_rows(*, program_id: int | None = None, funder_id: int | None = None) -> list[dict[str, Any]]:
    """Per program and funder: pledged, received (PaymentIntents paid) and pending (started, not yet paid)."""
    query = ProgramFunder.select(ProgramFunder.program, ProgramFunder.funder, ProgramFunder.pledged_cents,
                                 ProgramFunder.funder.name.as_alias("funder_name"),
                                 ProgramFunder.program.title.as_alias("program_title"))
    if program_id is not None:
        query = query.where(ProgramFunder.program == program_id)
    if funder_id is not None:
        query = query.where(ProgramFunder.funder == funder_id)
    rows = await query.order_by(ProgramFunder.id)
    intents = await Payment.select(Payment.program, Payment.funder, Payment.amount_cents, Payment.status).where(
        (Payment.kind == "payment_intent") & Payment.status.is_in(["paid", "released"]))
    for row in rows:
        mine = [p for p in intents if p["program"] == row["program"] and p["funder"] == row["funder"]]
        row["pledged_cents"] = int(row["pledged_cents"] or 0)
        row["received_cents"] = sum(int(p["amount_cents"]) for p in mine if p["status"] == "paid")
        row["pending_cents"] = sum(int(p["amount_cents"]) for p in mine if p["status"] == "released")
    return rows


async def funder_ledger(funder_id: int) -> list[dict[str, Any]]:
    """Each program the funder pledged to: pledged, received, and the program's own figures."""
    rows = await funder_rows(funder_id=funder_id)
    for row in rows:
        row["program_figures"] = (await program_ledger(row["program"]))["totals"]
    return rows
