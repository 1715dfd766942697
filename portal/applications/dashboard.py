"""This domain's part of the signed-in dashboard (see portal/dashboards/controllers.py), and the rows of the
applicant's list of applications: status, deadline in the program's time zone, what comes next, reports due."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from portal.applications import queries, rules, team_queries
from portal.core import clock
from portal.core.actor import Principal
from portal.programs.rules import is_accepting
from portal.reporting.access import GRANTEE_ROLES
from portal.reporting.queries import list_due_reports_for_cities

SOON_DAYS = 14  # drafts whose deadline is nearer than this show how long is left


def time_left(deadline: datetime, now: datetime) -> str:
    """"3 days left", "5 hours left", "less than 2 hours left"; empty when the deadline is far or passed."""
    seconds = (clock.as_utc(deadline) - now).total_seconds()
    if seconds <= 0 or seconds > SOON_DAYS * 86400:
        return ""
    if seconds >= 2 * 86400:
        return f"{int(seconds // 86400)} days left"
    if seconds >= 2 * 3600:
        return f"{int(seconds // 3600)} hours left"
    return "less than 2 hours left"


async def applicant_rows(user: Principal) -> list[dict[str, Any]]:
    """My cities' applications, then those of teams I am on for other cities, each with `next_step`,
    `time_left` (open drafts near their deadline) and `reports_due` (the award's reports not yet submitted,
    soonest first, `overdue` marked; for members of the grantee city)."""
    rows = await queries.list_applications_for_cities(user.city_ids)
    rows += [r for r in await team_queries.list_team_applications(user.id) if r["organisation"] not in user.city_ids]
    grantee_cities = [org for org in user.city_ids if user.org_roles.get(org) in GRANTEE_ROLES]
    due: dict[int, list[dict[str, Any]]] = {}
    now = clock.now()
    for report in await list_due_reports_for_cities(grantee_cities) if rows else []:
        report["overdue"] = report["due_on"] < now.date()
        due.setdefault(report["application_id"], []).append(report)
    for row in rows:
        accepting = is_accepting({**row, "status": row["program_status"]})
        row["next_step"] = rules.next_step(row, accepting)
        row["time_left"] = time_left(row["deadline_at"], now) if row["status"] == "draft" and accepting else ""
        row["reports_due"] = due.get(row["id"], [])
    return rows


async def section(user: Principal) -> tuple[str, dict[str, Any]] | None:
    """For city members and application teams: the applications with status, deadline, next step and
    downloads, and team invitations waiting for them."""
    rows = await applicant_rows(user)
    invitations = await team_queries.list_invitations_for(user.email)
    if not user.city_ids and not rows and not invitations:
        return None
    return "applications/_dashboard.html", {"applications": rows, "invitations": invitations}
