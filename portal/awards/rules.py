"""Who may see and manage an award: the same predicates the pages and the server use."""

from __future__ import annotations

from typing import Any

from portal.core.actor import Principal


def is_grantee_member(user: Principal | None, award: dict[str, Any]) -> bool:
    """An owner or member of the city the award was made to."""
    return user is not None and user.org_roles.get(award["city_id"]) in {"owner", "member"}


def can_manage_award(user: Principal | None, award: dict[str, Any]) -> bool:
    """Staff of the network that runs the award's program, and admins."""
    return user is not None and (user.is_admin or award["network_id"] in user.network_ids)


def can_view_award(user: Principal | None, award: dict[str, Any]) -> bool:
    """The grantee city's members and the program's staff; nobody else learns the award exists."""
    return is_grantee_member(user, award) or can_manage_award(user, award)
