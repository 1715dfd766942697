"""The decision board of a program round: the ranked applications, their draft decisions, the running total
against the program's budget and the funding line.

The board counts in the program's unit (`unit`): seats for a cohort-seat program (against `program.seats`,
when the program sets them), money (cents) for every other kind (against `program.budget_cents`; a
technical-assistance award counts the value of its hours, and its hours are shown beside it).

Rules, as the board names them:

- Order (ORDER_RULE): the panel's final ranking (reviews/meetings/queries.py `final_ranking`) where staff saved one,
  otherwise the panel ranking (reviews/ranking/queries.py `panel_ranking`); applications the ranking leaves out
  (not scored) follow, by title.
- Proposed (counted) amount: an award (released, or decided on the application's own page) counts its amount
  (one seat); an award draft its amount (one seat); an application with no decision yet the amount it
  requested, capped at the program's largest award (one seat). A declined application and a decline or
  waitlist draft (or released waitlist) count nothing and are on neither side of the line.
- Funding line (LINE_RULE): walking down the order, the running total of what is counted; the line falls
  before the first counted application that takes the running total past the budget (the seats). Every counted
  application from there on is "below the line". A cohort program that sets no number of seats has no line.
- Tie-break: applications sharing a rank are tied; when a tied group has applications on both sides of the
  line, every decision in it must record the tie-break rule used.
- Warnings (`warnings`): deciding before the program's deadline (plus its grace minutes), unless the program
  decides as applications arrive (`program.rolling_decisions`); and deciding an application with fewer counted
  reviews (reviews/ranking/rules.py: submitted, not conflicted) than the panel asks for each (at least one). The
  release asks staff to confirm each (services.release_problems).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from msgspec.structs import replace

from portal.applications.tables import Application
from portal.awards.decisions.records import Board, BoardAward, BoardRow, BoardTerms, DecisionRecord
from portal.awards.decisions.tables import Decision
from portal.awards.tables import Award
from portal.core import clock
from portal.core.errors import NotFound
from portal.programs.tables import Program
from portal.reviews.meetings.queries import final_ranking
from portal.reviews.queries import REVIEWABLE_STATUSES
from portal.reviews.ranking.queries import panel_ranking
from portal.reviews.ranking.rules import Ranking

ORDER_RULE = ("Order: the panel's final ranking where staff saved one, otherwise the panel ranking; "
              "applications without a rank follow by title")
LINE_RULE = ("Funding line: the running total of proposed amounts (awards and award drafts at their amount, "
             "undecided applications at the amount requested, capped at the largest award) reaches the budget; "
             "the first application that would take it past the budget and every one after it are below the "
             "line. Declines and waitlists count nothing and are on neither side of the line")
SEAT_LINE_RULE = ("Seat line: each award, award draft and undecided application takes one seat; the first "
                  "application past the cohort's seats and every one after it are below the line. Declines and "
                  "waitlists take no seat and are on neither side of the line")
TIE_RULE = ("Tied applications share a rank; when a tied group falls on both sides of the line, each of "
            "its decisions must record the tie-break rule")
OUTCOME_LABELS = {"award": "Award", "decline": "Decline", "waitlist": "Waitlist"}
QUANTITY_LABELS = {"ta_hours": "hours", "cohort_seat": "seat"}


def unit_of(offer_kind: str) -> str:
    """What the board counts for a program of this offer kind: "seat" or "cents"."""
    return "seat" if offer_kind == "cohort_seat" else "cents"


def seats(count: int) -> str:
    """`1 seat`, `3 seats`."""
    return f"{count:,} seat{'s' if count != 1 else ''}"


def rules_of(offer_kind: str) -> list[str]:
    """The rules the board states, in the program's unit."""
    return [ORDER_RULE, SEAT_LINE_RULE if unit_of(offer_kind) == "seat" else LINE_RULE, TIE_RULE]


async def program_terms(program_id: int) -> BoardTerms:
    """What the board needs of the program beyond the staff page's record; NotFound for no such program."""
    row = await Program.select(Program.offer_kind, Program.offer_text, Program.max_award_cents,
                               Program.budget_cents, Program.letter_conditions, Program.award_start,
                               Program.award_end, Program.seats, Program.max_ta_hours, Program.rolling_decisions,
                               Program.deadline_at, Program.grace_minutes, Program.timezone,
                               ).where(Program.id == program_id).first()
    if row is None:
        raise NotFound()
    return BoardTerms(**row)


async def ranked_ids(program_id: int) -> tuple[list[tuple[int, int | None]], str, Ranking]:
    """[(application id, rank)] in board order, which ranking it came from ("final" | "panel"), and the panel
    ranking (whose review counts the board's warnings use)."""
    ranking = await panel_ranking(program_id)
    final = await final_ranking(program_id)
    if final:
        return [(r.application, r.final_rank) for r in final], "final", ranking
    return [(r.id, r.rank) for r in ranking.scored], "panel", ranking


def reviews_needed(ranking: Ranking) -> int:
    """How many counted reviews an application should have before it is decided: the panel's reviews per
    application, at least one (and one when the program has no panel)."""
    return max(1, ranking.panel.reviews_per_application if ranking.panel else 0)


def decides_early(terms: BoardTerms) -> bool:
    """Is it before the program's deadline (and grace), for a program that does not decide as applications
    arrive?"""
    deadline = terms.deadline_at
    if terms.rolling_decisions or deadline is None:
        return False
    closes: datetime = deadline + timedelta(minutes=int(terms.grace_minutes or 0))
    return clock.now() < closes


async def drafts_of(program_id: int) -> dict[int, DecisionRecord]:
    rows = await Decision.select().where(Decision.program == program_id)
    return {r["application"]: DecisionRecord.of(r) for r in rows}


