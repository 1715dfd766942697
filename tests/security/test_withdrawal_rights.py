"""Finding 2: withdrawing a submitted application is the signer's or the owner's act, not an editor's.

Only the authorised signer can submit; an editor could nevertheless take the submission back. Now the server
refuses an editor (403) and the page hides the form by the same predicate (rules.can_withdraw)."""

from __future__ import annotations

from portal.applications.tables import Application
from portal.core.audit import list_for
from tests.factories import PASSWORD
from tests.factories.applications import application_row
from tests.factories.teams import TEAM_PERSONAS, build_team
from tests.support import Client

WITHDRAW_FORM = 'data-testid="withdraw-form"'


async def team_client(portal, key: str) -> Client:
    client = Client(portal)
    await client.login(TEAM_PERSONAS[key], PASSWORD)
    return client


async def withdraw(client: Client, application_id: int, reason: str = "We found other funding"):
    await client.get(f"/applications/{application_id}")
    return await client.post(f"/applications/{application_id}/withdraw", {"reason": reason})


async def test_an_editor_cannot_withdraw_a_submitted_application(world, portal):
    await build_team(world)
    editor = await team_client(portal, "editor")
    try:
        response = await withdraw(editor, world["application_a"])
        assert response.status_code == 403
        assert "signer" in response.text
        assert (await application_row(world["application_a"]))["status"] == "submitted"
        actions = [e["action"] for e in await list_for("application", world["application_a"])]
        assert "application.withdrawn" not in actions
    finally:
        await editor.aclose()


async def test_the_withdraw_form_is_hidden_from_an_editor_of_a_submitted_application(world, portal):
    await build_team(world)
    editor = await team_client(portal, "editor")
    try:
        page = await editor.get(f"/applications/{world['application_a']}")
        assert page.status_code == 200
        assert WITHDRAW_FORM not in page.text
    finally:
        await editor.aclose()


async def test_the_signer_can_withdraw_a_submitted_application(world, portal):
    await build_team(world)
    signer = await team_client(portal, "signer")
    try:
        page = await signer.get(f"/applications/{world['application_a']}")
        assert WITHDRAW_FORM in page.text
        assert (await withdraw(signer, world["application_a"])).status_code == 303
        assert (await application_row(world["application_a"]))["status"] == "withdrawn"
    finally:
        await signer.aclose()


async def test_the_owner_can_withdraw_a_submitted_application_even_with_another_signer(world, as_persona):
    await build_team(world)
    owner = await as_persona("applicant")
    page = await owner.get(f"/applications/{world['application_a']}")
    assert WITHDRAW_FORM in page.text
    assert (await withdraw(owner, world["application_a"])).status_code == 303
    assert (await application_row(world["application_a"]))["status"] == "withdrawn"


async def test_an_editor_can_still_withdraw_a_draft(world, portal):
    await build_team(world)
    await Application.update({Application.status: "draft", Application.receipt_number: None}).where(
        Application.id == world["application_a"])
    editor = await team_client(portal, "editor")
    try:
        page = await editor.get(f"/applications/{world['application_a']}")
        assert WITHDRAW_FORM in page.text
        assert (await withdraw(editor, world["application_a"])).status_code == 303
        assert (await application_row(world["application_a"]))["status"] == "withdrawn"
    finally:
        await editor.aclose()
