"""Rules of applications: the allowed status transitions, in one table, checked in one place."""

from __future__ import annotations

from typing import Any

from portal.core.actor import Principal
from portal.core.errors import Conflict

APPLICANT_ROLES = frozenset({"owner", "member"})

# status -> statuses it may move to
TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"submitted", "withdrawn"}),
    "submitted": frozenset({"draft", "withdrawn", "awarded", "declined"}),  # draft: reopened by staff
    "awarded": frozenset({"declined"}),  # an offer the grantee turns down, or staff revoke
    "declined": frozenset(),
    "withdrawn": frozenset(),
}

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


def applicant_city_ids(user: Principal) -> list[int]:
    """The cities `user` may apply for: those where they are an owner or member."""
    return [org for org in user.city_ids if user.org_roles.get(org) in APPLICANT_ROLES]


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
