"""Funder summary: a funder sees the programs it funds, exact figures, and nothing of other programs."""

from __future__ import annotations

import re

from portal.reporting.tables import Report
from tests.factories import make_application, make_org
from tests.factories.awards import make_award, make_report


def figures(html: str) -> dict[str, str]:
    return dict(re.findall(r'<dd [^>]*data-testid="(\w+)">([^<]*)</dd>', html))


async def fund_world(world) -> dict[str, int]:
    """On `program`: A awarded $12,345.67 (one report submitted, one draft), C awarded $5,000 then turned
    down, D submitted, E withdrawn, B draft. On `other_program`: F awarded $999."""
    ids = {}
    ids["award_a"] = await make_award(world["application_a"], world["staff"], amount_cents=1_234_567)
    await make_report(ids["award_a"], world["program"], kind="interim", status="submitted")
    await make_report(ids["award_a"], world["program"], kind="final", status="draft")
    for name, status in [("Capital City", "awarded"), ("Ogdenville", "submitted"), ("North Haverbrook", "withdrawn")]:
        org = await make_org("city", name, state="IL")
        app = await make_application(world["program"], org, world["applicant"],
                                     status="submitted" if status == "awarded" else status)
        if status == "awarded":
            await make_award(app, world["staff"], amount_cents=500_000, status="declined")
    other_city = await make_org("city", "Brockway", state="IL")
    other_app = await make_application(world["other_program"], other_city, world["applicant"], status="submitted")
    ids["award_other"] = await make_award(other_app, world["staff"], amount_cents=99_900)
    await make_report(ids["award_other"], world["other_program"], status="submitted")
    return ids


async def test_funder_overview_shows_own_program_figures(world, as_persona):
    await fund_world(world)
    funder = await as_persona("funder")
    response = await funder.get("/funder")
    assert response.status_code == 200
    assert "Healthy Babies" in response.text
    assert "Clean Energy Fund" not in response.text
    assert figures(response.text) == {"applications": "3", "awards": "1", "awarded": "$12,345.67",
                                      "reports": "1", "pledged": "$100,000"}


async def test_funder_program_page_lists_awards_by_city(world, as_persona):
    await fund_world(world)
    funder = await as_persona("funder")
    response = await funder.get(f"/funder/programs/{world['program']}")
    assert response.status_code == 200
    table = response.text.split('data-testid="awards-by-city"')[1].split("</table>")[0]
    assert "Springfield" in table and "$12,345.67" in table and "Offered" in table
    assert "Capital City" in table and "$5,000" in table and "Turned down" in table
    assert "Brockway" not in response.text and "$999" not in response.text


async def test_funder_of_other_program_gets_404(world, as_persona):
    await fund_world(world)
    other = await as_persona("other_funder")
    assert (await other.get(f"/funder/programs/{world['program']}")).status_code == 404
    assert (await other.get("/funder/programs/999999")).status_code == 404
    overview = await other.get("/funder")
    assert "Healthy Babies" not in overview.text and "Springfield" not in overview.text
    assert figures(overview.text) == {"applications": "1", "awards": "1", "awarded": "$999",
                                      "reports": "1", "pledged": "$50,000"}


async def test_funder_pages_forbid_non_funders_403(world, as_persona):
    for persona in ("applicant", "staff", "reviewer"):
        client = await as_persona(persona)
        assert (await client.get("/funder")).status_code == 403
        assert (await client.get(f"/funder/programs/{world['program']}")).status_code == 403


async def test_funder_pages_send_anonymous_to_sign_in(world, as_persona):
    anonymous = await as_persona("anonymous")
    response = await anonymous.get(f"/funder/programs/{world['program']}")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


async def test_funder_dashboard_section_shows_totals(world, as_persona):
    await fund_world(world)
    funder = await as_persona("funder")
    response = await funder.get("/dashboard")
    section = response.text.split('data-testid="funder-section"')[1]
    assert "Healthy Babies" in section and "$12,345.67" in section
    assert "Clean Energy Fund" not in section


async def test_funder_program_page_links_to_the_pledge_page(as_persona, world):
    funder = await as_persona("funder")
    html = (await funder.get(f"/funder/programs/{world['program']}")).text
    assert f'href="/funder/programs/{world["program"]}/pledge"' in html


async def test_funder_reports_received_still_count_a_report_once_staff_approve_it(world, as_persona):
    ids = await fund_world(world)
    interim = await Report.select(Report.id).where(
        (Report.award == ids["award_a"]) & (Report.kind == "interim")).first()
    funder = await as_persona("funder")
    before = figures((await funder.get(f"/funder/programs/{world['program']}")).text)["reports"]
    staff = await as_persona("staff")
    await staff.get(f"/awards/{ids['award_a']}")
    assert (await staff.post(f"/staff/reports/{interim['id']}/approve")).status_code == 303
    assert (await Report.select(Report.status).where(Report.id == interim["id"]).first())["status"] == "approved"
    after = figures((await funder.get(f"/funder/programs/{world['program']}")).text)["reports"]
    overview = figures((await funder.get("/funder")).text)["reports"]
    assert (before, after, overview) == ("1", "1", "1")
