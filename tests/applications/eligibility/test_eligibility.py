"""Eligibility first: a program's questions before any draft; the ineligible see why and nothing is created.

The world's second program (clean-energy-fund), to which city A has not applied, asks tests/factories/teams.py
ELIGIBILITY: municipal government (yes), population 10,000 to 1,000,000, state IL or WI, and a focus; the
focus and the population fill in the form's `focus` and `families` fields.
"""

from __future__ import annotations

from datetime import timedelta

from portal.applications.tables import Application
from portal.core.audit import list_for
from portal.core.tables import AuditEvent
from tests.factories import add_member, make_org
from tests.factories.applications import application_row, set_deadline
from tests.factories.teams import ELIGIBILITY, set_eligibility

SLUG = "clean-energy-fund"
ELIGIBLE = {"municipal": "yes", "population": "115,000", "state": "IL", "focus": "screening"}


async def applications_of_program(program_id: int) -> int:
    return await Application.count().where(Application.program == program_id)


async def test_program_page_and_apply_lead_to_the_questions(world, as_persona):
    await set_eligibility(world["other_program"])
    client = await as_persona("applicant")
    program_page = await client.get(f"/programs/{SLUG}")
    assert f'href="/programs/{SLUG}/eligibility" data-testid="start-application"' in program_page.text
    response = await client.post(f"/programs/{SLUG}/apply", {})
    assert (response.status_code, response.headers["location"]) == (303, f"/programs/{SLUG}/eligibility")
    page = await client.get(f"/programs/{SLUG}/eligibility")
    assert page.status_code == 200
    for question in ELIGIBILITY["questions"]:
        assert question["label"] in page.text
    assert await applications_of_program(world["other_program"]) == 0


async def test_ineligible_city_sees_every_reason_and_nothing_is_created(world, as_persona):
    await set_eligibility(world["other_program"])
    client = await as_persona("applicant")
    audit_rows = await AuditEvent.count()
    response = await client.post(f"/programs/{SLUG}/eligibility",
                                 {"municipal": "no", "population": "500", "state": "TX", "focus": "diapers"})
    assert response.status_code == 200
    reasons = response.text.split('data-testid="ineligible-reasons"')[1].split("</ul>")[0]
    assert reasons.count("<li>") == 3
    for reason in ("Only municipal governments", "at least 10,000", "Illinois and Wisconsin"):
        assert reason in reasons
    assert 'value="TX" checked' in response.text  # the answers stay, to be corrected
    assert await applications_of_program(world["other_program"]) == 0
    assert await AuditEvent.count() == audit_rows


async def test_eligible_city_starts_a_draft_with_answers_filled_in(world, as_persona):
    await set_eligibility(world["other_program"])
    client = await as_persona("applicant")
    response = await client.post(f"/programs/{SLUG}/eligibility", ELIGIBLE)
    assert response.status_code == 303
    app_id = int(response.headers["location"].rsplit("/", 1)[1])
    row = await application_row(app_id)
    assert (row["organisation"], row["status"], row["answers"]) == (
        world["city_a"], "draft", {"focus": "screening", "families": 115_000})
    event = (await list_for("application", app_id))[0]
    assert (event["action"], event["detail"]["eligibility"]["population"]) == ("application.started", 115_000)
    # Once started, the program's "apply" resumes the draft, without asking again.
    again = await client.post(f"/programs/{SLUG}/apply", {})
    assert again.headers["location"] == f"/applications/{app_id}"


async def test_unanswered_and_malformed_answers_are_422_with_every_error(world, as_persona):
    await set_eligibility(world["other_program"])
    client = await as_persona("applicant")
    for data in [{}, {"municipal": "maybe", "population": "1e9", "state": "<script>alert(1)</script>",
                      "focus": ["screening", "nope"]},
                 {"municipal": "yes", "population": "-5", "state": "IL", "focus": "x" * 5000},
                 {"municipal": "yes", "population": "9" * 40, "state": "", "focus": "screening"}]:
        response = await client.post(f"/programs/{SLUG}/eligibility", data)
        assert response.status_code == 422, data
        assert 'data-testid="error-summary"' in response.text
        assert "<script>alert(1)" not in response.text
    empty = await client.post(f"/programs/{SLUG}/eligibility", {})
    assert [k for k in ("municipal", "population", "state", "focus") if f'id="error-{k}"' in empty.text] == [
        "municipal", "population", "state", "focus"]
    assert await applications_of_program(world["other_program"]) == 0


async def test_a_member_of_two_cities_chooses_one(world, as_persona):
    await set_eligibility(world["other_program"])
    city_c = await make_org("city", "Capital City", state="IL", population=200_000)
    await add_member(world["applicant"], city_c, "owner")
    client = await as_persona("applicant")
    page = await client.get(f"/programs/{SLUG}/eligibility")
    assert 'id="field-organisation"' in page.text
    missing = await client.post(f"/programs/{SLUG}/eligibility", ELIGIBLE)
    assert (missing.status_code, 'id="error-organisation"' in missing.text) == (422, True)
    not_mine = await client.post(f"/programs/{SLUG}/eligibility", ELIGIBLE | {"organisation": str(world["city_b"])})
    assert not_mine.status_code == 422
    chosen = await client.post(f"/programs/{SLUG}/eligibility", ELIGIBLE | {"organisation": str(city_c)})
    assert chosen.status_code == 303
    row = await application_row(int(chosen.headers["location"].rsplit("/", 1)[1]))
    assert row["organisation"] == city_c


async def test_prefill_copies_only_values_the_form_accepts(world, as_persona):
    spec = ELIGIBILITY | {"prefill": {"state": "focus", "population": "families", "municipal": "no_such_field"}}
    await set_eligibility(world["other_program"], spec)
    client = await as_persona("applicant")
    response = await client.post(f"/programs/{SLUG}/eligibility", ELIGIBLE)
    row = await application_row(int(response.headers["location"].rsplit("/", 1)[1]))
    assert row["answers"] == {"families": 115_000}  # "IL" is not an option of the focus field


async def test_without_a_city_or_questions_there_is_nothing_to_check(world, as_persona):
    await set_eligibility(world["other_program"])
    reviewer = await as_persona("reviewer")
    assert (await reviewer.get(f"/programs/{SLUG}/eligibility")).status_code == 403
    assert (await reviewer.post(f"/programs/{SLUG}/eligibility", ELIGIBLE)).status_code == 403
    await set_eligibility(world["other_program"], {})
    applicant = await as_persona("applicant")
    response = await applicant.get(f"/programs/{SLUG}/eligibility")
    assert (response.status_code, response.headers["location"]) == (303, f"/programs/{SLUG}")
    assert (await applicant.get("/programs/no-such-program/eligibility")).status_code == 404


async def test_eligible_after_the_deadline_is_refused_and_nothing_is_created(world, as_persona):
    await set_eligibility(world["other_program"])
    await set_deadline(world["other_program"], timedelta(seconds=-1))
    client = await as_persona("applicant")
    response = await client.post(f"/programs/{SLUG}/eligibility", ELIGIBLE)
    assert response.status_code == 409
    assert await applications_of_program(world["other_program"]) == 0
