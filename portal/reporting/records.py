"""Follow-up reports as the rest of the portal sees them: typed, immutable records (the pattern of
portal/payments/records.py).

`ReportRecord` holds every column of `report`; `ReportDetail` adds what one report's page, its access check and its
email read of its award, city and program (`queries.REPORT_COLUMNS`); `DueReport` is a row of a grantee's
dashboard, read in one round trip of plain SQL. The answers stay a JSON document (`Answers`): their keys are the
fields of the program's report form, not columns."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import msgspec

from portal import db

Answers = dict[str, object]
"""A report's answers: the form's field keys to the values formdef parsed (portal/programs/formdef.py)."""


class ReportRecord(msgspec.Struct, frozen=True):
    """Every column of `report` (portal/reporting/tables.py)."""

    id: int
    award: int
    form_version: int
    kind: str  # interim | final
    due_on: date
    status: str  # draft | submitted | approved (by staff)
    answers: Answers
    version: int
    submitted_at: datetime | None
    submitted_by: int | None
    updated_at: datetime


class ReportDetail(ReportRecord, frozen=True):
    """A report with its award's amount, application, city and program."""

    amount_cents: int
    application_id: int
    application_title: str
    city_id: int
    city_name: str
    program_id: int
    program_title: str
    network_id: int
    contact_email: str
    program_timezone: str

    @classmethod
    def of(cls, row: dict[str, Any]) -> ReportDetail:
        """From a row of `queries.REPORT_COLUMNS`, its answers loaded (`output(load_json=True)`)."""
        return cls(**row)


class DueReport(msgspec.Struct, frozen=True):
    """A report still to submit, on a grantee's dashboard (`queries.DUE_FOR_CITIES_SQL`)."""

    id: int
    kind: str
    due_on: date
    program_title: str
    city_name: str
    application_id: int
    overdue: bool  # due before the day it was read

    @classmethod
    def of(cls, row: dict[str, Any], today: date) -> DueReport:
        """From raw SQL (`db.to_date` takes a date or its stored text alike, whichever the engine hands back)."""
        due_on = db.to_date(row["due_on"])
        assert due_on is not None  # report.due_on is NOT NULL
        return cls(**(row | {"due_on": due_on, "overdue": due_on < today}))
