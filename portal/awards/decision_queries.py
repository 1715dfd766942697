"""The decision board of a program round: the ranked applications, their draft decisions, the running total
against the program's budget and the funding line.

Rules, as the board names them:

- Order (ORDER_RULE): the panel's final ranking (reviews/meeting.py `final_ranking`) where staff saved one,
  otherwise the panel ranking (reviews/ranking.py `panel_ranking`); applications the ranking leaves out
  (not scored) follow, by title.
- Proposed amount: an award (released, or decided on the application's own page) counts its amount; an award
  draft its amount; a decline or waitlist draft nothing; an application with no decision yet the amount it
  requested, capped at the program's largest award.
- Funding line (LINE_RULE): walking down the order, the running total of proposed amounts; the line falls
  before the first application whose proposed amount takes the running total past the budget. Everything from
  there on is "below the line".
- Tie-break: applications sharing a rank are tied; when a tied group has applications on both sides of the
  line, every decision in it must record the tie-break rule used.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from portal.applications.tables import Application
from portal.awards.decision_tables import Decision
from portal.awards.tables import Award
from portal.programs.tables import Program
from portal.reviews.meeting import final_ranking
from portal.reviews.queries import REVIEWABLE_STATUSES
from portal.reviews.ranking import panel_ranking

ORDER_RULE = ("Order: the panel's final ranking where staff saved one, otherwise the panel ranking; "
              "applications without a rank follow by title")
LINE_RULE = ("Funding line: the running total of proposed amounts (awards and award drafts at their amount, "
             "declines and waitlists at nothing, undecided applications at the amount requested, capped at the "
             "largest award) reaches the budget; the first application that would take it past the budget and "
             "every one after it are below the line")
TIE_RULE = ("Tied applications share a rank; when a tied group falls on both sides of the funding line, each of "
            "its decisions must record the tie-break rule")
OUTCOME_LABELS = {"award": "Award", "decline": "Decline", "waitlist": "Waitlist"}
QUANTITY_LABELS = {"ta_hours": "hours", "cohort_seat": "seat"}


async def program_terms(program_id: int) -> dict[str, Any]:
    """What the board needs of the program beyond the staff page's row."""
    row = await Program.select(Program.offer_kind, Program.offer_text, Program.max_award_cents,
                               Program.budget_cents, Program.letter_conditions, Program.award_start,
                               Program.award_end).where(Program.id == program_id).first()
    return row or {}


async def ranked_ids(program_id: int) -> tuple[list[tuple[int, int | None]], str]:
    """[(application id, rank)] in board order, and which ranking it came from ("final" | "panel")."""
    final = await final_ranking(program_id)
    if final:
        ranked = [(r["application"], r["final_rank"]) for r in final]
        source = "final"
    else:
        ranking = await panel_ranking(program_id)
        ranked = [(r["id"], r["rank"]) for r in ranking.scored]
        source = "panel"
    return ranked, source


async def drafts_of(program_id: int) -> dict[int, dict[str, Any]]:
    rows = await Decision.select().where(Decision.program == program_id)
    return {r["application"]: r for r in rows}


async def board(program: dict[str, Any]) -> dict[str, Any]:
    """Every row of the board with running totals and which side of the line it is on (see the module rules)."""
    program_id = program["id"]
    terms = await program_terms(program_id)
    budget = int(terms.get("budget_cents") or 0)
    cap = int(terms.get("max_award_cents") or 0)
    ranked, source = await ranked_ids(program_id)
    applications = await Application.select(
        Application.id, Application.title, Application.status, Application.requested_cents,
        Application.organisation.name.as_alias("city_name"), Application.organisation.state.as_alias("city_state"),
    ).where((Application.program == program_id) & Application.status.is_in(list(REVIEWABLE_STATUSES)))
    by_id = {a["id"]: a for a in applications}
    ranks = {app_id: rank for app_id, rank in ranked if app_id in by_id}
    order = [app_id for app_id, _ in ranked if app_id in by_id]
    order += [a["id"] for a in sorted(applications, key=lambda a: ((a["title"] or "").lower(), a["id"]))
              if a["id"] not in ranks]
    drafts = await drafts_of(program_id)
    award_rows = await Award.select(Award.id, Award.application, Award.amount_cents, Award.status).where(
        Award.application.program == program_id)
    awards = {a["application"]: a for a in award_rows}
    rows: list[dict[str, Any]] = []
    running, line_at = 0, None
    for position, app_id in enumerate(order, start=1):
        application = by_id[app_id]
        draft = drafts.get(app_id)
        award = awards.get(app_id)
        requested = int(application["requested_cents"] or 0)
        default_amount = min(requested, cap) if cap > 0 else requested
        if award is not None:
            proposed, state = int(award["amount_cents"]), "awarded"
        elif application["status"] == "declined":
            proposed, state = 0, "declined"
        elif draft is not None:
            proposed = int(draft["amount_cents"]) if draft["outcome"] == "award" else 0
            state = "released" if draft["released_at"] is not None else "draft"
        else:
            proposed, state = default_amount, "undecided"
        running += proposed
        if line_at is None and running > budget:
            line_at = position
        rows.append({
            "id": app_id, "position": position, "rank": ranks.get(app_id), "title": application["title"],
            "city": application["city_name"] + (f", {application['city_state']}" if application["city_state"] else ""),
            "status": application["status"], "requested_cents": requested, "default_amount_cents": default_amount,
            "draft": draft, "award": award, "state": state, "proposed_cents": proposed, "running_cents": running,
            "above": line_at is None, "open": application["status"] == "submitted" and state in ("undecided", "draft"),
        })
    straddling = straddling_ranks(rows)
    shared = Counter(r["rank"] for r in rows if r["rank"] is not None)
    for row in rows:
        row["tied"] = shared.get(row["rank"], 0) > 1
        row["needs_tie_break"] = row["rank"] in straddling
    award_drafts = sum(int(r["draft"]["amount_cents"]) for r in rows
                       if r["draft"] and r["draft"]["outcome"] == "award" and r["state"] == "draft")
    committed = sum(int(a["amount_cents"]) for a in awards.values())
    return {
        "rows": rows, "source": source, "budget_cents": budget, "max_award_cents": cap,
        "offer_kind": terms.get("offer_kind") or "cash", "terms": terms,
        "line_at": line_at, "above_count": sum(1 for r in rows if r["above"]),
        "below_count": sum(1 for r in rows if not r["above"]),
        "total_cents": running, "committed_cents": committed, "draft_award_cents": award_drafts,
        "over_budget_cents": max(0, committed + award_drafts - budget),
        "unreleased": sum(1 for r in rows if r["state"] == "draft"),
        "undecided": sum(1 for r in rows if r["state"] == "undecided" and r["status"] == "submitted"),
        "straddling": sorted(straddling),
    }


def straddling_ranks(rows: list[dict[str, Any]]) -> set[int]:
    """Ranks shared by applications on both sides of the funding line."""
    sides: dict[int, set[bool]] = {}
    for row in rows:
        if row["rank"] is not None:
            sides.setdefault(row["rank"], set()).add(row["above"])
    return {rank for rank, seen in sides.items() if len(seen) == 2}
