"""Documents made from applications, through HTTP: the submitted application as a PDF with its receipt, the
blank form, the Markdown and Word exports of the answers, and the applicant's dashboard that links them."""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

from docx import Document
from markdown_it import MarkdownIt
from pypdf import PdfReader

from portal.applications.services import canonical_json
from portal.applications.tables import Application
from portal.core.audit import list_for
from portal.reviews.tables import ReviewPanel
from tests.factories import PASSWORD, VALID_ANSWERS, add_member, make_application, make_org, make_program, make_user
from tests.factories.applications import application_row, signed
from tests.factories.awards import make_award, make_report
from tests.support import body_of

HOSTILE = {
    "project_title": "<script>alert(1)</script> Screenings",
    "need": "Before <img src=x onerror=alert(2)> after\n"
            '<a rel="attachment" href="file:///etc/passwd">file:///etc/passwd</a>\n'
            "[click](javascript:alert(3)) and **bold** | pipe\n# not a heading\n1. not a list",
    "contact_name": "Ann <b>Lee</b>",
}
PASSWD_LINE = Path("/etc/passwd").read_text().splitlines()[0]  # e.g. "root:x:0:0:root:/root:/bin/bash"


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def flat(text: str) -> str:
    """Text with every run of whitespace as one space: PDF extraction breaks lines where the layout did."""
    return " ".join(text.split())


def docx_text(content: bytes) -> str:
    document = Document(io.BytesIO(content))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


async def submit_b(world, as_persona, answers: dict | None = None):
    """City B's draft with these answers, submitted by the stranger (its owner); returns the client and row."""
    if answers is not None:
        await Application.update({Application.answers: answers}).where(Application.id == world["application_b"])
    client = await as_persona("stranger")
    await client.get(f"/applications/{world['application_b']}")
    response = await client.post(f"/applications/{world['application_b']}/submit", signed("Stranger"))
    assert response.status_code == 303, response.text[:500]
    return client, await application_row(world["application_b"])


def assert_download(response, media_type: str, suffix: str) -> None:
    assert response.status_code == 200
    assert response.headers["content-type"] == media_type
    assert re.fullmatch(rf'attachment; filename="[a-z0-9-]+\.{suffix}"', response.headers["content-disposition"])
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "private, no-store"


# --- the submitted application as a PDF ---------------------------------------------------------------

async def test_application_pdf_has_receipt_hash_and_answers(world, as_persona):
    client, row = await submit_b(world, as_persona)
    response = await client.get(f"/applications/{world['application_b']}/application.pdf")
    assert_download(response, "application/pdf", "pdf")
    assert response.content[:5] == b"%PDF-"
    text = flat(pdf_text(response.content))
    assert row["receipt_number"] in text
    assert row["content_sha256"] in text
    assert row["content_sha256"] == hashlib.sha256(canonical_json(VALID_ANSWERS)).hexdigest()
    for answer in ("Screenings for every toddler", "Many toddlers miss screenings.", "$25,000", "Developmental screening",
                   "January 15, 2027", "Ann Lee", "Shelbyville"):
        assert answer in text, answer
    assert "(America/Chicago)" in text and re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", text)


def remove_stored_pdfs(portal, application_id: int) -> None:
    """Stored PDFs outlive the tables emptied between tests (ids start again at 1): start from none."""
    for path in (portal.state.settings.files_dir / "application-pdfs").glob(f"{application_id}-*.pdf"):
        path.unlink()


async def test_application_pdf_same_content_same_bytes_audited_once(world, as_persona, portal):
    remove_stored_pdfs(portal, world["application_b"])
    client, _ = await submit_b(world, as_persona)
    url = f"/applications/{world['application_b']}/application.pdf"
    first, second = await client.get(url), await client.get(url)
    assert first.content == second.content
    made = [e for e in await list_for("application", world["application_b"]) if e["action"] == "application.pdf_made"]
    assert [(e["detail"]["pdf_sha256"], e["detail"]["variant"]) for e in made] == [
        (hashlib.sha256(first.content).hexdigest(), "full")]
    # The stored file gone, the PDF is made again: the same bytes, the same hash in a second audit row.
    remove_stored_pdfs(portal, world["application_b"])
    third = await client.get(url)
    assert third.content == first.content
    made = [e for e in await list_for("application", world["application_b"]) if e["action"] == "application.pdf_made"]
    assert [e["detail"]["pdf_sha256"] for e in made] == [hashlib.sha256(first.content).hexdigest()] * 2


