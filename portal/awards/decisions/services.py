"""Writing the decision board: draft decisions, bulk decisions and the release of a round.

Drafts change nothing outside the `decision` table (and the audit log). The release turns them into
decisions in one transaction through the award services: award drafts through `services.decide_award`
(an Award `offered`, the application `awarded`, reports scheduled, the `award_made` email), decline drafts
through `services.decline_application` (the `decision_declined` email), and waitlist drafts here (the
`decision_waitlisted` email; the application stays `submitted`). Each city member gets their email in that
same transaction, so either the whole round is released and everyone is told, or nothing happens.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from portal.awards import queries, services
from portal.awards.decisions import queries as decision_queries
from portal.awards.decisions.queries import seats
from portal.awards.decisions.tables import Decision
from portal.awards.forms import AwardInput
from portal.core import audit, clock
from portal.core.actor import Actor
from portal.core.errors import Conflict, Invalid
from portal.core.mail import queue_email
from portal.core.templating import money
from portal.db import current_engine, write_transaction
from portal.programs.records import ProgramRecord
from portal.programs.tables import Program

DEFAULT_DECLINE_NOTE = ("The panel's ranking and this round's budget did not allow an award to this application. "
                        "Thank you for the work that went into it.")


async def _lock_program(program_id: int) -> None:
    """On PostgreSQL, serialise the board's writers on the program row (SQLite's IMMEDIATE transaction does)."""
    if isinstance(current_engine(), PostgresEngine):
        await Program.raw("SELECT id FROM program WHERE id = {} FOR UPDATE", program_id)


async def _upsert(actor: Actor, program_id: int, application_id: int, values: dict[str, Any]) -> None:
    existing = await Decision.select(Decision.id).where(Decision.application == application_id).first()
    row = values | {"decided_by": actor.user_id, "updated_at": clock.now()}
    if existing is None:
        await Decision.insert(Decision(program=program_id, application=application_id, **row))
    else:
        await Decision.update({getattr(Decision, k): v for k, v in row.items()}).where(Decision.id == existing["id"])


def _open_row(board: dict[str, Any], application_id: int) -> dict[str, Any]:
    row: dict[str, Any] | None = next((r for r in board["rows"] if r["id"] == application_id), None)
    if row is None:
        raise Conflict("This application is not on the decision board.")
    if not row["open"]:
        raise Conflict("This application's decision has been released or made on its own page: it cannot be "
                       "changed here.")
    return row


async def save_draft(actor: Actor, program: ProgramRecord, application_id: int,
                     values: dict[str, Any] | None) -> None:
    """Save (or with None clear) one application's draft decision.

    Writes: the `decision` row (insert, update or delete); one audit row `decision.drafted` or
    `decision.cleared`. Raises Conflict if the application is decided or released already.
    """
    async with write_transaction():
        await _lock_program(program.id)
        _open_row(await decision_queries.board(program), application_id)
        if values is None:
            await Decision.delete().where((Decision.application == application_id) & Decision.released_at.is_null())
            await audit.record(actor, "decision.cleared", "application", application_id, program_id=program.id)
            return
        await _upsert(actor, program.id, application_id, values)
        await audit.record(actor, "decision.drafted", "application", application_id, program_id=program.id,
                           outcome=values["outcome"], amount_cents=values["amount_cents"],
                           quantity=values["quantity"])


async def apply_bulk(actor: Actor, program: ProgramRecord, action: str, tie_break_note: str) -> int:
    """Draft the same decision for every open application with no draft yet on one side of the funding line:
    "award_above" awards those above it (at the amount requested, capped at the largest award; hours left at 0
    for technical assistance, to be filled in per row), "decline_below" / "waitlist_below" those below it.
    Returns how many drafts were made.

    Writes: a `decision` row per application; one audit row `decision.bulk`. The line is taken as it is at the
    time of writing, inside the transaction.
    """
    async with write_transaction():
        await _lock_program(program.id)
        state = await decision_queries.board(program)
        above = action == "award_above"
        outcome = "award" if above else ("decline" if action == "decline_below" else "waitlist")
        side = "above" if above else "below"
        targets = [r for r in state["rows"] if r["open"] and r["draft"] is None and r["side"] == side]
        seat = state["unit"] == "seat"
        quantity = 1 if seat else 0
        for row in targets:
            await _upsert(actor, program.id, row["id"], {
                "outcome": outcome, "amount_cents": row["default_amount_cents"] if above and not seat else 0,
                "quantity": quantity if above else 0,
                "tie_break_note": tie_break_note if row["needs_tie_break"] else "", "note": "",
            })
        await audit.record(actor, "decision.bulk", "program", program.id, bulk_action=action, count=len(targets))
        return len(targets)


@dataclass(frozen=True)
class Confirmations:
    """What staff confirmed when releasing: awards over the budget (or the cohort's seats), a release before the
    program's deadline, decisions on fewer reviews than the panel asks for."""

    over_budget: bool = False
    before_deadline: bool = False
    few_reviews: bool = False


def _titles(rows: list[dict[str, Any]]) -> str:
    return "; ".join(r["title"] or "Untitled application" for r in rows)


def release_problems(state: dict[str, Any], confirmed: Confirmations) -> dict[str, str]:
    """Why the round cannot be released as it stands (field -> message); empty if it can."""
    errors: dict[str, str] = {}
    if not state["unreleased"]:
        errors["release"] = ("There are no draft decisions to release: every decision on the board is released "
                             "already, or none is drafted yet." if state["rows"] else
                             "There are no applications to decide, so there is nothing to release.")
        return errors
    if state["undecided"]:
        count = state["undecided"]
        errors["release"] = (f"{count} application{'s' if count != 1 else ''} still "
                             f"{'have' if count != 1 else 'has'} no decision: decide every application first.")
    zero_hours = [r for r in state["rows"] if r["state"] == "draft" and r["draft"]["outcome"] == "award"
                  and state["offer_kind"] == "ta_hours" and not r["draft"]["quantity"]]
    if zero_hours:
        errors["hours"] = "Enter the hours of technical assistance for: " + _titles(zero_hours) + "."
    missing_tie = [r for r in state["rows"] if r["state"] == "draft" and r["needs_tie_break"]
                   and not r["draft"]["tie_break_note"]]
    if missing_tie:
        errors["tie_break_note"] = ("Tied applications fall on both sides of the funding line: record the tie-break "
                                    "rule with the decision of: " + _titles(missing_tie) + ".")
    if state["over_budget"] and not confirmed.over_budget:
        if state["unit"] == "seat":
            errors["confirm_over_budget"] = (
                f"The awards take {seats(state['committed'] + state['drafted'])}, {seats(state['over_budget'])} "
                f"more than the cohort's {seats(state['capacity'])}. Tick the confirmation to release them all.")
        else:
            errors["confirm_over_budget"] = (
                f"The awards come to {money(state['committed_cents'] + state['draft_award_cents'])}, "
                f"{money(state['over_budget'])} more than the budget of {money(state['budget_cents'])}. "
                "Tick the confirmation to release over budget.")
    if state["early"] and not confirmed.before_deadline:
        errors["confirm_before_deadline"] = (
            "The program's deadline has not passed: cities can still apply, and their applications would miss "
            "this round. Tick the confirmation to release before the deadline.")
    few = [r for r in state["few_reviews"] if r["state"] == "draft"]
    if few and not confirmed.few_reviews:
        errors["confirm_few_reviews"] = (
            f"{len(few)} decision{'s' if len(few) != 1 else ''} to release "
            f"{'are' if len(few) != 1 else 'is'} on fewer than {state['reviews_needed']} review"
            f"{'s' if state['reviews_needed'] != 1 else ''}: {_titles(few)}. Tick the confirmation to release "
            "them all the same.")
    return errors


def award_of_draft(terms: dict[str, Any], draft: dict[str, Any], offer_kind: str) -> AwardInput:
    """The award an award draft becomes at release: its amount (money, or the value of a seat or of hours), its
    hours of technical assistance stored on the award (`ta_hours`; a cohort seat's quantity is the seat, not
    hours), the program's conditions and award period. The hours are not written into the conditions: the
    letter and the pages say them from the record (portal/awards/terms.py)."""
    hours = int(draft["quantity"] or 0) if offer_kind != "cohort_seat" else 0
    return AwardInput(amount_cents=int(draft["amount_cents"]), conditions=terms.get("letter_conditions") or "",
                      start_date=terms.get("award_start"), end_date=terms.get("award_end"), ta_hours=hours)


async def release(actor: Actor, program: ProgramRecord, confirmed: Confirmations, public_url: str,
                  files_dir: Path) -> dict[str, int]:
    """Release every draft of the round at once; returns counts {"award", "decline", "waitlist"}.

    In one transaction: for each draft in board order, an award through services.decide_award, a decline
    through services.decline_application, or a waitlist email `decision_waitlisted` to each city member with
    an audit row `application.waitlisted`; each draft's `released_at` (and `award_id`) set; one audit row
    `decisions.released`, which records what staff confirmed (over the budget or seats, before the deadline,
    the applications decided on fewer reviews than the panel asks for). Drafts already released are left alone.
    Raises Invalid (nothing written) if there is no draft to release (so a second release, or a double submit,
    sends nothing and says so), an application has no decision, a tie-break rule is missing, or the awards
    exceed the budget, the deadline has not passed or an application has too few reviews without the matching
    confirmation.
    """
    counts = {"award": 0, "decline": 0, "waitlist": 0}
    awarded: list[int] = []
    async with write_transaction():
        await _lock_program(program.id)
        state = await decision_queries.board(program)
        drafts = [r for r in state["rows"] if r["state"] == "draft"]
        problems = release_problems(state, confirmed)
        if problems:
            raise Invalid(problems)
        terms = state["terms"]
        details = await Program.select(Program.id, Program.title, Program.network.name.as_alias("network_name"),
                                       Program.contact_email).where(Program.id == program.id).first()
        assert details is not None  # the program whose drafts these are
        now = clock.now()
        for row in drafts:
            draft = row["draft"]
            award_id = None
            if draft["outcome"] == "award":
                award = award_of_draft(terms, draft, state["offer_kind"])
                try:
                    # Over the budget only when staff confirmed it (release_problems refused otherwise); the
                    # letters are made after the commit, so a rolled-back release leaves no file behind.
                    award_id = await services.decide_award(actor, row["id"], award, public_url, files_dir,
                                                           allow_over_budget=confirmed.over_budget,
                                                           make_letter=False)
                except Invalid as exc:
                    raise Invalid({"release": f"{row['title'] or 'Untitled application'}: "
                                   + " ".join(exc.errors.values())}) from exc
                awarded.append(award_id)
            elif draft["outcome"] == "decline":
                await services.decline_application(actor, row["id"], draft["note"] or DEFAULT_DECLINE_NOTE,
                                                   public_url)
            else:
                await _waitlist(actor, row, details, draft["note"], public_url)
            await Decision.update({Decision.released_at: now, Decision.award_id: award_id}).where(
                Decision.id == draft["id"])
            counts[draft["outcome"]] += 1
        over = {"over_seats": state["over_budget"]} if state["unit"] == "seat" else {
            "over_budget_cents": state["over_budget"]}
        await audit.record(actor, "decisions.released", "program", program.id, **counts, **over,
                           before_deadline=state["early"],
                           few_reviews=[r["id"] for r in state["few_reviews"] if r["state"] == "draft"])
    for award_id in awarded:
        await services.make_letter_quietly(actor, award_id, files_dir)
    return counts


async def _waitlist(actor: Actor, row: dict[str, Any], program: dict[str, Any], note: str, public_url: str) -> None:
    from portal.applications.tables import Application

    application = await Application.select(Application.organisation, Application.status).where(
        Application.id == row["id"]).first()
    if application is None or application["status"] != "submitted":
        raise Conflict(services.undecidable_message(application["status"] if application else "withdrawn"))
    await audit.record(actor, "application.waitlisted", "application", row["id"])
    for member in await queries.city_member_emails(application["organisation"]):
        await queue_email(member["email"], "decision_waitlisted", {
            "name": member["name"], "program": program, "application_title": row["title"], "note": note,
            "link": f"{public_url}/dashboard",
        }, program=program["id"], application=row["id"])
