"""The decision board as typed, immutable records (the pattern of portal/payments/records.py): the `decision` row
(`DecisionRecord`), what the board reads of its program (`BoardTerms`) and of the awards made (`BoardAward`), and
the board itself as `queries.board` computes it (`Board`, one `BoardRow` per application; the rules are in
queries.py)."""

from __future__ import annotations

from datetime import date, datetime

import msgspec

from portal.core.records import Record


class DecisionRecord(Record, frozen=True):
    """Every column of `decision`: one application's draft (or released) decision on the decision board."""

    id: int
    program: int
    application: int
    outcome: str  # award | decline | waitlist
    amount_cents: int
    quantity: int
    tie_break_note: str
    note: str
    decided_by: int
    updated_at: datetime
    released_at: datetime | None
    award_id: int | None


class BoardTerms(msgspec.Struct, frozen=True):
    """What the board needs of the program beyond the staff page's record (`queries.program_terms`)."""

    offer_kind: str
    offer_text: str
    max_award_cents: int
    budget_cents: int
    letter_conditions: str
    award_start: date | None
    award_end: date | None
    seats: int
    max_ta_hours: int
    rolling_decisions: bool
    deadline_at: datetime | None
    grace_minutes: int
    timezone: str


class BoardAward(msgspec.Struct, frozen=True):
    """An award made to an application on the board (released from it, or decided on the application's page)."""

    id: int
    application: int
    amount_cents: int
    status: str


class BoardRow(msgspec.Struct, frozen=True):
    """One application on the board, where it stands and what it counts (see the rules in queries.py)."""

    id: int  # the application's
    position: int
    rank: int | None
    title: str
    city: str  # "Name, ST"
    status: str  # the application's
    requested_cents: int
    default_amount_cents: int  # what an award drafts by default: the amount requested, capped at the largest award
    draft: DecisionRecord | None
    award: BoardAward | None
    state: str  # awarded | declined | released | draft | undecided
    counted: bool
    proposed: int  # in the board's unit
    proposed_cents: int
    running: int
    side: str  # above | below | "" (not counted)
    above: bool
    open: bool  # can still be drafted here
    reviews: int
    few_reviews: bool
    tied: bool = False
    needs_tie_break: bool = False


class Board(msgspec.Struct, frozen=True):
    """A program round's decision board (`queries.board`)."""

    rows: list[BoardRow]
    source: str  # final | panel
    unit: str  # seat | cents
    budget_cents: int
    seats: int
    capacity: int
    max_award_cents: int
    offer_kind: str
    terms: BoardTerms
    line_at: int | None
    has_line: bool
    above_count: int
    below_count: int
    uncounted_count: int
    total: int
    committed: int
    drafted: int
    committed_cents: int
    draft_award_cents: int
    hours: int
    over_budget: int
    unreleased: int
    undecided: int
    straddling: list[int]
    early: bool
    deadline_at: datetime | None
    timezone: str
    rolling: bool
    reviews_needed: int
    few_reviews: list[BoardRow]
