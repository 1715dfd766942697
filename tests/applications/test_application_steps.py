"""The application form as steps (one section at a time) on the demo's richest form: saving one step keeps the
others, boxes and choices of the shown step are saved as empty, budgets derive the amount requested, the review
step lists every answer, and a failed submission links each problem to its step."""

from __future__ import annotations

import pytest

from portal.applications.tables import Application
from portal.demo import FORMS
from portal.programs.tables import FormVersion
from tests.factories.applications import application_row

SCHEMA = FORMS["healthy-babies"]  # every field type, six sections, conditions, a budget that derives the request


@pytest.fixture
async def draft(world, as_persona):
    """City B's draft, on a form of several steps, emptied, with a signed-in client for it."""
    await FormVersion.update({FormVersion.schema: SCHEMA}).where(
        (FormVersion.program == world["program"]) & (FormVersion.kind == "application"))
    await Application.update({Application.answers: {}}).where(Application.id == world["application_b"])
    client = await as_persona("stranger")
    await client.get(f"/applications/{world['application_b']}")
    return client, world["application_b"]


async def post_step(client, app_id, step, **values):
    version = (await application_row(app_id))["version"]
    return await client.post(f"/applications/{app_id}", {"version": str(version), "step": step, **values})


ABOUT = {"project_title": "Strong Starts", "contact_name": "Ann Lee", "contact_email": "ann@city.gov",
         "contact_phone": "(555) 201-3344", "city_address.street": "1 Main St", "city_address.city": "Springfield",
         "city_address.state": "IL", "city_address.zip": "62701"}
PLAN = {"focus": "screening", "also_touches": ["nutrition", "housing"], "plan": "Screen every toddler.",
        "start_date": "2027-01-15", "has_partners": "yes", "partners.0.name": "Library", "partners.0.type": "library",
        "partners.0.role": "Space", "partners.1.name": "", "partners.1.type": "", "partners.1.role": ""}
BUDGET = {"budget.0.category": "personnel", "budget.0.description": "Coordinator", "budget.0.amount": "24,000",
          "budget.0.cost_share": "15,000", "budget.1.category": "supplies", "budget.1.description": "Diapers",
          "budget.1.amount": "16,000.50", "budget.2.category": "", "budget.2.description": "", "budget.2.amount": ""}


async def test_saving_one_step_keeps_the_answers_of_the_others(draft):
    client, app_id = draft
    assert (await post_step(client, app_id, "about", **ABOUT)).status_code == 303
    assert (await post_step(client, app_id, "plan", **PLAN)).status_code == 303
    answers = (await application_row(app_id))["answers"]
    assert answers["project_title"] == "Strong Starts" and answers["contact_phone"] == "+1 555 201 3344"
    assert answers["city_address"] == {"street": "1 Main St", "city": "Springfield", "state": "IL", "zip": "62701"}
    assert answers["partners"] == [{"name": "Library", "type": "library", "role": "Space"}]
    assert answers["also_touches"] == ["nutrition", "housing"] and answers["has_partners"] is True


async def test_saving_a_step_saves_its_unticked_choices_as_empty(draft):
    client, app_id = draft
    await post_step(client, app_id, "plan", **PLAN)
    await post_step(client, app_id, "sign", signer_name="Mayor", attest="yes")
    await post_step(client, app_id, "plan", focus="screening")
    answers = (await application_row(app_id))["answers"]
    assert answers["also_touches"] == [] and "has_partners" not in answers and "partners" not in answers
    assert answers["attest"] is True  # another step: untouched


async def test_budget_step_derives_the_amount_requested(draft):
    client, app_id = draft
    assert (await post_step(client, app_id, "budget", **BUDGET)).status_code == 303
    row = await application_row(app_id)
    assert row["requested_cents"] == 4_000_050
    assert [line["amount"] for line in row["answers"]["budget"]] == [2_400_000, 1_600_050]
    page = (await client.get(f"/applications/{app_id}?step=budget")).text
    assert 'data-testid="budget-total-budget">$40,000.50<' in page
    assert 'data-total-category="personnel">$24,000<' in page
    assert 'name="budget.3.amount"' in page and 'name="budget.4.amount"' not in page  # two empty lines to add


async def test_save_redirects_to_the_step_or_the_next_one(draft):
    client, app_id = draft
    response = await post_step(client, app_id, "need", need="Many families.")
    assert response.headers["location"] == f"/applications/{app_id}?done=saved&step=need"
    response = await post_step(client, app_id, "need", need="Many families.", go="plan")
    assert response.headers["location"] == f"/applications/{app_id}?done=saved&step=plan"
    response = await post_step(client, app_id, "need", need="x", go="../../evil")
    assert response.headers["location"] == f"/applications/{app_id}?done=saved&step=need"


async def test_step_save_malformed_is_422_on_that_step_and_saves_nothing(draft):
    client, app_id = draft
    before = await application_row(app_id)
    response = await post_step(client, app_id, "about", **ABOUT | {"contact_email": "nope", "city_address.zip": "1"})
    assert response.status_code == 422
    assert 'id="error-contact_email"' in response.text and 'id="error-city_address"' in response.text
    assert 'href="#field-contact_email"' in response.text
    assert 'aria-current="step" data-testid="step-about"' in response.text
    assert 'value="nope"' in response.text
    assert (await application_row(app_id))["version"] == before["version"]


