"""A program's page offers "Start an application" to exactly those the server lets start one (a city's owners and
members), and tells everyone else how applying works instead of leading them to a 403."""

from __future__ import annotations

from tests.factories.teams import set_eligibility

START = 'data-testid="start-application"'
PERSONAS = ["applicant", "colleague", "stranger", "reviewer", "funder", "staff", "admin"]
CITY_PEOPLE = {"applicant", "colleague", "stranger"}  # owners and members of Springfield and Shelbyville


async def test_start_button_is_shown_exactly_to_those_who_may_start_without_eligibility_questions(world, as_persona):
    shown, allowed = {}, {}
    for persona in PERSONAS:
        client = await as_persona(persona)
        page = await client.get("/programs/clean-energy-fund")
        shown[persona] = START in page.text
        allowed[persona] = (await client.post("/programs/clean-energy-fund/apply")).status_code != 403

    assert allowed == {persona: persona in CITY_PEOPLE for persona in PERSONAS}
    assert shown == allowed


async def test_start_button_is_shown_exactly_to_those_who_may_answer_the_eligibility_questions(world, as_persona):
    await set_eligibility(world["program"])
    shown, allowed = {}, {}
    for persona in PERSONAS:
        client = await as_persona(persona)
        page = await client.get("/programs/healthy-babies")
        shown[persona] = START in page.text
        allowed[persona] = (await client.get("/programs/healthy-babies/eligibility")).status_code == 200

    assert allowed == {persona: persona in CITY_PEOPLE for persona in PERSONAS}
    assert shown == allowed


async def test_program_page_tells_a_signed_in_non_city_account_who_can_apply(world, as_persona):
    client = await as_persona("reviewer")
    page = await client.get("/programs/clean-energy-fund")

    assert page.status_code == 200
    assert 'data-testid="apply-needs-city"' in page.text
    assert "Applications are made by the owners and members of a city" in page.text


async def test_program_page_asks_a_visitor_to_sign_in_with_a_city_account(world, as_persona):
    client = await as_persona("anonymous")
    page = await client.get("/programs/clean-energy-fund")

    assert page.status_code == 200
    assert START not in page.text
    assert 'href="/login?next=/programs/clean-energy-fund"' in page.text
    assert "Sign in with a city account to apply" in page.text
