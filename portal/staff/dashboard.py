"""This domain's part of the signed-in dashboard (see portal/dashboards/controllers.py): staff programs."""

from __future__ import annotations

from typing import Any

from portal.core.actor import Principal
from portal.staff import queries


async def section(user: Principal) -> tuple[str, dict[str, Any]] | None:
    """For program staff and admins: their programs with application counts, and links to the staff area."""
    if not user.is_staff:
        return None
    return "staff/_dashboard.html", {"programs": await queries.list_staff_programs(user)}