async def test_application_pdf_of_a_draft_is_refused(world, as_persona):
    client = await as_persona("stranger")
    response = await client.get(f"/applications/{world['application_b']}/application.pdf")
    assert response.status_code == 409
    assert "has not been submitted" in response.text


async def test_documents_of_another_city_are_not_found(world, as_persona):
    applicant = await as_persona("applicant")
    for suffix in ("application.pdf", "answers.md", "answers.docx"):
        response = await applicant.get(f"/applications/{world['application_b']}/{suffix}")
        assert (suffix, response.status_code) == (suffix, 404)
    anonymous = await as_persona("anonymous")
    response = await anonymous.get(f"/applications/{world['application_a']}/application.pdf")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


async def test_blind_reviewer_documents_have_no_identifying_values(world, as_persona):
    await ReviewPanel.update({ReviewPanel.blind: True}).where(ReviewPanel.id == world["panel"])
    reviewer = await as_persona("reviewer")
    base = f"/applications/{world['application_a']}"
    pdf = flat(pdf_text((await reviewer.get(f"{base}/application.pdf")).content))
    markdown = (await reviewer.get(f"{base}/answers.md")).text
    word = docx_text((await reviewer.get(f"{base}/answers.docx")).content)
    for name, text in (("pdf", pdf), ("md", markdown), ("docx", word)):
        assert "Screenings for every toddler" in text, name
        assert "Hidden for blind review" in text, name
        assert "Ann Lee" not in text, name  # the identifying field
        assert "Springfield" not in text, name  # the applying city
    staff = await as_persona("staff")
    staff_pdf = flat(pdf_text((await staff.get(f"{base}/application.pdf")).content))
    assert "Ann Lee" in staff_pdf and "Springfield" in staff_pdf


async def test_hostile_answers_are_inert_text_in_the_pdf(world, as_persona):
    client, _ = await submit_b(world, as_persona, {**VALID_ANSWERS, **HOSTILE})
    response = await client.get(f"/applications/{world['application_b']}/application.pdf")
    reader = PdfReader(io.BytesIO(response.content))
    text = flat(pdf_text(response.content))
    assert "<script>alert(1)</script> Screenings" in text
    assert "<img src=x onerror=alert(2)>" in text
    assert 'href="file:///etc/passwd">file:///etc/passwd</a>' in text
    assert PASSWD_LINE not in text
    assert "/EmbeddedFiles" not in reader.trailer["/Root"].get("/Names", {})
    assert all("/Annots" not in page for page in reader.pages)  # no links, no attachments
    assert b"/JavaScript" not in response.content and b"/EmbeddedFile" not in response.content


async def test_submission_email_links_the_pdf(world, as_persona, mailbox):
    _, row = await submit_b(world, as_persona)
    message = await mailbox.wait_for("stranger@shelbyville.gov", row["receipt_number"])
    assert f"http://testserver/applications/{world['application_b']}/application.pdf" in body_of(message)


