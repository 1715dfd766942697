"""Reading follow-up reports: one with what its page shows, a program's, an award's, my cities' due ones."""

from __future__ import annotations

from datetime import date
from typing import Any

from portal.db import placeholders
from portal.reporting.records import DueReport, ReportDetail
from portal.reporting.tables import Report

REPORT_COLUMNS = (
    Report.id, Report.award, Report.form_version, Report.kind, Report.due_on, Report.status, Report.answers,
    Report.version, Report.submitted_at, Report.submitted_by, Report.updated_at,
    Report.award._.amount_cents.as_alias("amount_cents"),
    Report.award._.application.as_alias("application_id"),
    Report.award._.application._.title.as_alias("application_title"),
    Report.award._.application._.organisation.as_alias("city_id"),
    Report.award._.application._.organisation._.name.as_alias("city_name"),
    Report.award._.application._.program.as_alias("program_id"),
    Report.award._.application._.program._.title.as_alias("program_title"),
    Report.award._.application._.program._.network.as_alias("network_id"),
    Report.award._.application._.program._.contact_email.as_alias("contact_email"),
    Report.award._.application._.program._.timezone.as_alias("program_timezone"),
)

KIND_ORDER = {"interim": 0, "final": 1}
# A report the program has received: submitted by the city, and still so once staff approve it.
RECEIVED_STATUSES = ("submitted", "approved")


def _sorted(rows: list[dict[str, Any]]) -> list[ReportDetail]:
    reports = [ReportDetail.of(row) for row in rows]
    return sorted(reports, key=lambda r: (r.due_on, KIND_ORDER.get(r.kind, 9), r.id))


async def get_report(report_id: int) -> ReportDetail | None:
    row = await Report.select(*REPORT_COLUMNS).where(Report.id == report_id).output(load_json=True).first()
    return ReportDetail.of(row) if row else None


async def list_reports_for_award(award_id: int) -> list[ReportDetail]:
    """The award's reports, soonest due first (interim before final)."""
    return _sorted(await Report.select(*REPORT_COLUMNS).where(Report.award == award_id).output(load_json=True))


async def list_reports_for_program(program_id: int) -> list[ReportDetail]:
    """Every report of the program's awards, soonest due first, with the city's name."""
    return _sorted(await Report.select(*REPORT_COLUMNS).where(
        Report.award._.application._.program == program_id).output(load_json=True))


async def list_reports_for_cities(city_ids: list[int]) -> list[ReportDetail]:
    """The reports of my cities' awards, soonest due first."""
    if not city_ids:
        return []
    return _sorted(await Report.select(*REPORT_COLUMNS).where(
        Report.award._.application._.organisation.is_in(city_ids)).output(load_json=True))


# On every grantee's dashboard: plain SQL, and only the drafts (the page lists what is still to file).
DUE_FOR_CITIES_SQL = """
SELECT r.id, r.kind, r.due_on, p.title AS program_title, o.name AS city_name, ap.id AS application_id
FROM report r JOIN award a ON a.id = r.award JOIN application ap ON ap.id = a.application
JOIN program p ON p.id = ap.program JOIN organisation o ON o.id = ap.organisation
WHERE r.status = 'draft' AND ap.organisation IN ({cities})
"""


async def list_due_reports_for_cities(city_ids: list[int], today: date) -> list[DueReport]:
    """My cities' reports not yet submitted, soonest due first (interim before final), those due before `today`
    marked overdue."""
    if not city_ids:
        return []
    rows = await Report.raw(DUE_FOR_CITIES_SQL.format(cities=placeholders(city_ids)), *[int(c) for c in city_ids])
    reports = [DueReport.of(row, today) for row in rows]
    return sorted(reports, key=lambda r: (r.due_on, KIND_ORDER.get(r.kind, 9), r.id))


async def due_reports_by_application(city_ids: list[int], today: date) -> dict[int, list[DueReport]]:
    """`list_due_reports_for_cities` by application (its id), each application's soonest due first."""
    due: dict[int, list[DueReport]] = {}
    for report in await list_due_reports_for_cities(city_ids, today):
        due.setdefault(report.application_id, []).append(report)
    return due
