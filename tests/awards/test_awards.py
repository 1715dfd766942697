"""Award decisions through HTTP: award, decline, validation, conflicts, emails, audit, letters."""

from __future__ import annotations

import asyncio
from io import BytesIO

from pypdf import PdfReader

from portal.applications.tables import Application
from portal.awards.tables import Award
from portal.core.tables import AuditEvent
from portal.programs.tables import Program
from portal.reporting.tables import Report
from tests.factories import make_application, make_org
from tests.factories.awards import make_award
from tests.support import body_of

GOOD_AWARD = {"decision": "award", "amount": "25,000.50", "conditions": "Report on outcomes within a year.",
              "start_date": "2027-01-01", "end_date": "2027-12-31"}


def decision_url(world, key: str = "application_a") -> str:
    return f"/staff/applications/{world[key]}/decision"


async def status_of(application_id: int) -> str:
    row = await Application.select(Application.status).where(Application.id == application_id).first()
    return row["status"]


async def audit_actions(object_type: str, object_id: int) -> list[str]:
    rows = await AuditEvent.select(AuditEvent.action).where(
        (AuditEvent.object_type == object_type) & (AuditEvent.object_id == object_id)).order_by(AuditEvent.id)
    return [r["action"] for r in rows]


async def test_decision_page_prefills_from_program(world, as_persona):
    staff = await as_persona("staff")
    response = await staff.get(decision_url(world))
    assert response.status_code == 200
    assert 'value="2027-01-01"' in response.text and 'value="2027-12-31"' in response.text
    assert "Report on outcomes within a year." in response.text
    assert 'data-testid="budget-left">$500,000<' in response.text


async def test_decision_award_creates_award_reports_audit_and_email(world, as_persona, mailbox):
    staff = await as_persona("staff")
    await staff.get(decision_url(world))
    response = await staff.post(decision_url(world), GOOD_AWARD)
    assert response.status_code == 303
    award = await Award.select().where(Award.application == world["application_a"]).first()
    assert response.headers["location"] == f"/awards/{award['id']}"
    assert award["amount_cents"] == 2_500_050
    assert award["status"] == "offered"
    assert str(award["start_date"]) == "2027-01-01"
    assert await status_of(world["application_a"]) == "awarded"
    reports = await Report.select(Report.kind).where(Report.award == award["id"]).order_by(Report.due_on)
    assert [r["kind"] for r in reports] == ["interim", "final"]
    assert await audit_actions("award", award["id"]) == ["award.decided", "award.letter_made"]
    assert award["letter_file"].endswith(".pdf") and len(award["letter_sha256"]) == 64
    for address in ("applicant@springfield.gov", "colleague@springfield.gov"):
        message = await mailbox.wait_for(address, "Award")
        body = body_of(message)
        assert "$25,000.50" in body
        assert f"http://testserver/awards/{award['id']}/letter.pdf" in body
    assert mailbox.to("stranger@shelbyville.gov") == []


async def test_decision_award_letter_contents(world, as_persona, portal):
    staff = await as_persona("staff")
    await staff.get(decision_url(world))
    await staff.post(decision_url(world), GOOD_AWARD)
    award = await Award.select(Award.id, Award.letter_file).where(Award.application == world["application_a"]).first()
    path = portal.state.settings.files_dir / "letters" / award["letter_file"]
    text = "\n".join(page.extract_text() for page in PdfReader(BytesIO(path.read_bytes())).pages)
    for expected in ("Mayors Innovation Project", "Healthy Babies", "Springfield, IL", "$25,000.50",
                     "A cash grant", "Report on outcomes within a year.", "January 1, 2027", "December 31, 2027",
                     "Interim report", "Final report", "Jordan Rivers, Director", "Page 1 of 1"):
        assert expected in text, expected


async def test_decision_decline_sets_status_audit_and_emails_note(world, as_persona, mailbox):
    staff = await as_persona("staff")
    await staff.get(decision_url(world))
    response = await staff.post(decision_url(world), {"decision": "decline", "note": "The plan lacks partners."})
    assert response.status_code == 303
    assert await status_of(world["application_a"]) == "declined"
    assert await Award.count().where(Award.application == world["application_a"]) == 0
    assert await audit_actions("application", world["application_a"]) == ["application.declined"]
    message = await mailbox.wait_for("applicant@springfield.gov", "Decision")
    assert "The plan lacks partners." in body_of(message)
    page = await staff.get(decision_url(world))
    assert 'data-testid="decision-made"' in page.text and "The plan lacks partners." in page.text


