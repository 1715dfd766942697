"""This domain's part of the signed-in dashboard (see portal/dashboards/controllers.py): reviews to do."""

from __future__ import annotations

from typing import Any

from portal.core.actor import Principal
from portal.reviews import queries


async def section(user: Principal) -> tuple[str, dict[str, Any]] | None:
    """For reviewers (on a panel, or with assignments): the assignments still to review, without those the
    reviewer is conflicted on."""
    if not user.is_reviewer:  # assignments need a seat on the program's panel
        return None
    return "reviews/_dashboard.html", {"to_do": await queries.list_open_assignments(user.id)}
