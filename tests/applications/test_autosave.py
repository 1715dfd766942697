"""Never losing work: field-by-field autosave, edits that cross, who else is in, and an expired session.

Two tabs of one editor (two clients signed in as the same person) stand for two colleagues: the rules compare
versions, not people. Presence needs two people: the applicant and a colleague of the same city.
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from portal.accounts.tables import Session
from portal.applications.tables import PendingSave
from portal.core import clock
from portal.core.audit import list_for
from tests.factories import PASSWORD, PERSONAS
from tests.factories.applications import VALID_FORM, application_row


async def two_tabs(world, as_persona):
    """City B's draft open in two tabs (the stranger is its city's only member)."""
    first, second = await as_persona("stranger"), await as_persona("stranger")
    app_id = world["application_b"]
    for tab in (first, second):
        await tab.get(f"/applications/{app_id}")
    return first, second, app_id


async def autosave(client, app_id, version, **fields):
    return await client.post(f"/applications/{app_id}/autosave", {"version": str(version), **fields})


# --- one field at a time -------------------------------------------------------------------------------

async def test_autosave_saves_only_the_posted_field_and_says_when(world, as_persona):
    tab, _, app_id = await two_tabs(world, as_persona)
    before = await application_row(app_id)
    response = await autosave(tab, app_id, 1, need="Typed a moment ago")
    assert response.status_code == 200
    assert response.headers["X-Version"] == "2"
    assert re.search(r"Saved at <time datetime=\"[^\"]+\">\d\d:\d\d:\d\d", response.text)
    after = await application_row(app_id)
    assert after["answers"] == before["answers"] | {"need": "Typed a moment ago"}
    assert (after["version"], after["field_versions"]) == (2, {"need": 2})
    assert (await list_for("application", app_id))[-1]["action"] == "application.saved"


async def test_autosave_is_never_blocked_by_required_fields(world, as_persona):
    tab, _, app_id = await two_tabs(world, as_persona)
    response = await autosave(tab, app_id, 1, project_title="")
    assert response.status_code == 200
    assert "project_title" not in (await application_row(app_id))["answers"]


async def test_autosave_unticked_checkbox_is_saved_as_unticked(world, as_persona):
    tab, _, app_id = await two_tabs(world, as_persona)
    assert (await autosave(tab, app_id, 1, attest="")).status_code == 200
    assert (await application_row(app_id))["answers"]["attest"] is False


async def test_autosave_malformed_value_is_422_and_saves_nothing(world, as_persona):
    tab, _, app_id = await two_tabs(world, as_persona)
    before = await application_row(app_id)
    response = await autosave(tab, app_id, 1, families="about twelve")
    assert response.status_code == 422
    assert 'data-field="families"' in response.text
    assert await application_row(app_id) == before


async def test_autosave_without_a_known_field_or_version_is_422(world, as_persona):
    tab, _, app_id = await two_tabs(world, as_persona)
    assert (await autosave(tab, app_id, 1, no_such_field="x")).status_code == 422
    response = await tab.post(f"/applications/{app_id}/autosave", {"need": "x"})
    assert response.status_code == 422
    assert "out of date" in response.text


async def test_autosave_by_stranger_is_404_and_by_staff_403(world, as_persona):
    stranger, staff = await as_persona("applicant"), await as_persona("staff")
    await stranger.get("/applications")
    await staff.get("/staff")
    app_id = world["application_b"]
    assert (await autosave(stranger, app_id, 1, need="x")).status_code == 404
    assert (await autosave(staff, app_id, 1, need="x")).status_code == 403


async def test_autosave_on_submitted_application_is_409(world, as_persona):
    client = await as_persona("applicant")
    app_id = world["application_a"]
    await client.get(f"/applications/{app_id}")
    assert (await autosave(client, app_id, 1, need="late")).status_code == 409


# --- edits that cross --------------------------------------------------------------------------------------

async def test_two_editors_same_field_no_silent_overwrite(world, as_persona):
    first, second, app_id = await two_tabs(world, as_persona)
    assert (await autosave(first, app_id, 1, need="First editor's text")).status_code == 200
    response = await autosave(second, app_id, 1, need="Second editor's text")
    assert response.status_code == 409
    assert 'data-testid="theirs-need"' in response.text and "First editor&#39;s text" in response.text
    assert 'data-version="2"' in response.text
    assert (await application_row(app_id))["answers"]["need"] == "First editor's text"
    # The second editor chooses to keep their own version: sent again on the version they have now seen.
    response = await autosave(second, app_id, 2, need="Second editor's text")
    assert response.status_code == 200
    assert (await application_row(app_id))["answers"]["need"] == "Second editor's text"


async def test_two_editors_different_fields_both_saved(world, as_persona):
    first, second, app_id = await two_tabs(world, as_persona)
    assert (await autosave(first, app_id, 1, need="From the first tab")).status_code == 200
    assert (await autosave(second, app_id, 1, families="300")).status_code == 200
    row = await application_row(app_id)
    assert (row["answers"]["need"], row["answers"]["families"], row["version"]) == ("From the first tab", 300, 3)


async def test_same_value_typed_by_both_is_not_a_conflict(world, as_persona):
    first, second, app_id = await two_tabs(world, as_persona)
    assert (await autosave(first, app_id, 1, need="Agreed text")).status_code == 200
    assert (await autosave(second, app_id, 1, need="Agreed text")).status_code == 200


async def test_step_save_keeps_other_editors_fields_and_reports_the_crossed_one(world, as_persona):
    first, second, app_id = await two_tabs(world, as_persona)
    assert (await autosave(first, app_id, 1, need="Autosaved by the first")).status_code == 200
    # The second tab still shows the old answers; it saves the whole form with one field changed.
    response = await second.post(f"/applications/{app_id}", {"version": "1", **(VALID_FORM | {
        "project_title": "Renamed by the second", "need": "Old text the second tab still shows"})})
    assert response.status_code == 409
    assert 'data-testid="my-entries"' in response.text and "Old text the second tab still shows" in response.text
    row = await application_row(app_id)
    assert (row["answers"]["need"], row["answers"]["project_title"]) == ("Autosaved by the first",
                                                                          "Renamed by the second")


async def test_submit_after_autosaves_is_not_a_conflict(world, as_persona):
    tab, _, app_id = await two_tabs(world, as_persona)
    assert (await autosave(tab, app_id, 1, project_title="Autosaved title")).status_code == 200
    response = await tab.post(f"/applications/{app_id}/submit", {"version": "1", **(VALID_FORM | {
        "project_title": "Autosaved title"}), "signature_name": "Stranger", "signature_attest": "yes"})
    assert response.status_code == 303
    assert (await application_row(app_id))["status"] == "submitted"


# --- who else is in -----------------------------------------------------------------------------------------

async def test_presence_shows_the_other_people_in_the_application(world, as_persona):
    applicant, colleague = await as_persona("applicant"), await as_persona("colleague")
    app_id = world["application_a"]
    for client in (applicant, colleague):
        await client.get(f"/applications/{app_id}")
    first = await applicant.htmx("POST", f"/applications/{app_id}/presence", {"step": "Budget"})
    assert first.status_code == 200 and "Also here" not in first.text
    second = await colleague.htmx("POST", f"/applications/{app_id}/presence", {"step": "Project"})
    assert "Also here" in second.text and "Budget" in second.text
    names = {"applicant": "Also here" in (await applicant.htmx("POST", f"/applications/{app_id}/presence")).text}
    assert names == {"applicant": True}


async def test_presence_by_stranger_is_404(world, as_persona):
    stranger = await as_persona("stranger")
    await stranger.get("/applications")
    assert (await stranger.htmx("POST", f"/applications/{world['application_a']}/presence")).status_code == 404


# --- an expired session ------------------------------------------------------------------------------------

async def expire_sessions() -> None:
    await Session.update({Session.expires_at: clock.now() - timedelta(minutes=1)}).where(Session.id > 0)


async def test_autosave_after_session_expired_is_401_and_asks_to_sign_in(world, as_persona):
    tab, _, app_id = await two_tabs(world, as_persona)
    await expire_sessions()
    response = await autosave(tab, app_id, 1, need="Typed while signed out")
    assert response.status_code == 401
    assert 'data-testid="session-expired"' in response.text and "Sign in again" in response.text


async def test_save_after_session_expired_keeps_the_typing_for_after_sign_in(world, as_persona):
    tab, _, app_id = await two_tabs(world, as_persona)
    await expire_sessions()
    typed = VALID_FORM | {"need": "Written over lunch, saved after the session ended"}
    response = await tab.post(f"/applications/{app_id}", {"version": "1", **typed})
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/login?expired=1&next=")
    back = parse_qs(urlsplit(location).query)["next"][0]
    assert "Written over lunch" not in location and (await application_row(app_id))["answers"]["need"] != typed["need"]

    tab.csrf = ""
    await tab.login(PERSONAS["stranger"], PASSWORD)
    page = await tab.get(back)
    assert page.status_code == 200
    assert "Written over lunch, saved after the session ended" in page.text
    assert "Your session had expired" in page.text
    token = parse_qs(urlsplit(back).query)["pending"][0]
    response = await tab.post(f"/applications/{app_id}", {"version": "1", "pending": token, **typed})
    assert response.status_code == 303
    assert (await application_row(app_id))["answers"]["need"] == typed["need"]
    assert await PendingSave.count() == 0


async def test_kept_typing_is_not_shown_to_someone_else(world, as_persona):
    tab, _, app_id = await two_tabs(world, as_persona)
    await expire_sessions()
    response = await tab.post(f"/applications/{app_id}", {"version": "1", **(VALID_FORM | {"need": "Private draft"})})
    back = parse_qs(urlsplit(response.headers["location"]).query)["next"][0]
    staff = await as_persona("staff")
    page = await staff.get(back)
    assert page.status_code == 200 and "Private draft" not in page.text


async def test_save_with_a_forged_token_after_expiry_is_refused(world, as_persona):
    tab, _, app_id = await two_tabs(world, as_persona)
    await expire_sessions()
    tab.csrf = "not-the-token"
    response = await tab.post(f"/applications/{app_id}", {"version": "1", "need": "x"})
    assert response.status_code == 403
    assert await PendingSave.count() == 0


async def test_save_button_after_own_autosave_is_not_a_conflict(world, as_persona):
    """The page autosaved a field a moment ago (version 2), then its Save button posts the whole form on the
    version the page was loaded at (1): the field's own version, sent along, shows the change was this page's."""
    tab, _, app_id = await two_tabs(world, as_persona)
    assert (await autosave(tab, app_id, 1, need="Half a sent")).status_code == 200
    form = {"version": "1", **(VALID_FORM | {"need": "Half a sentence, then the rest"})}
    response = await tab.post(f"/applications/{app_id}", form | {"field_versions": '{"need": "2"}'})
    assert response.status_code == 303
    assert (await application_row(app_id))["answers"]["need"] == "Half a sentence, then the rest"


async def test_garbled_field_versions_are_ignored(world, as_persona):
    tab, _, app_id = await two_tabs(world, as_persona)
    for garbage in ("not json", "[1, 2]", '{"need": "x"}', '{"need": 99999999999}'):
        response = await tab.post(f"/applications/{app_id}", {"version": "1", "field_versions": garbage,
                                                               **(VALID_FORM | {"need": garbage})})
        assert response.status_code in (303, 409), garbage


async def test_save_button_while_own_autosave_is_on_its_way_is_not_a_conflict(world, as_persona):
    """The page's autosave of a field had not answered yet when Save was pressed: the page marks the field
    "latest", so the newest saved value counts as its own."""
    tab, _, app_id = await two_tabs(world, as_persona)
    assert (await autosave(tab, app_id, 1, need="Sent by autosave")).status_code == 200
    form = {"version": "1", "field_versions": '{"need": "latest"}', **(VALID_FORM | {"need": "Sent by Save"})}
    assert (await tab.post(f"/applications/{app_id}", form)).status_code == 303
    assert (await application_row(app_id))["answers"]["need"] == "Sent by Save"
