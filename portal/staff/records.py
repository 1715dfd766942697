"""What the program staff's desk reads, as typed, immutable records (the pattern of portal/payments/records.py;
docs/architecture.md, "Types"). Programs, their networks and funders are the records of programs/ and accounts/."""

from __future__ import annotations

from datetime import datetime

import msgspec


class ApplicationCounts(msgspec.Struct, frozen=True):
    """A program's applications by stage: in draft, submitted (or later), reviewed (at least one submitted
    review) and awarded."""

    drafts: int
    submitted: int
    reviewed: int
    awarded: int


class StaffProgram(msgspec.Struct, frozen=True):
    """A row of the staff's list of programs (`queries.list_staff_programs`): the program, its network's name and
    its application counts."""

    id: int
    title: str
    status: str  # draft | open | closed
    deadline_at: datetime  # UTC
    timezone: str
    network_name: str
    counts: ApplicationCounts
