"""This domain's part of the signed-in dashboard (see portal/dashboards/controllers.py)."""

from __future__ import annotations

from typing import Any

from portal.core import clock
from portal.core.actor import Principal
from portal.reporting import queries
from portal.reporting.access import GRANTEE_ROLES


async def section(user: Principal) -> tuple[str, dict[str, Any]] | None:
    """For grantee city members: their cities' reports still to submit, soonest due first (overdue marked)."""
    city_ids = [org for org in user.city_ids if user.org_roles.get(org) in GRANTEE_ROLES]
    reports = await queries.list_due_reports_for_cities(city_ids, clock.now().date())
    if not reports:
        return None
    return "reporting/_dashboard.html", {"reports": reports}