async def test_long_application_paginates_with_running_header_and_footer(world, as_persona):
    schema = {"sections": [
        {"key": "one", "title": "Every kind of answer", "fields": [
            {"key": "intro", "type": "instructions", "label": "Before you start", "text": "Read the guide."},
            {"key": "project_title", "type": "short_text", "label": "Project title"},
            {"key": "need", "type": "long_text", "label": "The need", "max_words": 5000},
            {"key": "families", "type": "number", "label": "Families", "integer": True},
            {"key": "share", "type": "percentage", "label": "Share of families"},
            {"key": "start", "type": "date", "label": "Start"},
            {"key": "email", "type": "email", "label": "Email", "identifying": True},
            {"key": "phone", "type": "phone", "label": "Phone"},
            {"key": "site", "type": "url", "label": "Website"},
            {"key": "focus", "type": "select", "label": "Focus", "options": [
                {"value": "screening", "label": "Developmental screening"}, {"value": "other", "label": "Other"}]},
            {"key": "other_focus", "type": "short_text", "label": "Which other focus",
             "show_if": {"field": "focus", "equals": "other"}},
            {"key": "areas", "type": "multi_select", "label": "Areas",
             "options": [{"value": "n", "label": "North side"}, {"value": "s", "label": "South side"}]},
            {"key": "prior", "type": "yes_no", "label": "Funded before"},
            {"key": "address", "type": "address", "label": "City hall"},
            {"key": "budget", "type": "budget", "label": "Budget", "cost_share": True, "requested_amount": True,
             "categories": [{"value": "personnel", "label": "Personnel"}, {"value": "supplies", "label": "Supplies"}]},
            {"key": "partners", "type": "group", "label": "Partners", "row_label": "Partner", "fields": [
                {"key": "name", "type": "short_text", "label": "Partner name"},
                {"key": "role", "type": "long_text", "label": "Role"}]},
            {"key": "attest", "type": "attestation", "label": "Attestation", "statement": "All of this is true."},
        ]}]}
    program = await make_program(world["network"], "long-form", schema=schema)
    answers = {
        "project_title": "A long plan", "need": "\n\n".join(f"Paragraph {i}. " + "Words to fill the page. " * 60
                                                            for i in range(12)),
        "families": 1200, "share": 12.5, "start": "2027-03-01", "email": "ann@springfield.gov",
        "phone": "+1 217 555 0100", "site": "https://springfield.gov/babies", "focus": "screening",
        "other_focus": "left over from an earlier choice", "areas": ["n", "s"], "prior": False,
        "address": {"street": "800 E Monroe St", "city": "Springfield", "state": "IL", "zip": "62701"},
        "budget": [{"category": "personnel" if i % 2 else "supplies", "description": f"Item {i}",
                    "amount": 100_000 * i, "cost_share": 1_000} for i in range(1, 30)],
        "partners": [{"name": f"Partner {i}", "role": "Runs the screenings. " * 10} for i in range(10)],
        "attest": True,
    }
    application = await make_application(program, world["city_a"], world["applicant"], status="submitted",
                                         answers=answers)
    client = await as_persona("applicant")
    response = await client.get(f"/applications/{application}/application.pdf")
    pages = PdfReader(io.BytesIO(response.content)).pages
    assert len(pages) >= 3
    receipt = f"R-{program}-{world['city_a']}"
    for number, page in enumerate(pages, start=1):
        text = flat(page.extract_text())
        assert f"Page {number} of {len(pages)}" in text, number
        assert receipt in text, number
        if number > 1:
            assert "Long Form" in text, number  # the program's title in the running header
    text = flat(pdf_text(response.content))
    for answer in ("1,200", "12.5%", "March 1, 2027", "ann@springfield.gov", "+1 217 555 0100",
                   "https://springfield.gov/babies", "Developmental screening", "Does not apply", "North side",
                   "South side", "Springfield, IL 62701", "Personnel", "Supplies", "Item 29", "$29,000",
                   "Cost share", "$435,000", "$290", "Partner 9", "Paragraph 11.", "All of this is true. Yes"):
        assert answer in text, answer
    assert "left over from an earlier choice" not in text  # the condition is not met: not an answer
    assert "Read the guide." not in text  # instructions are not answers


# --- Markdown and Word exports of the current answers -------------------------------------------------

async def test_markdown_export_of_a_draft_has_every_answer(world, as_persona):
    client = await as_persona("stranger")
    response = await client.get(f"/applications/{world['application_b']}/answers.md")
    assert_download(response, "text/markdown; charset=utf-8", "md")
    text = response.text
    assert text.startswith("# Healthy Babies: application from Shelbyville\n")
    for expected in ("### Project title", "Screenings for every toddler", "$25,000", "Developmental screening",
                     "January 15, 2027", "120", "**Status:** Draft"):
        assert expected in text, expected


async def test_markdown_export_keeps_hostile_answers_as_text(world, as_persona):
    await Application.update({Application.answers: {**VALID_ANSWERS, **HOSTILE}}).where(
        Application.id == world["application_b"])
    client = await as_persona("stranger")
    text = (await client.get(f"/applications/{world['application_b']}/answers.md")).text
    html = MarkdownIt("commonmark", {"html": True}).render(text)
    assert "<script" not in html and "<img" not in html and "<a " not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Screenings" in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "[click](javascript:alert(3)) and **bold** | pipe" in html
    assert "<h1>not a heading" not in html and "<ol>" not in html
    assert PASSWD_LINE not in text