async def board(program_id: int) -> Board:
    """Every row of the board with running totals and which side of the line it is on (see the module rules)."""
    terms = await program_terms(program_id)
    offer_kind = terms.offer_kind or "cash"
    unit = unit_of(offer_kind)
    budget = int(terms.budget_cents or 0)
    seats = int(terms.seats or 0)
    capacity = seats if unit == "seat" else budget
    cap = int(terms.max_award_cents or 0)
    ranked, source, ranking = await ranked_ids(program_id)
    needed = reviews_needed(ranking)
    applications = await Application.select(
        Application.id, Application.title, Application.status, Application.requested_cents,
        Application.organisation._.name.as_alias("city_name"),
        Application.organisation._.state.as_alias("city_state"),
    ).where((Application.program == program_id) & Application.status.is_in(list(REVIEWABLE_STATUSES)))
    by_id = {a["id"]: a for a in applications}
    ranks = {app_id: rank for app_id, rank in ranked if app_id in by_id}
    order = [app_id for app_id, _ in ranked if app_id in by_id]
    order += [a["id"] for a in sorted(applications, key=lambda a: ((a["title"] or "").lower(), a["id"]))
              if a["id"] not in ranks]
    drafts = await drafts_of(program_id)
    award_rows = await Award.select(Award.id, Award.application, Award.amount_cents, Award.status).where(
        Award.application._.program == program_id)
    awards = {a["application"]: BoardAward(**a) for a in award_rows}
    rows: list[BoardRow] = []
    running, line_at = 0, None
    for position, app_id in enumerate(order, start=1):
        application = by_id[app_id]
        draft = drafts.get(app_id)
        award = awards.get(app_id)
        requested = int(application["requested_cents"] or 0)
        default_amount = min(requested, cap) if cap > 0 else requested
        if award is not None:
            proposed_cents, state = int(award.amount_cents), "awarded"
        elif application["status"] == "declined":
            proposed_cents, state = 0, "declined"
        elif draft is not None:
            proposed_cents = int(draft.amount_cents) if draft.outcome == "award" else 0
            state = "released" if draft.released_at is not None else "draft"
        else:
            proposed_cents, state = default_amount, "undecided"
        # Only what may be funded counts: a decline or a waitlist is on neither side of the line.
        counted = state in ("awarded", "undecided") or (draft is not None and draft.outcome == "award"
                                                         and state in ("draft", "released"))
        proposed = (1 if unit == "seat" else proposed_cents) if counted else 0
        running += proposed
        if counted and line_at is None and (unit == "cents" or capacity > 0) and running > capacity:
            line_at = position
        side = ("above" if line_at is None else "below") if counted else ""
        ranking_row = ranking.by_id.get(app_id)
        reviews = ranking_row.n if ranking_row is not None else 0
        open_ = application["status"] == "submitted" and state in ("undecided", "draft")
        rows.append(BoardRow(
            id=app_id, position=position, rank=ranks.get(app_id), title=application["title"],
            city=application["city_name"] + (f", {application['city_state']}" if application["city_state"] else ""),
            status=application["status"], requested_cents=requested, default_amount_cents=default_amount,
            draft=draft, award=award, state=state, counted=counted, proposed=proposed,
            proposed_cents=proposed_cents if counted else 0, running=running, side=side,
            above=side == "above", open=open_, reviews=reviews, few_reviews=open_ and reviews < needed,
        ))
    straddling = straddling_ranks(rows)
    shared = Counter(r.rank for r in rows if r.rank is not None)
    rows = [replace(row, tied=row.rank is not None and shared[row.rank] > 1, needs_tie_break=row.rank in straddling)
            for row in rows]
    award_drafts = [r.draft for r in rows if r.draft and r.draft.outcome == "award" and r.state == "draft"]
    draft_award_cents = sum(int(d.amount_cents) for d in award_drafts)
    committed_cents = sum(int(a.amount_cents) for a in awards.values())
    committed = len(awards) if unit == "seat" else committed_cents
    drafted = len(award_drafts) if unit == "seat" else draft_award_cents
    return Board(
        rows=rows, source=source, unit=unit, budget_cents=budget, seats=seats,
        capacity=capacity, max_award_cents=cap, offer_kind=offer_kind, terms=terms,
        line_at=line_at, has_line=unit == "cents" or capacity > 0,
        above_count=sum(1 for r in rows if r.side == "above"),
        below_count=sum(1 for r in rows if r.side == "below"),
        uncounted_count=sum(1 for r in rows if not r.counted),
        total=running, committed=committed, drafted=drafted,
        committed_cents=committed_cents, draft_award_cents=draft_award_cents,
        hours=sum(int(r.draft.quantity or 0) for r in rows
                  if r.draft and r.draft.outcome == "award" and unit == "cents"),
        over_budget=max(0, committed + drafted - capacity) if unit == "cents" or capacity > 0 else 0,
        unreleased=sum(1 for r in rows if r.state == "draft"),
        undecided=sum(1 for r in rows if r.state == "undecided" and r.status == "submitted"),
        straddling=sorted(straddling),
        early=decides_early(terms), deadline_at=terms.deadline_at, timezone=terms.timezone or "UTC",
        rolling=bool(terms.rolling_decisions), reviews_needed=needed, few_reviews=[r for r in rows if r.few_reviews],
    )


def straddling_ranks(rows: list[BoardRow]) -> set[int]:
    """Ranks shared by applications on both sides of the funding line."""
    sides: dict[int, set[str]] = {}
    for row in rows:
        if row.rank is not None and row.side:
            sides.setdefault(row.rank, set()).add(row.side)
    return {rank for rank, seen in sides.items() if len(seen) == 2}
