"""Applications as the rest of the portal sees them: typed, immutable records (the pattern of
portal/payments/records.py; docs/architecture.md, "Types").

`ApplicationRecord` holds every column of `application`, `ApplicationFileRecord` every column of `application_file`.
A read that joins or computes returns a record named for what its caller gets: `ApplicationWithCity` (the row with
the applying city's name: what the services lock and the emails show), `ApplicationForUser` (what
`access.get_application_for` hands over: the program itself, the user's rights and place on the team),
`ApplicationRow` (a row of an applicant's list, read in one round trip of plain SQL) and `ListedApplication` (that
row with its deadline, next step and reports due), `NeutralFile` (a file as a blind reviewer sees it). The answers
stay a JSON document (`Answers`): their shape is the form's (portal/programs/formdef.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Protocol, Self

import msgspec

from portal.core.records import Record

from portal import db
from portal.programs.records import ProgramRecord

Answers = dict[str, Any]
"""A form's answers, keyed by field key (a JSON object; each value's shape is its field type's, formdef.py)."""

_APPLICATION_TIMES = ("created_at", "updated_at", "submitted_at", "extended_deadline_at")
"""Timestamps: SQLite hands them back to raw SQL as their stored text, PostgreSQL as datetimes."""


def _answers(value: object) -> Answers:
    """A JSON column as Piccolo hands it back: a dict with `output(load_json=True)`, else its text."""
    if isinstance(value, (str, bytes)):
        value = msgspec.json.decode(value or b"{}")
    return value if isinstance(value, dict) else {}


class _ApplicationColumns(msgspec.Struct, frozen=True):
    """Every column of `application` (portal/applications/tables.py) but `program`, which the records below name
    as their callers need it (its id, or the program itself)."""

    id: int
    organisation: int
    form_version: int
    status: str  # draft | submitted | awarded | declined | withdrawn (rules.TRANSITIONS)
    title: str
    answers: Answers
    version: int  # bumped on every save: the optimistic-lock token
    field_versions: dict[str, object]  # field key -> the version that last changed it (services.changed_since)
    requested_cents: int
    created_by: int  # the owner
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    submitted_by: int | None
    receipt_number: str | None
    content_sha256: str
    decision_note: str
    extended_deadline_at: datetime | None
    extension_reason: str
    submission_count: int
    status_reason: str


class ApplicationRecord(_ApplicationColumns, frozen=True):
    """Every column of `application`."""

    program: int

    @classmethod
    def of(cls, row: dict[str, Any]) -> Self:
        """The record of a row with every column (and, for a subclass, its own), as Piccolo or raw SQL hands it
        back: JSON columns as dicts or text, timestamps as datetimes or text."""
        return cls(**(row | {"answers": _answers(row["answers"]), "field_versions": _answers(row["field_versions"])}
                      | {name: db.to_datetime(row[name]) for name in _APPLICATION_TIMES}))


class ApplicationWithCity(ApplicationRecord, frozen=True):
    """An application with the applying city's name (`access.load_application`)."""

    organisation_name: str


class TeamPlace(msgspec.Struct, frozen=True):
    """One user's place on an application's team, and who signs (only a member of the team may know)."""

    role: str | None  # owner | editor | viewer | None
    signer_id: int  # the named signer, or the owner
    signer_name: str  # "" for those who may not see the team


class ApplicationForUser(_ApplicationColumns, frozen=True):
    """An application as `access.get_application_for` hands it to one user: its columns, the city's name, its
    program (under `program`, its id under `program_id`), the needs the user has (`rights`: templates show only
    what the server would allow), whether they read it blind, and their place on the team."""

    organisation_name: str
    program_id: int
    program: ProgramRecord
    rights: tuple[str, ...]
    blind: bool
    team: TeamPlace


