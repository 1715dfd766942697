"""This domain's part of the signed-in dashboard (see portal/dashboards/controllers.py)."""

from __future__ import annotations

from typing import Any

from portal.applications import queries, rules, team_queries
from portal.core import clock
from portal.core.actor import Principal


async def section(user: Principal) -> tuple[str, dict[str, Any]] | None:
    """For city members and application teams: the applications with status, deadline and next step, and
    team invitations waiting for them."""
    team_rows = [r for r in await team_queries.list_team_applications(user.id) if r["organisation"] not in user.city_ids]
    invitations = await team_queries.list_invitations_for(user.email)
    if not user.city_ids and not team_rows and not invitations:
        return None
    rows = await queries.list_applications_for_cities(user.city_ids) + team_rows
    now = clock.now()
    for row in rows:
        row.update(rules.list_row_deadline(row, now))
        row["next_step"] = rules.next_step(row, row["accepting"])
    return "applications/_dashboard.html", {"applications": rows, "invitations": invitations}
