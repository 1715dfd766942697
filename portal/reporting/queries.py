"""Reading follow-up reports: one with what its page shows, a program's, an award's, my cities' due ones."""

from __future__ import annotations

import json
from typing import Any

from portal.db import placeholders, to_date
from portal.reporting.tables import Report

REPORT_COLUMNS = (
    Report.id, Report.award, Report.form_version, Report.kind, Report.due_on, Report.status, Report.answers,
    Report.version, Report.submitted_at, Report.submitted_by, Report.updated_at,
    Report.award.amount_cents.as_alias("amount_cents"),
    Report.award.application.as_alias("application_id"),
    Report.award.application.title.as_alias("application_title"),
    Report.award.application.organisation.as_alias("city_id"),
    Report.award.application.organisation.name.as_alias("city_name"),
    Report.award.application.program.as_alias("program_id"),
    Report.award.application.program.title.as_alias("program_title"),
    Report.award.application.program.network.as_alias("network_id"),
    Report.award.application.program.contact_email.as_alias("contact_email"),
    Report.award.application.program.timezone.as_alias("program_timezone"),
)

KIND_ORDER = {"interim": 0, "final": 1}
# A report the program has received: submitted by the city, and still so once staff approve it.
RECEIVED_STATUSES = ("submitted", "approved")


def _loaded(row: dict[str, Any]) -> dict[str, Any]:
    if isinstance(row.get("answers"), str):
        row["answers"] = json.loads(row["answers"] or "{}")
    return row


def _sorted(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted((_loaded(r) for r in rows), key=lambda r: (r["due_on"], KIND_ORDER.get(r["kind"], 9), r["id"]))


async def get_report(report_id: int) -> dict[str, Any] | None:
    row = await Report.select(*REPORT_COLUMNS).where(Report.id == report_id).first()
    return _loaded(row) if row else None


async def list_reports_for_award(award_id: int) -> list[dict[str, Any]]:
    """The award's reports, soonest due first (interim before final)."""
    return _sorted(await Report.select(*REPORT_COLUMNS).where(Report.award == award_id))


async def list_reports_for_program(program_id: int) -> list[dict[str, Any]]:
    """Every report of the program's awards, soonest due first, with the city's name."""
    return _sorted(await Report.select(*REPORT_COLUMNS).where(Report.award.application.program == program_id))


async def list_reports_for_cities(city_ids: list[int]) -> list[dict[str, Any]]:
    """The reports of my cities' awards, soonest due first."""
    if not city_ids:
        return []
    return _sorted(await Report.select(*REPORT_COLUMNS).where(Report.award.application.organisation.is_in(city_ids)))


# On every grantee's dashboard: plain SQL, and only the drafts (the page lists what is still to file).
DUE_FOR_CITIES_SQL = """
SELECT r.id, r.kind, r.due_on, p.title AS program_title, o.name AS city_name, ap.id AS application_id
FROM report r JOIN award a ON a.id = r.award JOIN application ap ON ap.id = a.application
JOIN program p ON p.id = ap.program JOIN organisation o ON o.id = ap.organisation
WHERE r.status = 'draft' AND ap.organisation IN ({cities})
"""


async def list_due_reports_for_cities(city_ids: list[int]) -> list[dict[str, Any]]:
    """My cities' reports not yet submitted, soonest due first (interim before final)."""
    if not city_ids:
        return []
    rows = await Report.raw(DUE_FOR_CITIES_SQL.format(cities=placeholders(city_ids)), *[int(c) for c in city_ids])
    for row in rows:
        row["due_on"] = to_date(row["due_on"])
    return sorted(rows, key=lambda r: (r["due_on"], KIND_ORDER.get(r["kind"], 9), r["id"]))
