"""Letters, their templates and their batches as the rest of the portal sees them: typed, immutable records built
once from a row as Piccolo hands it back (the pattern of portal/payments/records.py; docs/architecture.md, "Types").
A read that joins columns returns a record named for what its caller gets."""

from __future__ import annotations

from datetime import date, datetime

import msgspec

from portal.core.records import Record


class LetterRecord(Record, frozen=True):
    """A stored letter (every column of `letter`) with what the letters page and its file name show of its
    application: its title, the city and the program (`queries.LETTER_COLUMNS`)."""

    id: int
    application: int
    kind: str  # award | decline | waitlist
    file: str  # its name under files_dir/letters/
    sha256: str
    created_at: datetime
    batch: int | None
    application_title: str
    city_name: str
    program_id: int
    program_slug: str


class LetterTemplateRecord(Record, frozen=True):
    """A program's letter template of one kind: the stored one, or the default text where none is stored (then
    `updated_at` is None), or what staff just typed (re-shown with its problems, not saved)."""

    kind: str
    subject: str
    body: str
    updated_at: datetime | None = None


class LetterBatchRecord(Record, frozen=True):
    """A round of letters as its progress bar shows it: every column of `letter_batch` but the worker's
    heartbeat, and the name of whoever asked for it (`queries.BATCH_COLUMNS`)."""

    id: int
    program: int
    kinds: str  # comma-separated letter kinds, e.g. "award,decline"
    total: int
    done: int
    failed: int
    status: str  # queued | running | done | failed
    error: str
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    requested_by_name: str


class ClaimedBatch(Record, frozen=True):
    """A batch a worker has just claimed (`services.claim_batch`): what it needs to make the letters."""

    id: int
    program: int
    kinds: str
    requested_by: int


class LetterFields(msgspec.Struct, frozen=True):
    """The merge fields of one letter (`queries.letter_fields`: name -> text) and its program."""

    fields: dict[str, str]
    program_id: int
    program_slug: str


class ScheduledTranche(msgspec.Struct, frozen=True):
    """A tranche as an award letter states it (`queries.payment_schedule`): how much, and when it is released."""

    amount_cents: int
    trigger: str  # on_acceptance | on_report_approval | on_date
    report_kind: str  # interim | final, for on_report_approval
    due_date: date | None  # for on_date


class MadeTransfer(msgspec.Struct, frozen=True):
    """A transfer already made under an award without tranches, as its letter states it."""

    amount_cents: int
    status: str
    paid_at: datetime | None
