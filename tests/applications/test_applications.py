"""Applying through HTTP: start, draft, stale saves, files, submission, deadline, list, escaping."""

from __future__ import annotations

import asyncio
import hashlib
import io
import zipfile
from datetime import timedelta

import pikepdf

from portal.applications.services import canonical_json
from portal.core.audit import list_for
from portal.reviews.tables import ReviewPanel
from tests.factories.applications import PDF_BYTES, VALID_FORM, application_row, set_deadline, signed
from tests.support import body_of


async def start(client, slug="healthy-babies"):
    await client.get(f"/programs/{slug}")
    return await client.post(f"/programs/{slug}/apply")


async def draft_b(world, as_persona):
    """City B's draft (the stranger owns it) with a signed-in client for it."""
    client = await as_persona("stranger")
    return client, world["application_b"]


async def save(client, app_id, version, **values):
    await client.get(f"/applications/{app_id}")
    return await client.post(f"/applications/{app_id}", {"version": str(version), **values})


# --- start -------------------------------------------------------------------------------------------

async def test_start_application_creates_a_draft_and_resumes_it(world, as_persona):
    client = await as_persona("applicant")
    first = await start(client, "clean-energy-fund")
    assert first.status_code == 303
    again = await start(client, "clean-energy-fund")
    assert again.headers["location"] == first.headers["location"]
    page = await client.get(first.headers["location"])
    assert page.status_code == 200
    assert 'data-testid="application-form"' in page.text
    app_id = int(first.headers["location"].rsplit("/", 1)[1])
    assert [e["action"] for e in await list_for("application", app_id)] == ["application.started"]


async def test_start_application_without_a_city_is_403_with_a_clear_page(world, as_persona):
    client = await as_persona("reviewer")
    response = await start(client)
    assert response.status_code == 403
    assert "Only members of a city can apply" in response.text


async def test_start_application_unknown_program_is_404(world, as_persona):
    client = await as_persona("applicant")
    assert (await start(client, "no-such-program")).status_code == 404


async def test_start_application_anonymous_is_sent_to_sign_in(world, as_persona):
    client = await as_persona("anonymous")
    response = await start(client)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


async def test_start_application_after_deadline_is_409(world, as_persona):
    await set_deadline(world["other_program"], timedelta(minutes=-1))
    client = await as_persona("applicant")
    response = await start(client, "clean-energy-fund")
    assert response.status_code == 409


# --- list --------------------------------------------------------------------------------------------

async def test_application_list_shows_only_my_cities(world, as_persona):
    client = await as_persona("applicant")
    response = await client.get("/applications")
    assert response.status_code == 200
    assert f'application-row-{world["application_a"]}' in response.text
    assert f'application-row-{world["application_b"]}' not in response.text
    assert "Submitted" in response.text


async def test_dashboard_shows_my_applications_with_next_step(world, as_persona):
    client = await as_persona("stranger")
    response = await client.get("/dashboard")
    assert f'dashboard-application-{world["application_b"]}' in response.text
    assert "Finish and submit before the deadline" in response.text


# --- view and edit -----------------------------------------------------------------------------------

async def test_application_page_access(world, as_persona):
    expected = {"applicant": 200, "colleague": 200, "stranger": 404, "reviewer": 200, "idle_reviewer": 404,
                "other_reviewer": 404, "funder": 404, "staff": 200, "admin": 200}
    for persona, status in expected.items():
        client = await as_persona(persona)
        response = await client.get(f"/applications/{world['application_a']}")
        assert (persona, response.status_code) == (persona, status)


async def test_submitted_application_shows_receipt_read_only(world, as_persona):
    client = await as_persona("applicant")
    response = await client.get(f"/applications/{world['application_a']}")
    assert 'data-testid="receipt"' in response.text
    assert 'data-testid="application-form"' not in response.text


