"""Rules of applications: the allowed status transitions, in one table, checked in one place."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from portal.core import clock
from portal.core.actor import Principal
from portal.core.errors import Conflict

APPLICANT_ROLES = frozenset({"owner", "member"})

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


def restored_status(application: dict[str, Any]) -> str:
    """What a withdrawn application becomes when staff restore it: submitted if it was withdrawn after being
    submitted (its receipt is kept through the withdrawal), a draft otherwise."""
    return "submitted" if application.get("receipt_number") else "draft"


def applicant_city_ids(user: Principal) -> list[int]:
    """The cities `user` may apply for: those where they are an owner or member."""
    return [org for org in user.city_ids if user.org_roles.get(org) in APPLICANT_ROLES]


def can_start_application(user: Principal | None) -> bool:
    """Whether `user` may start an application: signed in, and an owner or member of a city. The start and
    eligibility pages answer 403 to everyone else (they find no city in `applicant_city_ids`); a program's page
    offers "Start an application" only when this holds."""
    return user is not None and bool(applicant_city_ids(user))


def next_step(application: dict[str, Any], accepting: bool) -> str:
    """What the city should do next, in words, for lists and the dashboard."""
    status = application["status"]
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
REMINDERS: dict[str, timedelta] = {"7d": timedelta(days=7), "1d": timedelta(days=1)}  # kind -> before the deadline


def effective_deadline(program: dict[str, Any], extended_to: datetime | None = None) -> datetime:
    """The moment after which this application can no longer be submitted: its extension if staff gave
    one (earlier or later than the program's deadline, exactly as set), else the program's deadline plus
    its grace period."""
    if extended_to is not None:
        return clock.as_utc(extended_to)
    return clock.as_utc(program["deadline_at"]) + timedelta(minutes=int(program.get("grace_minutes") or 0))


def may_submit_at(program: dict[str, Any], extended_to: datetime | None, at: datetime) -> bool:
    """On time by the server clock. An open program: opens_at <= at < effective deadline. A program staff
    have closed still takes an application they gave an extension to."""
    if program["status"] != "open" and not (program["status"] == "closed" and extended_to is not None):
        return False
    return clock.as_utc(program["opens_at"]) <= at < effective_deadline(program, extended_to)


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


def time_left(deadline: datetime, at: datetime) -> str:
    """ "2 days 3 hours left", "3 hours 5 minutes left", "4 minutes left"; "" once the deadline has passed."""
    seconds = int((deadline - at).total_seconds())
    if seconds <= 0:
        return ""
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes = max(1, rest // 60) if not (days or hours) else rest // 60

    def unit(n: int, name: str) -> str:
        return f"{n} {name}{'' if n == 1 else 's'}"

    if days:
        parts = [unit(days, "day")] + ([unit(hours, "hour")] if hours else [])
    elif hours:
        parts = [unit(hours, "hour")] + ([unit(minutes, "minute")] if minutes else [])
    else:
        parts = [unit(minutes, "minute")]
    return " ".join(parts) + " left"


def countdown(deadline: datetime, at: datetime) -> str:
    """The countdown shown in the last 7 days before a deadline, or ""."""
    return time_left(deadline, at) if timedelta(0) < deadline - at <= REMINDERS["7d"] else ""


def list_row_deadline(row: dict[str, Any], at: datetime) -> dict[str, Any]:
    """For a row of queries.list_applications_for_cities: the deadline to show (its extension, or the
    program's), the countdown (drafts only) and whether a submission would be taken at `at`."""
    program = {**row, "status": row["program_status"]}
    shown = clock.as_utc(row["extended_deadline_at"] or row["deadline_at"])
    return {"deadline_shown": shown, "countdown": countdown(shown, at) if row["status"] == "draft" else "",
            "accepting": may_submit_at(program, row["extended_deadline_at"], at)}
