"""This domain's part of the signed-in dashboard (see portal/dashboards/controllers.py)."""

from __future__ import annotations

from typing import Any

from portal.applications import queries, rules
from portal.core.actor import Principal
from portal.programs.rules import is_accepting


async def section(user: Principal) -> tuple[str, dict[str, Any]] | None:
    """For city members: their cities' applications with status, deadline and next step."""
    if not user.city_ids:
        return None
    rows = await queries.list_applications_for_cities(user.city_ids)
    for row in rows:
        row["next_step"] = rules.next_step(row, is_accepting({**row, "status": row["program_status"]}))
    return "applications/_dashboard.html", {"applications": rows}