async def test_reviewer_of_blind_panel_sees_identifying_fields_hidden(world, as_persona):
    await ReviewPanel.update({ReviewPanel.blind: True}).where(ReviewPanel.id == world["panel"])
    client = await as_persona("reviewer")
    response = await client.get(f"/applications/{world['application_a']}")
    assert "Hidden for blind review" in response.text
    assert "Ann Lee" not in response.text and "Springfield" not in response.text


async def test_reviewer_of_open_panel_sees_identifying_fields(world, as_persona):
    client = await as_persona("reviewer")
    response = await client.get(f"/applications/{world['application_a']}")
    assert "Hidden for blind review" not in response.text
    assert "Ann Lee" in response.text and "Springfield" in response.text


async def test_save_draft_stores_typed_values_and_bumps_version(world, as_persona):
    client, app_id = await draft_b(world, as_persona)
    response = await save(client, app_id, 1, **(VALID_FORM | {"project_title": "Safe streets", "amount": "30,000"}))
    assert response.status_code == 303
    row = await application_row(app_id)
    assert (row["version"], row["answers"]["amount"], row["requested_cents"]) == (2, 3_000_000, 3_000_000)
    assert row["answers"]["attest"] is True
    assert row["title"] == "Safe streets"
    assert row["field_versions"] == {"amount": 2, "project_title": 2}
    assert (await list_for("application", app_id))[-1]["action"] == "application.saved"


async def test_save_draft_unchanged_keeps_the_version(world, as_persona):
    client, app_id = await draft_b(world, as_persona)
    before = await application_row(app_id)
    assert (await save(client, app_id, 1, **VALID_FORM)).status_code == 303
    after = await application_row(app_id)
    assert (after["version"], after["answers"]) == (1, before["answers"])
    assert [e["action"] for e in await list_for("application", app_id)] == []


async def test_save_draft_malformed_is_422_and_keeps_input(world, as_persona):
    client, app_id = await draft_b(world, as_persona)
    response = await save(client, app_id, 1, **(VALID_FORM | {"amount": "lots", "families": "many"}))
    assert response.status_code == 422
    assert 'id="error-summary"' in response.text
    assert 'id="error-amount"' in response.text and 'id="error-families"' in response.text
    assert 'value="lots"' in response.text and VALID_FORM["need"] in response.text
    assert (await application_row(app_id))["version"] == 1


async def test_save_draft_with_empty_required_fields_is_saved(world, as_persona):
    client, app_id = await draft_b(world, as_persona)
    response = await save(client, app_id, 1, project_title="Only a title")
    assert response.status_code == 303
    assert (await application_row(app_id))["answers"] == {"project_title": "Only a title", "attest": False}


async def test_save_draft_stale_version_is_409_and_shows_newer_values(world, as_persona):
    client, app_id = await draft_b(world, as_persona)
    assert (await save(client, app_id, 1, project_title="Saved first")).status_code == 303
    response = await save(client, app_id, 1, project_title="Typed in an old tab")
    assert response.status_code == 409
    assert 'value="Saved first"' in response.text
    assert 'data-testid="my-entries"' in response.text and "Typed in an old tab" in response.text
    assert 'name="version" value="2"' in response.text
    assert (await application_row(app_id))["answers"]["project_title"] == "Saved first"


async def test_save_draft_by_member_without_the_right_is_403(world, as_persona):
    client = await as_persona("staff")
    await client.get(f"/applications/{world['application_b']}")
    response = await client.post(f"/applications/{world['application_b']}", {"version": "1"})
    assert response.status_code == 403


async def test_save_draft_by_stranger_is_404(world, as_persona):
    client = await as_persona("applicant")
    await client.get("/applications")
    response = await client.post(f"/applications/{world['application_b']}", {"version": "1"})
    assert response.status_code == 404


async def test_save_submitted_application_is_409(world, as_persona):
    client = await as_persona("applicant")
    response = await save(client, world["application_a"], 1, project_title="Changed later")
    assert response.status_code == 409


