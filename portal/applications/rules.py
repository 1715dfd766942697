"""Rules of applications: the allowed status transitions, in one table, checked in one place."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from portal.applications.records import ApplicationRow, RowDeadline
from portal.core import clock
from portal.core.errors import Conflict
from portal.programs.records import ProgramSchedule, Schedule
from portal.programs.rules import COUNTDOWN_FROM, countdown

# status -> statuses it may move to
TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"submitted", "withdrawn"}),
    "submitted": frozenset({"draft", "withdrawn", "awarded", "declined"}),  # draft: reopened by staff
    "awarded": frozenset({"declined"}),  # an offer the grantee turns down, or staff revoke
    "declined": frozenset(),
    "withdrawn": frozenset(),  # only staff restore it: see RESTORES
}
# The one move out of `withdrawn`: staff restore it to what it was (restored_status). Kept apart from
# TRANSITIONS so that no other act (a submission, a reopening) can revive a withdrawn application.
RESTORES: dict[str, frozenset[str]] = {"withdrawn": frozenset({"draft", "submitted"})}

STATUS_LABELS = {
    "draft": "Draft",
    "submitted": "Submitted",
    "awarded": "Awarded",
    "declined": "Not funded",
    "withdrawn": "Withdrawn",
}


def can_transition(current: str, new: str) -> bool:
    return new in TRANSITIONS.get(current, frozenset())


def check_transition(current: str, new: str) -> None:
    """Raise Conflict unless an application may go from `current` to `new`."""
    if not can_transition(current, new):
        raise Conflict(f"An application that is {STATUS_LABELS.get(current, current).lower()} cannot become "
                       f"{STATUS_LABELS.get(new, new).lower()}.")


# Who may withdraw, by status: a draft, anyone who may edit it; a submitted application, only those who may
# submit it (the authorised signer) or its owner: taking back a submission is the signer's act as much as
# making it. The rights are those of access.rights_of.
WITHDRAW_RIGHTS: dict[str, frozenset[str]] = {
    "draft": frozenset({"edit"}),
    "submitted": frozenset({"submit", "manage"}),
}
WITHDRAW_FORBIDDEN = ("Only the authorised signer or the application's owner can withdraw a submitted application. "
                      "Ask one of them if it should be withdrawn.")


def can_withdraw(status: str, rights: Iterable[str]) -> bool:
    """Whether someone with `rights` may withdraw an application that is `status` now."""
    return can_transition(status, "withdrawn") and bool(WITHDRAW_RIGHTS.get(status, frozenset()) & set(rights))


def check_restore(current: str, new: str) -> None:
    """Raise Conflict unless staff may restore an application that is `current` to `new`."""
    if new not in RESTORES.get(current, frozenset()):
        raise Conflict(f"Only a withdrawn application can be restored; this one is "
                       f"{STATUS_LABELS.get(current, current).lower()}.")


def restored_status(receipt_number: str | None) -> str:
    """What a withdrawn application becomes when staff restore it: submitted if it was withdrawn after being
    submitted (its receipt, `receipt_number`, is kept through the withdrawal), a draft otherwise."""
    return "submitted" if receipt_number else "draft"


def next_step(status: str, accepting: bool) -> str:
    """What the city should do next about an application that is `status`, in words, for lists and the
    dashboard."""
    if status == "draft":
        return "Finish and submit before the deadline" if accepting else "Deadline passed: it can no longer be submitted"
    if status == "submitted":
        return "Wait for the decision"
    if status == "awarded":
        return "See the award and the reports due"
    return "Nothing more to do"


# Deadlines. The server clock decides, here and nowhere else: an application is on time while
# now < its effective deadline. Reminders go out in the last 7 days and the last day before it.
MAX_GRACE_MINUTES = 24 * 60
REMINDERS: dict[str, timedelta] = {"7d": COUNTDOWN_FROM, "1d": timedelta(days=1)}  # kind -> before the deadline


def effective_deadline(program: Schedule, extended_to: datetime | None = None) -> datetime:
    """The moment after which this application can no longer be submitted: its extension if staff gave
    one (earlier or later than the program's deadline, exactly as set), else the program's deadline plus
    its grace period."""
    if extended_to is not None:
        return clock.as_utc(extended_to)
    return clock.as_utc(program.deadline_at) + timedelta(minutes=program.grace_minutes)


def may_submit_at(program: Schedule, extended_to: datetime | None, at: datetime) -> bool:
    """On time by the server clock. An open program: opens_at <= at < effective deadline. A program staff
    have closed still takes an application they gave an extension to."""
    if program.status != "open" and not (program.status == "closed" and extended_to is not None):
        return False
    return clock.as_utc(program.opens_at) <= at < effective_deadline(program, extended_to)


def reminder_due(deadline: datetime, at: datetime) -> str | None:
    """Which reminder a draft due at `deadline` is owed at `at`: "1d" in the last day, "7d" in the six
    days before that, None otherwise (each kind is sent at most once; the caller records it)."""
    if not at < deadline:
        return None
    if deadline - at <= REMINDERS["1d"]:
        return "1d"
    if deadline - at <= REMINDERS["7d"]:
        return "7d"
    return None


def list_row_deadline(row: ApplicationRow, at: datetime) -> RowDeadline:
    """For a row of queries.list_applications_for_cities: the deadline to show (its extension, or the
    program's), the countdown (drafts only) and whether a submission would be taken at `at`."""
    schedule = ProgramSchedule(status=row.program_status, opens_at=row.opens_at, deadline_at=row.deadline_at,
                               grace_minutes=row.grace_minutes)
    shown = clock.as_utc(row.extended_deadline_at or row.deadline_at)
    return RowDeadline(deadline_shown=shown, countdown=countdown(shown, at) if row.status == "draft" else "",
                       accepting=may_submit_at(schedule, row.extended_deadline_at, at))
