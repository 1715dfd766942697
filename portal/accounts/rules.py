"""Rules about accounts: what a user's memberships let them do."""

from __future__ import annotations

from portal.core.actor import Principal

APPLICANT_ROLES = frozenset({"owner", "member"})


def applicant_city_ids(user: Principal) -> list[int]:
    """The cities `user` may apply for: those where they are an owner or member."""
    return [org for org in user.city_ids if user.org_roles.get(org) in APPLICANT_ROLES]


def can_start_application(user: Principal | None) -> bool:
    """Whether `user` may start an application: signed in, and an owner or member of a city. The start and
    eligibility pages answer 403 to everyone else (they find no city in `applicant_city_ids`); a program's page
    offers "Start an application" only when this holds."""
    return user is not None and bool(applicant_city_ids(user))