async def test_decision_decline_without_note_is_422(world, as_persona):
    staff = await as_persona("staff")
    await staff.get(decision_url(world))
    response = await staff.post(decision_url(world), {"decision": "decline", "note": "  "})
    assert response.status_code == 422
    assert 'id="error-note"' in response.text
    assert await status_of(world["application_a"]) == "submitted"


async def test_decision_over_budget_is_422_and_keeps_input(world, as_persona):
    await Program.update({Program.budget_cents: 3_000_000}).where(Program.id == world["program"])
    other_city = await make_org("city", "Capital City", state="IL")
    other_app = await make_application(world["program"], other_city, world["applicant"], status="submitted")
    await make_award(other_app, world["staff"], amount_cents=2_000_000)
    staff = await as_persona("staff")
    await staff.get(decision_url(world))
    response = await staff.post(decision_url(world), {**GOOD_AWARD, "amount": "10,000.01",
                                                      "conditions": "Keep these words"})
    assert response.status_code == 422
    assert "budget left ($10,000)" in response.text
    assert 'value="10,000.01"' in response.text and "Keep these words" in response.text
    assert await status_of(world["application_a"]) == "submitted"
    exactly_left = await staff.post(decision_url(world), {**GOOD_AWARD, "amount": "10000"})
    assert exactly_left.status_code == 303


async def test_decision_bad_input_shows_every_error_422(world, as_persona):
    staff = await as_persona("staff")
    await staff.get(decision_url(world))
    response = await staff.post(decision_url(world), {"decision": "award", "amount": "12abc",
                                                      "conditions": "", "start_date": "2027-02-30",
                                                      "end_date": ""})
    assert response.status_code == 422
    assert 'id="error-summary"' in response.text
    for field in ("amount", "start_date", "end_date"):
        assert f'id="error-{field}"' in response.text
    assert 'value="12abc"' in response.text
    zero = await staff.post(decision_url(world), {**GOOD_AWARD, "amount": "0"})
    assert zero.status_code == 422 and "more than $0" in zero.text
    backwards = await staff.post(decision_url(world), {**GOOD_AWARD, "end_date": "2026-12-31"})
    assert backwards.status_code == 422 and 'id="error-end_date"' in backwards.text
    assert await Award.count() == 0


async def test_decision_on_draft_is_409(world, as_persona):
    staff = await as_persona("staff")
    assert (await staff.get(decision_url(world, "application_b"))).status_code == 409
    await staff.get(decision_url(world))
    response = await staff.post(decision_url(world, "application_b"), GOOD_AWARD)
    assert response.status_code == 409
    assert "still a draft" in response.text
    assert await status_of(world["application_b"]) == "draft"


async def test_decision_double_submit_makes_one_award(world, as_persona, mailbox):
    staff = await as_persona("staff")
    await staff.get(decision_url(world))
    first = await staff.post(decision_url(world), GOOD_AWARD)
    second = await staff.post(decision_url(world), GOOD_AWARD)
    assert (first.status_code, second.status_code) == (303, 409)
    assert "already been decided" in second.text
    decline_after = await staff.post(decision_url(world), {"decision": "decline", "note": "Oops"})
    assert decline_after.status_code == 409
    assert await Award.count().where(Award.application == world["application_a"]) == 1
    assert await status_of(world["application_a"]) == "awarded"


async def test_decision_concurrent_submits_make_one_award(world, as_persona):
    staff = await as_persona("staff")
    await staff.get(decision_url(world))
    responses = await asyncio.gather(*[staff.post(decision_url(world), GOOD_AWARD) for _ in range(3)])
    assert sorted(r.status_code for r in responses) == [303, 409, 409]
    assert await Award.count().where(Award.application == world["application_a"]) == 1


async def test_decision_stranger_404_member_403(world, as_persona):
    for persona in ("stranger", "other_funder", "funder", "idle_reviewer"):
        client = await as_persona(persona)
        assert (await client.get(decision_url(world))).status_code == 404, persona
        assert (await client.post(decision_url(world), GOOD_AWARD)).status_code == 404, persona
    for persona in ("applicant", "colleague", "reviewer"):
        client = await as_persona(persona)
        assert (await client.get(decision_url(world))).status_code == 403, persona
        assert (await client.post(decision_url(world), GOOD_AWARD)).status_code == 403, persona
    admin = await as_persona("admin")
    assert (await admin.get(decision_url(world))).status_code == 200
    assert await status_of(world["application_a"]) == "submitted"
