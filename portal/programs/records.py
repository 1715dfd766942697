"""Programs, their forms and their rubrics as the rest of the portal sees them: typed, immutable records built once
from a row as Piccolo or raw SQL hands it back (the pattern of portal/payments/records.py; docs/architecture.md,
"Types"). A read that joins or computes columns returns a record named for what its caller gets (`PublicProgram`, a
row of the public list); one program read whole is a `ProgramRecord`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Protocol

import msgspec

from portal.core.records import Record

from portal import db
from portal.core import clock
from portal.programs.formdef import Schema


class Schedule(Protocol):
    """What the deadline rules read of a program (programs/rules.py, applications/rules.py): its status, when it
    opens, its deadline (UTC) and the grace period after it. A `ProgramRecord` is one."""

    @property
    def status(self) -> str: ...
    @property
    def opens_at(self) -> datetime: ...
    @property
    def deadline_at(self) -> datetime: ...
    @property
    def grace_minutes(self) -> int: ...


class ProgramSchedule(msgspec.Struct, frozen=True):
    """A program's `Schedule` alone, where a read has only those columns (a list row joined to its program)."""

    status: str
    opens_at: datetime
    deadline_at: datetime
    grace_minutes: int


class ProgramRecord(Record, frozen=True):
    """Every column of `program` (portal/programs/tables.py) but `eligibility` (a JSON document, read by
    `queries.get_eligibility`), and the name of the network that runs it, which every page about one program
    shows."""

    id: int
    network: int
    network_name: str
    slug: str
    title: str
    summary: str
    description: str
    offer_kind: str  # cash | cohort_seat | ta_hours | travel
    offer_text: str
    budget_cents: int
    max_award_cents: int
    seats: int
    max_ta_hours: int
    rolling_decisions: bool
    status: str  # draft | open | closed
    opens_at: datetime
    deadline_at: datetime  # UTC
    timezone: str
    grace_minutes: int
    letter_signatory: str
    letter_conditions: str
    award_start: date | None
    award_end: date | None
    contact_email: str
    created_at: datetime


class PublicProgram(msgspec.Struct, frozen=True):
    """A row of the public list of programs (`queries.list_public_programs`): what the list shows, the network's
    name, and whether it takes applications now (`is_open`, by the server clock)."""

    id: int
    slug: str
    title: str
    summary: str
    offer_kind: str
    offer_text: str
    max_award_cents: int
    budget_cents: int
    status: str
    opens_at: datetime
    deadline_at: datetime
    timezone: str
    network_name: str
    is_open: bool

    @classmethod
    def of(cls, row: dict[str, Any], now: datetime) -> PublicProgram:
        """The record of a row of `queries.PUBLIC_LIST_SQL` (timestamps as SQLite's text or PostgreSQL's
        datetimes), open if it takes applications at `now`: open status, and opens_at <= now < deadline_at."""
        opens_at, deadline_at = db.to_datetime(row["opens_at"]), db.to_datetime(row["deadline_at"])
        assert opens_at is not None and deadline_at is not None  # NOT NULL columns
        is_open = row["status"] == "open" and clock.as_utc(opens_at) <= now < clock.as_utc(deadline_at)
        return cls(**(row | {"opens_at": opens_at, "deadline_at": deadline_at, "is_open": is_open}))


class FormVersionRecord(Record, frozen=True):
    """Every column of `form_version`: one version of a program's application or report form, its schema (a JSON
    document: portal/programs/formdef.py) loaded."""

    id: int
    program: int
    kind: str  # application | report
    version: int
    title: str
    schema: Schema
    created_at: datetime


class CriterionRecord(Record, frozen=True):
    """Every column of `criterion`: one criterion of a program's weighted rubric."""

    id: int
    program: int
    position: int
    name: str
    description: str
    weight: int  # relative weight, e.g. 30 for 30 %
    scale_min: int
    scale_max: int
    scale_step: float  # 1: whole points; 0.5: half points
    lower_is_better: bool
    threshold: float | None  # a review's score on this criterion must reach it (None: no threshold)