async def test_answers_are_rendered_escaped(world, as_persona):
    client, app_id = await draft_b(world, as_persona)
    xss = '<script>alert("x")</script>'
    await save(client, app_id, 1, project_title=xss, need=xss)
    response = await client.get(f"/applications/{app_id}")
    assert xss not in response.text
    assert "&lt;script&gt;" in response.text
    staff = await as_persona("staff")
    assert xss not in (await staff.get(f"/applications/{app_id}")).text


# --- files -------------------------------------------------------------------------------------------

async def upload(client, app_id, content=PDF_BYTES, name="budget.pdf", field="budget_file"):
    await client.get(f"/applications/{app_id}")
    return await client.post(f"/applications/{app_id}/files", {"field_key": field},
                             files={"file": (name, content, "application/pdf")})


async def test_upload_pdf_and_download_it(world, as_persona):
    client, app_id = await draft_b(world, as_persona)
    response = await upload(client, app_id)
    assert response.status_code == 303
    page = await client.get(f"/applications/{app_id}")
    assert "budget.pdf" in page.text
    file_id = int(page.text.split(f"/applications/{app_id}/files/")[1].split('"')[0])
    download = await client.get(f"/applications/{app_id}/files/{file_id}")
    assert download.status_code == 200
    assert download.content == PDF_BYTES
    assert download.headers["content-disposition"].startswith("attachment")
    assert download.headers["x-content-type-options"] == "nosniff"


async def test_upload_non_pdf_named_pdf_is_422_with_message(world, as_persona):
    client, app_id = await draft_b(world, as_persona)
    response = await upload(client, app_id, content=b"MZ\x90\x00 not a pdf", name="budget.pdf")
    assert response.status_code == 422
    assert "The file is not a PDF" in response.text


async def test_upload_pdf_with_javascript_is_422(world, as_persona):
    client, app_id = await draft_b(world, as_persona)
    response = await upload(client, app_id, content=b"%PDF-1.4\n<< /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>")
    assert response.status_code == 422
    assert "scripts" in response.text


def built_pdf(change=lambda pdf: None, **save) -> bytes:
    """A real one-page PDF made with pikepdf, changed by `change` before it is saved."""
    pdf = pikepdf.new()
    pdf.add_blank_page()
    change(pdf)
    out = io.BytesIO()
    pdf.save(out, **save)
    return out.getvalue()


def attach_file(pdf):
    pdf.attachments["notes.txt"] = pikepdf.AttachedFileSpec(pdf, b"hello", mime_type="text/plain")


async def test_upload_real_pdf_is_303(world, as_persona):
    client, app_id = await draft_b(world, as_persona)
    assert (await upload(client, app_id, content=built_pdf())).status_code == 303


async def test_upload_pdf_with_attachment_is_422(world, as_persona):
    client, app_id = await draft_b(world, as_persona)
    response = await upload(client, app_id, content=built_pdf(attach_file))
    assert response.status_code == 422
    assert "scripts, attachments or actions" in response.text


async def test_upload_password_protected_pdf_is_422(world, as_persona):
    client, app_id = await draft_b(world, as_persona)
    content = built_pdf(encryption=pikepdf.Encryption(owner="owner", user="secret"))
    response = await upload(client, app_id, content=content)
    assert response.status_code == 422
    assert "protected by a password" in response.text


async def test_upload_pdf_zip_polyglot_is_422(world, as_persona):
    client, app_id = await draft_b(world, as_persona)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("index.html", "<script>alert(1)</script>")
    response = await upload(client, app_id, content=built_pdf() + archive.getvalue())
    assert response.status_code == 422
    assert "other content hidden after the end of the PDF" in response.text
    assert "budget.pdf" not in (await client.get(f"/applications/{app_id}")).text


async def test_upload_to_unknown_field_is_422(world, as_persona):
    client, app_id = await draft_b(world, as_persona)
    assert (await upload(client, app_id, field="need")).status_code == 422


async def test_upload_by_stranger_is_404_and_by_staff_403(world, as_persona):
    stranger = await as_persona("applicant")
    assert (await upload(stranger, world["application_b"])).status_code == 404
    staff = await as_persona("staff")
    assert (await upload(staff, world["application_b"])).status_code == 403


