"""Hostile uploads through the HTTP upload route (tests/hostile.py): each refused with its own clear
message, and nothing kept (no row, no file on disk); clean files of every accepted type kept and served
back only to those allowed, as attachments with nosniff; the application's total size limit."""

from __future__ import annotations

import pytest
from markupsafe import escape

from portal.applications.tables import ApplicationFile
from portal.core import storage
from portal.core.tables import AuditEvent
from tests import hostile
from tests.factories import make_application, make_program

PAGE_FILE_LINK = "/files/"


async def hostile_draft(world, as_persona):
    """The applicant's client and a draft of city A on a program whose form is hostile.SCHEMA."""
    program_id = await make_program(world["network"], "hostile-files", schema=hostile.SCHEMA)
    app_id = await make_application(program_id, world["city_a"], world["applicant"], answers={})
    client = await as_persona("applicant")
    await client.get(f"/applications/{app_id}")
    return client, app_id


async def upload(client, app_id: int, field: str, name: str, content: bytes):
    """POST the file as a crafted request would: the name's bytes exactly as given (httpx would
    percent-encode a NUL), and the type always "application/pdf", which the portal must not believe."""
    if not client.csrf:
        await client.refresh_csrf()
    boundary = "hostile-boundary-7f3a"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
             for key, value in (("field_key", field), ("_csrf", client.csrf))]
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{quoted}"\r\n'
                 "Content-Type: application/pdf\r\n\r\n".encode() + content + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return await client.http.post(f"/applications/{app_id}/files", content=body,
                                  headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})


def stored_files(portal) -> set[str]:
    directory = portal.state.settings.files_dir / "applications"
    return {p.name for p in directory.iterdir()} if directory.exists() else set()


async def file_rows(app_id: int) -> list[dict]:
    return await ApplicationFile.select().where(ApplicationFile.application == app_id).order_by(ApplicationFile.id)


def test_hostile_corpus_has_at_least_20_cases_with_distinct_ids():
    ids = [case.id for case in hostile.HOSTILE]
    assert len(ids) >= 20
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("case", hostile.HOSTILE, ids=lambda case: case.id)
async def test_hostile_upload_is_refused_with_its_message_and_nothing_kept(world, as_persona, portal, case):
    client, app_id = await hostile_draft(world, as_persona)
    before = stored_files(portal)
    response = await upload(client, app_id, case.field, case.name, case.build())
    assert response.status_code == 422
    assert str(escape(case.message)) in response.text
    assert 'class="usa-error-message"' in response.text
    assert await file_rows(app_id) == []
    assert await AuditEvent.count().where(AuditEvent.action == "application.file_uploaded") == 0
    assert stored_files(portal) == before


@pytest.mark.parametrize("field, name, build, kind", hostile.CLEAN, ids=lambda v: v if isinstance(v, str) else "")
async def test_clean_upload_is_kept_and_downloaded_as_attachment_with_nosniff(world, as_persona, portal, field, name,
                                                                           build, kind):
    client, app_id = await hostile_draft(world, as_persona)
    content = build()
    response = await upload(client, app_id, field, name, content)
    assert response.status_code == 303
    [row] = await file_rows(app_id)
    assert (row["field_key"], row["original_name"], row["content_type"], row["size_bytes"]) == (
        field, name, kind, len(content))
    assert row["stored_name"] != name and row["stored_name"].endswith(storage.EXTENSIONS[kind])
    assert row["stored_name"] in stored_files(portal)
    download = await client.get(f"/applications/{app_id}/files/{row['id']}")
    assert download.status_code == 200
    assert download.content == content
    assert download.headers["content-type"].split(";")[0] == kind
    assert download.headers["content-disposition"] == f'attachment; filename="{name}"'
    assert download.headers["x-content-type-options"] == "nosniff"


async def test_download_of_a_file_by_others_is_refused(world, as_persona):
    client, app_id = await hostile_draft(world, as_persona)
    await upload(client, app_id, "budget_file", "budget.pdf", hostile.pdf())
    [row] = await file_rows(app_id)
    url = f"/applications/{app_id}/files/{row['id']}"
    assert (await (await as_persona("stranger")).get(url)).status_code == 404
    assert (await (await as_persona("funder")).get(url)).status_code == 404
    anonymous = await as_persona("anonymous")
    response = await anonymous.get(url)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


async def test_files_over_the_application_total_are_refused_with_the_sizes(world, as_persona, portal):
    client, app_id = await hostile_draft(world, as_persona)
    letter = hostile.pdf_of_size(120 * hostile.KB)
    for name in ("first.pdf", "second.pdf"):
        assert (await upload(client, app_id, "letters", name, letter)).status_code == 303
    before = stored_files(portal)
    response = await upload(client, app_id, "letters", "third.pdf", letter)
    assert response.status_code == 422
    message = ("This file (120 KB) would bring this application's files to 360 KB, over the 300 KB allowed in total "
               "(240 KB already uploaded). Remove a file you no longer need, or make this one smaller, and upload "
               "it again.")
    assert str(escape(message)) in response.text
    assert [r["original_name"] for r in await file_rows(app_id)] == ["first.pdf", "second.pdf"]
    assert stored_files(portal) == before


async def test_replacing_a_single_file_counts_only_the_new_file_toward_the_total(world, as_persona):
    client, app_id = await hostile_draft(world, as_persona)
    big = hostile.pdf_of_size(150 * hostile.KB)
    assert (await upload(client, app_id, "letters", "letter.pdf", big)).status_code == 303
    assert (await upload(client, app_id, "budget_file", "budget-v1.pdf", big)).status_code == 303
    # 150 + 150 = 300 KB: replacing the budget with a file of the same size stays within the total.
    assert (await upload(client, app_id, "budget_file", "budget-v2.pdf", big)).status_code == 303
    assert [r["original_name"] for r in await file_rows(app_id)] == ["letter.pdf", "budget-v2.pdf"]


async def test_uploaded_name_with_markup_is_shown_escaped(world, as_persona):
    client, app_id = await hostile_draft(world, as_persona)
    name = '"><img src=x onerror=alert(1)>.pdf'
    assert (await upload(client, app_id, "budget_file", name, hostile.pdf())).status_code == 303
    page = await client.get(f"/applications/{app_id}")
    assert "<img src=x onerror" not in page.text
    assert str(escape(name)) in page.text


async def test_file_fields_name_the_types_they_accept(world, as_persona):
    client, app_id = await hostile_draft(world, as_persona)
    page = (await client.get(f"/applications/{app_id}")).text
    assert "PDF only, up to 0.2 MB." in page
    assert "Word document, Excel workbook or PDF only, up to 0.2 MB." in page
    assert "PNG image or JPEG image only, up to 0.2 MB." in page