class ApplicationRow(msgspec.Struct, frozen=True):
    """A row of an applicant's list (`queries.list_applications_for_cities`, `team.queries.list_team_applications`):
    the application, its city, and its program's schedule."""

    id: int
    status: str
    title: str
    requested_cents: int
    updated_at: datetime
    submitted_at: datetime | None
    receipt_number: str | None
    organisation: int
    city_name: str
    program_id: int
    program_title: str
    program_slug: str
    program_status: str
    opens_at: datetime
    deadline_at: datetime
    timezone: str
    grace_minutes: int
    extended_deadline_at: datetime | None

    @classmethod
    def of(cls, row: dict[str, Any]) -> Self:
        """The record of a row of the list's plain SQL (SQLite hands back its timestamps as text)."""
        return cls(**(row | {name: db.to_datetime(row[name]) for name in
                             ("updated_at", "submitted_at", "opens_at", "deadline_at", "extended_deadline_at")}))


class ReminderCandidate(msgspec.Struct, frozen=True):
    """A draft whose deadline may fall in the next 7 days (`lifecycle.send_deadline_reminders`, plain SQL): what
    the reminder email shows of it."""

    id: int
    organisation: int
    title: str
    extended_deadline_at: datetime | None
    organisation_name: str
    program_id: int

    @classmethod
    def of(cls, row: dict[str, Any]) -> Self:
        return cls(**(row | {"extended_deadline_at": db.to_datetime(row["extended_deadline_at"])}))


class RowDeadline(msgspec.Struct, frozen=True):
    """The deadline of a row of the applicant's list, as the list shows it (`rules.list_row_deadline`)."""

    deadline_shown: datetime  # its extension, or the program's deadline
    countdown: str  # in the last days of a draft
    accepting: bool  # a submission would be taken now


class ReportDue(Protocol):
    """A report the grantee has still to submit, as the applicant's list shows it: reporting.records.DueReport is one
    (reporting sits above applications, so the list names only what it reads)."""

    @property
    def id(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def due_on(self) -> date: ...
    @property
    def overdue(self) -> bool: ...


class ListedApplication(ApplicationRow, frozen=True):
    """A row of the applicant's list as the dashboard and /applications show it (`dashboard.applicant_rows`): its
    deadline (`RowDeadline`'s fields), what comes next, and the reports due."""

    deadline_shown: datetime
    countdown: str
    accepting: bool
    next_step: str
    reports_due: Sequence[ReportDue]  # the award's reports not yet submitted, soonest first


class ApplicationFileRecord(Record, frozen=True):
    """Every column of `application_file`."""

    id: int
    application: int
    field_key: str
    stored_name: str
    original_name: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_by: int
    uploaded_at: datetime


class NeutralFile(msgspec.Struct, frozen=True):
    """A file as a blind reviewer sees it (blind.neutral_files): "Attachment 1 (PDF, 120 KB)", downloaded as
    "application-12-attachment-1.pdf"."""

    id: int
    field_key: str
    original_name: str  # the neutral name shown
    download_name: str
    content_type: str
    size_bytes: int
    sha256: str
    neutral: bool = True  # templates/components/answers.html shows no size beside a neutral name


class City(msgspec.Struct, frozen=True):
    """A city one may apply for (`queries.list_cities`)."""

    id: int
    name: str
    state: str


class Presence(msgspec.Struct, frozen=True):
    """Someone who has an application open (`queries.list_present`)."""

    user_id: int
    name: str
    step: str
    last_seen: datetime


class Recipient(msgspec.Struct, frozen=True):
    """Someone who works on an application, to email (`queries.list_application_people`)."""

    email: str
    name: str


class DraftRow(msgspec.Struct, frozen=True):
    """A draft in a program's list for staff (`queries.list_program_drafts`)."""

    id: int
    updated_at: datetime
    extended_deadline_at: datetime | None
    status_reason: str
    city_name: str


class WithdrawnRow(msgspec.Struct, frozen=True):
    """A withdrawn application in a program's list for staff (`queries.list_program_withdrawn`)."""

    id: int
    updated_at: datetime
    status_reason: str
    receipt_number: str | None
    city_name: str


class StatusEvent(msgspec.Struct, frozen=True):
    """A submission, reopening, withdrawal, extension or reminder from the audit trail
    (`queries.list_status_history`); `detail` is the audit row's JSON document."""

    at: datetime
    action: str
    detail: dict[str, object]