async def test_upload_replaces_the_file_of_a_single_file_field(world, as_persona):
    client, app_id = await draft_b(world, as_persona)
    await upload(client, app_id, name="first.pdf")
    await upload(client, app_id, name="second.pdf")
    page = await client.get(f"/applications/{app_id}")
    assert "second.pdf" in page.text and "first.pdf" not in page.text


async def test_remove_file(world, as_persona):
    client, app_id = await draft_b(world, as_persona)
    await upload(client, app_id)
    page = await client.get(f"/applications/{app_id}")
    file_id = int(page.text.split(f"/applications/{app_id}/files/")[1].split('"')[0])
    response = await client.post(f"/applications/{app_id}/files/{file_id}/delete", {"field_key": "budget_file"})
    assert response.status_code == 303
    assert "budget.pdf" not in (await client.get(f"/applications/{app_id}")).text
    assert (await client.get(f"/applications/{app_id}/files/{file_id}")).status_code == 404


async def submit_with_file(world, as_persona):
    """City A's draft on the second program, complete, with its budget uploaded and submitted."""
    client = await as_persona("applicant")
    started = await start(client, "clean-energy-fund")
    app_id = int(started.headers["location"].rsplit("/", 1)[1])
    await upload(client, app_id)
    await save(client, app_id, 1, **VALID_FORM)
    response = await client.post(f"/applications/{app_id}/submit", signed("Applicant"))
    assert response.status_code == 303
    page = await client.get(f"/applications/{app_id}")
    file_id = int(page.text.split(f"/applications/{app_id}/files/")[1].split('"')[0])
    return app_id, file_id


async def test_download_access_by_persona(world, as_persona, make_client):
    app_id, file_id = await submit_with_file(world, as_persona)
    from tests.factories import assign

    await assign(app_id, world["reviewer"], world["staff"])
    expected = {"applicant": 200, "colleague": 200, "stranger": 404, "reviewer": 200, "idle_reviewer": 404,
                "other_reviewer": 404, "funder": 404, "staff": 200, "admin": 200}
    for persona, status in expected.items():
        client = await as_persona(persona)
        response = await client.get(f"/applications/{app_id}/files/{file_id}")
        assert (persona, response.status_code) == (persona, status)
    anonymous = await as_persona("anonymous")
    assert (await anonymous.get(f"/applications/{app_id}/files/{file_id}")).status_code == 303
    # a file id of this application under another application's address: not found
    other = await as_persona("applicant")
    assert (await other.get(f"/applications/{world['application_a']}/files/{file_id}")).status_code == 404


# --- submit ------------------------------------------------------------------------------------------

async def test_submit_gives_receipt_hash_and_email(world, as_persona, mailbox):
    app_id, _ = await submit_with_file(world, as_persona)
    row = await application_row(app_id)
    assert row["status"] == "submitted"
    assert row["receipt_number"].startswith("CEF-") and row["receipt_number"].endswith(f"{app_id:06d}")
    assert row["content_sha256"] == hashlib.sha256(canonical_json(row["answers"])).hexdigest()
    message = await mailbox.wait_for("applicant@springfield.gov", "Received")
    body = body_of(message)
    assert row["receipt_number"] in body and row["content_sha256"] in body
    assert (await list_for("application", app_id))[-1]["action"] == "application.submitted"


async def test_submit_incomplete_is_422_with_every_error(world, as_persona):
    client, app_id = await draft_b(world, as_persona)
    await save(client, app_id, 1, project_title="Only a title")
    response = await client.post(f"/applications/{app_id}/submit")
    assert response.status_code == 422
    for key in ("need", "amount", "focus", "attest"):
        assert f'id="error-{key}"' in response.text
    assert (await application_row(app_id))["status"] == "draft"


