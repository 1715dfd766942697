"""Signing at submission: the signer types their full name and ticks the attestation; both are kept.

City B's draft belongs to the world's stranger@shelbyville.gov, whose account name is "Stranger".
"""

from __future__ import annotations

from portal.applications.signing import attestation_text
from portal.applications.team.tables import Signature
from portal.core.audit import list_for
from tests.factories import make_user
from tests.factories.applications import PDF_BYTES, VALID_FORM, application_row, signed
from tests.factories.teams import add_team_member


async def ready_draft(world, as_persona):
    """City B's draft, complete and saved (version 2), with its budget file; the owner's client."""
    owner = await as_persona("stranger")
    app_id = world["application_b"]
    # One answer differs from the factory's, so that the save makes version 2 (an unchanged save keeps 1).
    saved = await owner.post(f"/applications/{app_id}", {"version": "1", **(VALID_FORM | {"families": "121"})})
    assert saved.status_code == 303
    upload = await owner.post(f"/applications/{app_id}/files", {"field_key": "budget_file"},
                              files={"file": ("budget.pdf", PDF_BYTES, "application/pdf")})
    assert upload.status_code == 303
    return owner, app_id


async def test_submit_page_asks_the_signer_for_name_and_attestation(world, as_persona):
    owner, app_id = await ready_draft(world, as_persona)
    page = await owner.get(f"/applications/{app_id}?step=review")
    assert 'data-testid="signature"' in page.text
    assert attestation_text("Shelbyville") in page.text
    assert 'id="field-signature_name"' in page.text and 'for="field-signature_attest"' in page.text


async def test_signed_submission_keeps_name_time_address_and_audits_them(world, as_persona):
    owner, app_id = await ready_draft(world, as_persona)
    response = await owner.post(f"/applications/{app_id}/submit", {"signature_name": "  stranger ",
                                                                   "signature_attest": "yes"})
    assert response.status_code == 303
    row = await application_row(app_id)
    signature = await Signature.select().where(Signature.application == app_id).first()
    assert (signature["user"], signature["typed_name"], signature["receipt_number"]) == (
        world["stranger"], "stranger", row["receipt_number"])
    assert signature["attestation"] == attestation_text("Shelbyville")
    assert signature["ip_address"] != "" and signature["signed_at"] is not None
    event = (await list_for("application", app_id))[-1]
    assert (event["action"], event["detail"]["signature"]["typed_name"], event["detail"]["signature"]["user_id"]) == (
        "application.submitted", "stranger", world["stranger"])
    assert event["detail"]["signature"]["ip_address"] == signature["ip_address"]


async def test_wrong_name_is_422_with_the_summary_and_nothing_lost(world, as_persona):
    owner, app_id = await ready_draft(world, as_persona)
    response = await owner.post(f"/applications/{app_id}/submit", {
        "version": "2", **(VALID_FORM | {"need": "Kept text"}), "signature_name": "Someone Else",
        "signature_attest": "yes"})
    assert response.status_code == 422
    assert 'data-testid="error-summary"' in response.text and 'id="error-signature_name"' in response.text
    assert "Kept text" in response.text and 'value="Someone Else"' in response.text
    row = await application_row(app_id)
    assert (row["status"], row["version"], row["answers"]["need"]) == ("draft", 2, VALID_FORM["need"])
    assert await Signature.count() == 0


async def test_blank_signature_and_incomplete_form_show_every_error_at_once(world, as_persona):
    owner = await as_persona("stranger")
    app_id = world["application_b"]
    await owner.post(f"/applications/{app_id}", {"version": "1", "project_title": "Only a title"})
    response = await owner.post(f"/applications/{app_id}/submit", {})
    assert response.status_code == 422
    for key in ("need", "amount", "signature_name", "signature_attest"):
        assert f'id="error-{key}"' in response.text, key
    assert (await application_row(app_id))["status"] == "draft"


async def test_unticked_attestation_is_422(world, as_persona):
    owner, app_id = await ready_draft(world, as_persona)
    response = await owner.post(f"/applications/{app_id}/submit", {"signature_name": "Stranger"})
    assert (response.status_code, 'id="error-signature_attest"' in response.text) == (422, True)
    assert 'id="error-signature_name"' not in response.text


async def test_hostile_typed_names_are_refused_inert(world, as_persona):
    owner, app_id = await ready_draft(world, as_persona)
    for name in ["<script>alert(1)</script>", "x" * 10_000, ["Stranger", "<img src=x onerror=1>"], "Stranger <b>",
                 "Strange r", "\u202eregnartS"]:
        response = await owner.post(f"/applications/{app_id}/submit", {"signature_name": name, "signature_attest": "yes"})
        assert response.status_code == 422, name
        assert "<script>alert(1)" not in response.text and "<img src=x" not in response.text
    assert await Signature.count() == 0


async def test_typed_name_compares_as_people_type_it(world, as_persona):
    owner, app_id = await ready_draft(world, as_persona)
    response = await owner.post(f"/applications/{app_id}/submit", {"signature_name": "ＳＴＲＡＮＧＥＲ\x00",
                                                                   "signature_attest": "on"})
    assert response.status_code == 303  # full-width letters, any case, a NUL byte dropped by the form reader


async def test_named_signer_submits_and_is_recorded_as_submitter(world, as_persona, make_client):
    mayor = await make_user("mayor@shelbyville.gov", "Mayor Quimby")
    _, app_id = await ready_draft(world, as_persona)
    await add_team_member(app_id, mayor, "editor", signer=True)
    client = await make_client()
    await client.login("mayor@shelbyville.gov", "persona-password-123")
    page = await client.get(f"/applications/{app_id}?step=review")
    assert 'data-testid="signature"' in page.text and "Mayor Quimby" in page.text
    response = await client.post(f"/applications/{app_id}/submit", signed("Mayor Quimby"))
    assert response.status_code == 303
    row = await application_row(app_id)
    assert (row["status"], row["submitted_by"]) == ("submitted", mayor)
    assert (await Signature.select(Signature.user).first())["user"] == mayor
