"""Follow-up reports through HTTP: the grantee fills in and submits, staff read, everyone else is kept out."""

from __future__ import annotations

from portal.core.audit import list_for
from portal.reporting.tables import Report
from tests.factories.awards import make_award, make_report
from tests.support import body_of


async def a_report(world, **kwargs) -> int:
    award_id = await make_award(world["application_a"], world["staff"])
    return await make_report(award_id, world["program"], **kwargs)


async def report_row(report_id: int) -> dict:
    return await Report.select().where(Report.id == report_id).output(load_json=True).first()


async def post(client, report_id, **values):
    await client.get(f"/reports/{report_id}")
    return await client.post(f"/reports/{report_id}", values)


async def test_report_page_access(world, as_persona):
    report_id = await a_report(world)
    expected = {"applicant": 200, "colleague": 200, "stranger": 404, "reviewer": 404, "funder": 404,
                "other_funder": 404, "staff": 200, "admin": 200}
    for persona, status in expected.items():
        client = await as_persona(persona)
        response = await client.get(f"/reports/{report_id}")
        assert (persona, response.status_code) == (persona, status)
    applicant = await as_persona("applicant")
    assert 'data-testid="report-form"' in (await applicant.get(f"/reports/{report_id}")).text
    staff = await as_persona("staff")
    assert 'data-testid="report-form"' not in (await staff.get(f"/reports/{report_id}")).text


async def test_report_save_draft(world, as_persona):
    report_id = await a_report(world)
    client = await as_persona("colleague")
    response = await post(client, report_id, version="1", action="save", families_served="40")
    assert response.status_code == 303
    row = await report_row(report_id)
    assert (row["answers"], row["version"], row["status"]) == ({"families_served": 40}, 2, "draft")


async def test_report_save_malformed_is_422_and_keeps_input(world, as_persona):
    report_id = await a_report(world)
    client = await as_persona("applicant")
    response = await post(client, report_id, version="1", action="save", families_served="forty",
                          summary="Kept words")
    assert response.status_code == 422
    assert 'id="error-families_served"' in response.text
    assert 'value="forty"' in response.text and "Kept words" in response.text


async def test_report_submit_incomplete_is_422_with_every_error(world, as_persona):
    report_id = await a_report(world)
    client = await as_persona("applicant")
    response = await post(client, report_id, version="1", action="submit")
    assert response.status_code == 422
    assert 'id="error-families_served"' in response.text and 'id="error-summary"' in response.text
    assert (await report_row(report_id))["status"] == "draft"


async def test_report_submit_emails_staff_contact(world, as_persona, mailbox):
    report_id = await a_report(world)
    client = await as_persona("applicant")
    response = await post(client, report_id, version="1", action="submit", families_served="40",
                          summary="We screened <b>forty</b> families.")
    assert response.status_code == 303
    row = await report_row(report_id)
    assert (row["status"], row["submitted_by"]) == ("submitted", world["applicant"])
    message = await mailbox.wait_for("grants@network.org", "Report received")
    assert f"/reports/{report_id}" in body_of(message)
    assert (await list_for("report", report_id))[-1]["action"] == "report.submitted"
    staff = await as_persona("staff")
    page = await staff.get(f"/reports/{report_id}")
    assert "&lt;b&gt;forty&lt;/b&gt;" in page.text


async def test_report_submitted_cannot_change(world, as_persona):
    report_id = await a_report(world, status="submitted")
    client = await as_persona("applicant")
    response = await post(client, report_id, version="1", action="save", families_served="1")
    assert response.status_code == 409


async def test_report_stale_save_is_409(world, as_persona):
    report_id = await a_report(world)
    client = await as_persona("applicant")
    await post(client, report_id, version="1", action="save", families_served="1")
    response = await post(client, report_id, version="1", action="save", families_served="2")
    assert response.status_code == 409
    assert 'value="1"' in response.text
    assert (await report_row(report_id))["answers"]["families_served"] == 1


async def test_report_post_by_staff_is_403_and_by_stranger_404(world, as_persona):
    report_id = await a_report(world)
    staff = await as_persona("staff")
    assert (await post(staff, report_id, version="1", action="save")).status_code == 403
    stranger = await as_persona("stranger")
    await stranger.get("/dashboard")
    assert (await stranger.post(f"/reports/{report_id}", {"version": "1"})).status_code == 404


async def test_dashboard_lists_reports_due(world, as_persona):
    report_id = await a_report(world)
    client = await as_persona("applicant")
    response = await client.get("/dashboard")
    assert f"dashboard-report-{report_id}" in response.text
    other = await as_persona("stranger")
    assert f"dashboard-report-{report_id}" not in (await other.get("/dashboard")).text


async def test_report_records_hold_their_types_on_both_engines(world):
    """reporting/records.py: the report with its award, city and program (answers loaded from JSON), and the
    grantee dashboard's plain-SQL rows, overdue marked for the day given (tests/awards/test_records.py `typed`)."""
    from datetime import timedelta

    from portal.core import clock
    from portal.reporting import queries
    from tests.awards.test_records import typed

    award_id = await make_award(world["application_a"], world["staff"])
    late = await make_report(award_id, world["program"], kind="interim", due_in=timedelta(days=-3))
    final = await make_report(award_id, world["program"], kind="final")
    await Report.update({Report.answers: {"summary": "Going well"}}).where(Report.id == late)
    report = await queries.get_report(late)
    assert report is not None and typed(report)
    assert (report.city_id, report.program_id, report.answers) == (world["city_a"], world["program"],
                                                                    {"summary": "Going well"})
    listed = await queries.list_reports_for_award(award_id)
    assert all(typed(r) for r in listed) and [r.id for r in listed] == [late, final]
    assert [r.id for r in await queries.list_reports_for_cities([world["city_a"]])] == [late, final]
    due = await queries.list_due_reports_for_cities([world["city_a"]], clock.now().date())  # plain SQL
    assert all(typed(r) for r in due) and [(r.id, r.overdue) for r in due] == [(late, True), (final, False)]
    assert await queries.due_reports_by_application([world["city_a"]], clock.now().date()) == {
        world["application_a"]: due}