async def test_docx_export_reads_back_with_hostile_answers_as_text(world, as_persona):
    await Application.update({Application.answers: {**VALID_ANSWERS, **HOSTILE, "need": HOSTILE["need"] + "\x00\x0b"}}
                             ).where(Application.id == world["application_b"])
    client = await as_persona("stranger")
    response = await client.get(f"/applications/{world['application_b']}/answers.docx")
    assert_download(response, "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx")
    text = docx_text(response.content)
    for expected in ("<script>alert(1)</script> Screenings", "Before <img src=x onerror=alert(2)> after",
                     'href="file:///etc/passwd"', "Ann <b>Lee</b>", "$25,000", "Developmental screening"):
        assert expected in text, expected
    assert PASSWD_LINE not in text
    assert "\x00" not in text


# --- the blank form -----------------------------------------------------------------------------------

async def test_blank_form_pdf_of_an_open_program_for_anyone(world, as_persona):
    anonymous = await as_persona("anonymous")
    response = await anonymous.get("/programs/healthy-babies/form.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == 'attachment; filename="healthy-babies-application-form.pdf"'
    assert response.headers["x-content-type-options"] == "nosniff"
    text = flat(pdf_text(response.content))
    for expected in ("Healthy Babies", "Application form, version 1 (blank)", "Project title (Required)",
                     "At most 120 characters", "The need (Required)", "At most 300 words", "Diaper bank",
                     "Developmental screening", "In dollars, from $1 to $100,000", "Start date (Optional)",
                     "Upload in the portal", "I confirm the information is correct", "Page 1 of"):
        assert expected in text, expected
    again = await anonymous.get("/programs/healthy-babies/form.pdf")
    assert again.content == response.content


async def test_blank_form_pdf_of_a_draft_or_unknown_program_is_not_found(world, as_persona):
    await make_program(world["network"], "not-yet-public", status="draft")
    staff = await as_persona("staff")
    assert (await staff.get("/programs/not-yet-public/form.pdf")).status_code == 404
    assert (await staff.get("/programs/no-such-program/form.pdf")).status_code == 404


# --- the applicant's dashboard and list ---------------------------------------------------------------

async def test_dashboard_lists_applications_with_downloads_and_reports_due(world, as_persona):
    award = await make_award(world["application_a"], world["staff"])
    report = await make_report(award, world["program"])
    client = await as_persona("applicant")
    page = (await client.get("/dashboard")).text
    assert f'data-testid="dashboard-application-{world["application_a"]}"' in page
    assert f'href="/applications/{world["application_a"]}/application.pdf"' in page
    assert f'href="/applications/{world["application_a"]}/answers.docx"' in page
    assert f'data-testid="report-due-{report}"' in page
    assert "<caption" in page
    listing = (await client.get("/applications")).text
    assert f'href="/applications/{world["application_a"]}/application.pdf"' in listing
    assert f'data-testid="report-due-{report}"' in listing


async def test_dashboard_draft_shows_countdown_and_no_pdf(world, as_persona):
    from datetime import timedelta

    from tests.factories.applications import set_deadline

    await set_deadline(world["program"], timedelta(days=3, hours=2))
    client = await as_persona("stranger")
    page = (await client.get("/dashboard")).text
    countdown = page.split(f'data-testid="deadline-{world["application_b"]}-countdown"')[1][:200]
    assert "3 days 1 hour left" in countdown or "3 days 2 hours left" in countdown
    assert f'/applications/{world["application_b"]}/application.pdf' not in page
    assert f'href="/applications/{world["application_b"]}/answers.md"' in page


async def test_dashboard_city_without_applications_shows_empty_state(world, as_persona, make_client):
    user = await make_user("clerk@ogdenville.gov")
    await add_member(user, await make_org("city", "Ogdenville", state="IL"), "owner")
    client = await make_client()
    await client.login("clerk@ogdenville.gov", PASSWORD)
    page = (await client.get("/dashboard")).text
    assert 'data-testid="dashboard-applications-empty"' in page
    assert "No applications yet" in page and 'href="/programs"' in page
    assert 'data-testid="applications-empty"' in (await client.get("/applications")).text