async def test_each_step_shows_only_its_fields_with_the_step_indicator(draft):
    client, app_id = draft
    page = (await client.get(f"/applications/{app_id}?step=plan")).text
    assert 'name="focus"' in page and 'name="project_title"' not in page
    assert 'aria-current="step" data-testid="step-plan"' in page
    assert 'name="step" value="plan"' in page
    assert 'href="/applications/%d?step=need"' % app_id in page and 'data-testid="save-continue"' in page
    first = (await client.get(f"/applications/{app_id}?step=<script>")).text
    assert 'aria-current="step" data-testid="step-about"' in first and "<script>" not in first.split("<main")[1]


async def test_conditional_field_hint_without_javascript(draft):
    client, app_id = draft
    page = (await client.get(f"/applications/{app_id}?step=plan")).text
    assert "Answer this only if the answer to “Main focus” is “Something else”." in page
    assert "data-show-if-field=\"has_partners\" data-show-if-values='[\"yes\"]'" in page


async def test_review_step_lists_every_answer_with_change_links(draft):
    client, app_id = draft
    await post_step(client, app_id, "about", **ABOUT)
    await post_step(client, app_id, "budget", **BUDGET)
    page = (await client.get(f"/applications/{app_id}?step=review")).text
    assert 'data-testid="step-heading">Review and submit<' in page
    assert "Springfield, IL 62701" in page and "$40,000.50" in page and "+1 555 201 3344" in page
    assert f'href="/applications/{app_id}?step=budget" data-testid="change-budget"' in page
    assert 'data-testid="submit-application"' in page


async def test_submit_with_problems_links_each_to_its_step(draft):
    client, app_id = draft
    await post_step(client, app_id, "about", **ABOUT | {"contact_email": ""})
    version = (await application_row(app_id))["version"]
    response = await client.post(f"/applications/{app_id}/submit", {"version": str(version), "step": "review"})
    assert response.status_code == 422
    assert f'href="/applications/{app_id}?step=about#field-contact_email"' in response.text
    assert f'href="/applications/{app_id}?step=budget#field-budget"' in response.text
    assert 'data-testid="step-problems-about">1 problem<' in response.text
    row = await application_row(app_id)
    assert (row["status"], row["version"], row["answers"]["project_title"]) == ("draft", version, "Strong Starts")


async def test_complete_application_submits_from_the_review_step(draft):
    client, app_id = draft
    await post_step(client, app_id, "about", **ABOUT)
    await post_step(client, app_id, "need", need="Many families.", families_in_need="1,200", child_poverty_rate="18.5")
    await post_step(client, app_id, "plan", **PLAN)
    await post_step(client, app_id, "budget", **BUDGET)
    await post_step(client, app_id, "metrics", target_families="600")
    await post_step(client, app_id, "sign", signer_name="Mayor Quimby", attest="yes")
    version = (await application_row(app_id))["version"]
    response = await client.post(f"/applications/{app_id}/submit", {"version": str(version), "step": "review",
                                                                     "signature_name": "Stranger",
                                                                     "signature_attest": "yes"})
    assert response.status_code == 303
    row = await application_row(app_id)
    assert (row["status"], row["requested_cents"]) == ("submitted", 4_000_050)
    assert row["answers"]["child_poverty_rate"] == 18.5


async def test_stale_step_save_is_409_for_the_crossed_field_and_saves_the_rest(draft):
    client, app_id = draft
    version = (await application_row(app_id))["version"]
    await post_step(client, app_id, "about", project_title="Saved first", **{"city_address.city": "Shelbyville"})
    response = await client.post(f"/applications/{app_id}", {"version": str(version), "step": "about", **(ABOUT | {
        "city_address.city": "Capital City"})})
    assert response.status_code == 409
    assert 'data-testid="my-entries"' in response.text
    assert "City hall mailing address (city)" in response.text and "Capital City" in response.text
    assert "Strong Starts" in response.text  # the other crossed field, listed too
    row = await application_row(app_id)
    assert (row["answers"]["project_title"], row["answers"]["city_address"]["city"]) == ("Saved first", "Shelbyville")
    assert row["answers"]["contact_name"] == "Ann Lee"  # not crossed: saved


async def test_rows_and_addresses_render_escaped(draft):
    client, app_id = draft
    xss = '"><script>alert(1)</script>'
    await post_step(client, app_id, "plan", **{"partners.0.name": xss, "partners.0.role": xss})
    await post_step(client, app_id, "budget", **{"budget.0.description": xss})
    await post_step(client, app_id, "about", **{"city_address.street": xss})
    for step in ("plan", "budget", "about", "review"):
        page = (await client.get(f"/applications/{app_id}?step={step}")).text
        assert "<script>alert(1)" not in page and "&lt;script&gt;" in page, step


async def test_hostile_posts_never_500(draft):
    client, app_id = draft
    names = ["budget.0.amount", "budget.999.category", "budget.99999.amount", "partners.0.type", "city_address.zip",
             "also_touches", "has_partners", "child_poverty_rate", "contact_phone", "city_website", "step", "go"]
    for value in ("x" * 5000, "\x00", "１２", "javascript:alert(1)", "-1", "1e999"):
        response = await client.post(f"/applications/{app_id}",
                                     [("version", "1")] + [(name, value) for name in names] + [(names[0], "2")])
        assert response.status_code in (303, 409, 422), value