async def test_submit_from_the_form_saves_and_submits_at_once(world, as_persona):
    client, app_id = await draft_b(world, as_persona)
    await client.get(f"/applications/{app_id}")
    response = await client.post(f"/applications/{app_id}/submit", {"version": "1", **VALID_FORM,
                                                                     **signed("Stranger")})
    assert response.status_code == 303
    row = await application_row(app_id)
    assert (row["status"], row["answers"]["amount"]) == ("submitted", 2_500_000)


async def test_submit_from_the_form_invalid_keeps_typed_values_and_draft(world, as_persona):
    client, app_id = await draft_b(world, as_persona)
    await client.get(f"/applications/{app_id}")
    response = await client.post(f"/applications/{app_id}/submit",
                                 {"version": "1", **(VALID_FORM | {"attest": "", "need": "Kept text"})})
    assert response.status_code == 422
    assert "Kept text" in response.text and 'id="error-attest"' in response.text
    assert (await application_row(app_id))["version"] == 1


async def test_submit_after_deadline_is_refused_and_keeps_the_draft(world, as_persona):
    client, app_id = await draft_b(world, as_persona)
    await save(client, app_id, 1, **VALID_FORM)
    before = await application_row(app_id)
    await set_deadline(world["program"], timedelta(seconds=-1))
    response = await client.post(f"/applications/{app_id}/submit", {"version": "2", **VALID_FORM,
                                                                     "project_title": "Late change"})
    assert response.status_code == 409
    assert 'data-testid="deadline-message"' in response.text
    assert "can no longer be submitted" in response.text
    after = await application_row(app_id)
    assert (after["status"], after["version"], after["answers"]) == ("draft", before["version"], before["answers"])
    assert after["receipt_number"] is None


async def test_double_submit_gives_one_receipt(world, as_persona, mailbox):
    client, app_id = await draft_b(world, as_persona)
    await save(client, app_id, 1, **VALID_FORM)
    await upload(client, app_id)
    responses = await asyncio.gather(*[client.post(f"/applications/{app_id}/submit", signed("Stranger"))
                                       for _ in range(3)])
    assert sorted(r.status_code for r in responses) == [303, 303, 303]
    events = [e for e in await list_for("application", app_id) if e["action"] == "application.submitted"]
    assert len(events) == 1
    await mailbox.wait_for("stranger@shelbyville.gov", "Received")
    await asyncio.sleep(0.3)
    assert len(mailbox.to("stranger@shelbyville.gov")) == 1


async def test_submit_by_stranger_is_404_and_by_reviewer_403(world, as_persona):
    stranger = await as_persona("applicant")
    await stranger.get("/applications")
    assert (await stranger.post(f"/applications/{world['application_b']}/submit")).status_code == 404
    reviewer = await as_persona("reviewer")
    await reviewer.get("/dashboard")
    assert (await reviewer.post(f"/applications/{world['application_a']}/submit")).status_code == 403


async def test_submission_received_before_the_deadline_counts_even_if_handled_after(world, as_persona):
    """In a burst at the deadline a submission may wait behind others: the time it reached the server decides."""
    import pytest

    from portal.accounts.sessions import load_principal
    from portal.applications.services import DeadlinePassed, submit_application
    from portal.core import clock
    from portal.core.actor import Actor

    client, app_id = await draft_b(world, as_persona)
    await save(client, app_id, 1, **VALID_FORM)
    await client.post(f"/applications/{app_id}/files", {"field_key": "budget_file"},
                      files={"file": ("budget.pdf", PDF_BYTES, "application/pdf")})
    owner = Actor(user=await load_principal(world["stranger"]), ip="127.0.0.1")
    await set_deadline(world["program"], timedelta(seconds=-1))
    with pytest.raises(DeadlinePassed):
        await submit_application(owner, app_id, received_at=clock.now() - timedelta(milliseconds=1))
    arrived = clock.now() - timedelta(seconds=2)
    submitted = await submit_application(owner, app_id, received_at=arrived)
    row = await application_row(app_id)
    assert (row["status"], submitted.submitted_at) == ("submitted", arrived)
