"""schedule_reports: the interim and final reports made when an award is made."""

from __future__ import annotations

from datetime import date, timedelta

from portal.awards.tables import Award
from portal.core import clock
from portal.core.actor import Actor
from portal.core.audit import list_for
from portal.programs.tables import Program
from portal.reporting.queries import list_reports_for_award, list_reports_for_program
from portal.reporting.services import add_months, award_due_dates, due_dates, schedule_reports
from tests.factories.awards import make_award


def test_add_months_clips_to_the_month_end():
    assert add_months(date(2027, 8, 31), 6) == date(2028, 2, 29)
    assert add_months(date(2027, 1, 15), 12) == date(2028, 1, 15)


def test_due_dates_without_end_is_twelve_months():
    assert due_dates(date(2027, 1, 1), None) == {"interim": date(2027, 7, 1), "final": date(2028, 1, 1)}


async def test_schedule_reports_uses_award_dates_and_newest_report_form(world):
    award_id = await make_award(world["application_a"], world["staff"], start_date=date(2027, 3, 1),
                                end_date=date(2028, 2, 15))
    ids = await schedule_reports(Actor(user=None), award_id)
    reports = await list_reports_for_award(award_id)
    assert [(r.kind, r.due_on, r.status) for r in reports] == [
        ("interim", date(2027, 9, 1), "draft"), ("final", date(2028, 2, 15), "draft")]
    assert sorted(ids) == sorted(r.id for r in reports)
    assert [r.id for r in await list_reports_for_program(world["program"])] == [r.id for r in reports]
    assert (await list_for("report", ids[0]))[0]["action"] == "report.scheduled"


async def test_schedule_reports_twice_makes_two_reports_only(world):
    award_id = await make_award(world["application_a"], world["staff"])
    first = await schedule_reports(Actor(user=None), award_id)
    second = await schedule_reports(Actor(user=None), award_id)
    assert sorted(first) == sorted(second)
    assert len(await list_reports_for_award(award_id)) == 2


async def test_schedule_reports_without_an_award_end_ignores_the_program_award_end(world):
    await Program.update({Program.award_end: date(2027, 10, 31)}).where(Program.id == world["program"])
    award_id = await make_award(world["application_a"], world["staff"], start_date=date(2027, 1, 1), end_date=None)
    await schedule_reports(Actor(user=None), award_id)
    reports = await list_reports_for_award(award_id)
    assert [r.due_on for r in reports] == [date(2027, 7, 1), date(2028, 1, 1)]


def test_award_due_dates_count_from_the_decision_when_it_comes_after_the_start():
    assert award_due_dates(date(2026, 1, 1), date(2027, 12, 31), date(2026, 12, 7)) == {
        "interim": date(2027, 6, 7), "final": date(2027, 12, 31)}
    assert award_due_dates(date(2026, 1, 1), date(2026, 6, 30), date(2026, 12, 7)) == {
        "interim": date(2027, 6, 7), "final": date(2027, 12, 7)}  # the end is past: 12 months
    assert award_due_dates(None, None, date(2026, 12, 7)) == {"interim": date(2027, 6, 7), "final": date(2027, 12, 7)}


async def test_reports_of_an_award_made_late_are_not_overdue_on_day_one(world, as_persona):
    program = await Program.select(Program.timezone).where(Program.id == world["program"]).first()
    today = clock.now().astimezone(clock.zone(program["timezone"])).date()
    start, end = today - timedelta(days=300), today + timedelta(days=400)  # the program's period began long ago
    await Program.update({Program.award_start: start, Program.award_end: end}).where(Program.id == world["program"])
    staff = await as_persona("staff")
    url = f"/staff/applications/{world['application_a']}/decision"
    assert f'value="{start.isoformat()}"' in (await staff.get(url)).text  # the form offers the program's start
    response = await staff.post(url, {"decision": "award", "amount": "10,000", "conditions": "Report.",
                                      "start_date": start.isoformat(), "end_date": end.isoformat()})
    assert response.status_code == 303
    award = await Award.select(Award.id).where(Award.application == world["application_a"]).first()
    reports = await list_reports_for_award(award["id"])
    assert [(r.kind, r.due_on) for r in reports] == [("interim", add_months(today, 6)), ("final", end)]
    dashboard = await (await as_persona("applicant")).get("/dashboard")
    assert dashboard.text.count('data-testid="dashboard-report-') == 2
    assert "Overdue" not in dashboard.text
