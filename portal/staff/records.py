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


class StaffApplicationRow(msgspec.Struct, frozen=True):
    """A row of a program's submitted applications on the staff program page (`queries.list_program_applications`):
    the application, its city, and its scores (reviews' `ApplicationScores`)."""

    id: int
    title: str
    status: str
    requested_cents: int | None
    submitted_at: datetime | None
    city_name: str
    city_state: str
    weighted_mean: float | None
    reviews_done: int
    reviews_assigned: int
    rank: int | None


class ReviewerChoice(msgspec.Struct, frozen=True):
    """A reviewer of the program as staff may assign them to one application: `conflict_reason` says why not
    (a conflict found from the data or declared: portal/reviews/conflicts/queries.py), "" if none."""

    id: int
    name: str
    email: str
    conflict_reason: str

    @property
    def conflicted(self) -> bool:
        return bool(self.conflict_reason)


class StaffAssignment(msgspec.Struct, frozen=True):
    """A review assignment as the staff's unassign action loads it, with the network that runs its program."""

    id: int
    application: int
    status: str
    network: int
