"""Follow-up reports: scheduled when an award is made, filled in and submitted by the grantee.

Report forms are defined as data like application forms; file fields are not supported in reports
(there is no table for report files): keep report forms to the other field types."""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from portal.awards.tables import Award
from portal.core import audit, clock
from portal.core.actor import Actor
from portal.core.errors import Conflict, Invalid, NotFound
from portal.core.mail import queue_email
from portal.db import current_engine, write_transaction
from portal.programs import formdef
from portal.programs.queries import get_form_version
from portal.programs.tables import FormVersion
from portal.reporting import queries
from portal.reporting.tables import Report

INTERIM_MONTHS = 6
FINAL_MONTHS = 12


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clipped to the month's last day (Aug 31 + 6 months = Feb 28/29)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_dates(start: date, end: date | None) -> dict[str, date]:
    """Interim 6 months after the start; final at the end, or 12 months after the start without one."""
    final = end if end and end > start else add_months(start, FINAL_MONTHS)
    interim = min(add_months(start, INTERIM_MONTHS), final)
    return {"interim": interim, "final": final}


def award_due_dates(start_date: date | None, end_date: date | None, decided_on: date) -> dict[str, date]:
    """An award's report due dates, from the award's own dates only: its period starts on its start date, but
    never before the day it was decided (an award decided after the start date it was given, e.g. the
    program's, would otherwise have its interim report overdue on the day it is made); it ends on its end
    date, or 12 months after the start without one (or with one already past)."""
    start = max(start_date, decided_on) if start_date else decided_on
    return due_dates(start, end_date)


async def schedule_reports(actor: Actor, award_id: int) -> list[int]:
    """Create the award's follow-up reports (interim and final, on the program's current report form).

    Called by awards.services inside its transaction when an award is made. Returns the report ids
    (empty if the program has no report form). Due dates come from the award's own start and end dates and
    the day it was decided, in the program's time zone (`award_due_dates`), never from the program's award
    period.
    Side effects: two Report rows (unique per award and kind: a second call makes none and returns the
    existing ids); one audit row `report.scheduled` per report made.
    """
    async with write_transaction():
        award = await Award.select(
            Award.id, Award.start_date, Award.end_date, Award.decided_at,
            Award.application.program.as_alias("program_id"),
            Award.application.program.timezone.as_alias("timezone"),
        ).where(Award.id == award_id).first()
        if award is None:
            raise NotFound()
        form = await FormVersion.select(FormVersion.id).where(
            (FormVersion.program == award["program_id"]) & (FormVersion.kind == "report")
        ).order_by(FormVersion.version, ascending=False).first()
        if form is None:
            return []
        existing = await Report.select(Report.id, Report.kind).where(Report.award == award_id)
        if existing:
            return [r["id"] for r in existing]
        now = clock.now()
        decided_at = clock.as_utc(award["decided_at"]) if award["decided_at"] else now
        decided_on = decided_at.astimezone(clock.zone(award["timezone"])).date()
        ids = []
        for kind, due_on in award_due_dates(award["start_date"], award["end_date"], decided_on).items():
            rows = await Report.insert(Report(
                award=award_id, form_version=form["id"], kind=kind, due_on=due_on, status="draft",
                answers={}, version=1, updated_at=now,
            )).returning(Report.id)
            ids.append(rows[0]["id"])
            await audit.record(actor, "report.scheduled", "report", rows[0]["id"], award_id=award_id, kind=kind,
                               due_on=due_on.isoformat())
        return ids


class StaleReport(Conflict):
    """The report changed since the page was loaded; `current` is the saved report now."""

    def __init__(self, current: dict[str, Any]) -> None:
        super().__init__("Someone saved this report after you opened it, so your changes were not saved. "
                         "The form now shows the newest saved answers.")
        self.current = current


async def _locked_report(report_id: int) -> dict[str, Any]:
    if isinstance(current_engine(), PostgresEngine):
        await Report.raw("SELECT id FROM report WHERE id = {} FOR UPDATE", report_id)
    report = await queries.get_report(report_id)
    if report is None:
        raise NotFound()
    return report


async def save_report_draft(actor: Actor, report_id: int, base_version: int, answers: dict[str, Any]) -> int:
    """Save a report's answers (parsed by formdef.validate_draft); returns the new version.

    Side effects: the report's answers, version (+1) and updated_at; one audit row `report.saved`.
    Raises StaleReport if `base_version` is not the saved version, Conflict once it is submitted.
    """
    async with write_transaction():
        report = await _locked_report(report_id)
        if report["status"] != "draft":
            raise Conflict("This report is submitted, so it can no longer be changed.")
        if report["version"] != base_version:
            raise StaleReport(report)
        await Report.update({Report.answers: answers, Report.version: base_version + 1,
                             Report.updated_at: clock.now()}).where(Report.id == report_id)
        await audit.record(actor, "report.saved", "report", report_id, version=base_version + 1)
    return base_version + 1


async def submit_report(actor: Actor, report_id: int, public_url: str = "",
                        edit: tuple[int, dict[str, Any]] | None = None) -> None:
    """Submit a report, saving the answers on the page first (`edit`: base version, answers) in the same
    transaction, so that a refused submission changes nothing.

    Side effects: status `submitted`, submitted_at/by, version +1; one audit row `report.submitted`; an
    email `report_submitted` to the program's contact address. Raises Invalid (every problem at once),
    Conflict if already submitted, StaleReport.
    """
    async with write_transaction():
        report = await _locked_report(report_id)
        if report["status"] != "draft":
            raise Conflict("This report was already submitted.")
        form = await get_form_version(report["form_version"])
        assert form is not None
        if edit is not None:
            await save_report_draft(actor, report_id, edit[0], edit[1])
            report = await _locked_report(report_id)
        errors = formdef.submission_errors(form.schema, report["answers"], [])
        if errors:
            raise Invalid(errors, "This report cannot be submitted yet: please correct the problems below.")
        now = clock.now()
        await Report.update({Report.status: "submitted", Report.submitted_at: now, Report.submitted_by: actor.user_id,
                             Report.version: report["version"] + 1, Report.updated_at: now}).where(
            (Report.id == report_id) & (Report.status == "draft"))
        await audit.record(actor, "report.submitted", "report", report_id, award_id=report["award"])
        if report["contact_email"]:
            await queue_email(report["contact_email"], "report_submitted", {
                "report": report | {"submitted_at": now}, "submitter": actor.user.name if actor.user else "",
                "link": f"{public_url}/reports/{report_id}",
            }, program=report["program_id"], application=report["application_id"])
