"""This domain's part of the signed-in dashboard (see portal/dashboards/controllers.py)."""

from __future__ import annotations

from typing import Any

from portal.applications import queries, rules
from portal.core import clock
from portal.core.actor import Principal


async def section(user: Principal) -> tuple[str, dict[str, Any]] | None:
    """For city members: their cities' applications with status, deadline and next step."""
    if not user.city_ids:
        return None
    rows = await queries.list_applications_for_cities(user.city_ids)
    now = clock.now()
    for row in rows:
        row.update(rules.list_row_deadline(row, now))
        row["next_step"] = rules.next_step(row, row["accepting"])
    return "applications/_dashboard.html", {"applications": rows}
