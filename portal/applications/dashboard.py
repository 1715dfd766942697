"""This domain's part of the signed-in dashboard (see portal/dashboards/controllers.py), and the rows of the
applicant's list of applications: status, deadline in the program's time zone (an extension if granted, the
countdown in the last days), what comes next, reports due, downloads."""

from __future__ import annotations

from typing import Any

import msgspec

from portal.applications import queries, rules
from portal.applications.records import ListedApplication
from portal.applications.team import queries as team_queries
from portal.core import clock
from portal.core.actor import Principal
from portal.reporting.access import GRANTEE_ROLES
from portal.reporting.queries import due_reports_by_application


async def applicant_rows(user: Principal) -> list[ListedApplication]:
    """My cities' applications, then those of teams I am on for other cities, each with the deadline to show
    (`deadline_shown`: its extension or the program's; `countdown` in the last days of a draft), `accepting`,
    `next_step` and `reports_due` (the award's reports not yet submitted, soonest first, `overdue` marked; for
    members of the grantee city)."""
    rows = await queries.list_applications_for_cities(user.city_ids)
    rows += [r for r in await team_queries.list_team_applications(user.id) if r.organisation not in user.city_ids]
    grantee_cities = [org for org in user.city_ids if user.org_roles.get(org) in GRANTEE_ROLES]
    now = clock.now()
    due = await due_reports_by_application(grantee_cities, now.date()) if rows else {}
    listed = []
    for row in rows:
        deadline = rules.list_row_deadline(row, now)
        listed.append(ListedApplication(
            **msgspec.structs.asdict(row), **msgspec.structs.asdict(deadline),
            next_step=rules.next_step(row.status, deadline.accepting), reports_due=due.get(row.id, [])))
    return listed


async def section(user: Principal) -> tuple[str, dict[str, Any]] | None:
    """For city members and application teams: the applications with status, deadline, next step and
    downloads, and team invitations waiting for them."""
    rows = await applicant_rows(user)
    invitations = await team_queries.list_invitations_for(user.email)
    if not user.city_ids and not rows and not invitations:
        return None
    return "applications/_dashboard.html", {"applications": rows, "invitations": invitations}
