"""Blind panels and conflicts, through HTTP (docs/reviews.md, "Blind panels and conflicts" and "Exports").

The blind application (tests/factories/blind.py) is seeded with distinctive identifying values (BLIND_SECRETS):
its organisation, contacts, a partner named in an identifying column, its team and its files' names. The
blind reviewer's every reachable page, fragment, download, export and email is searched for them.
"""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import urldefrag

import pytest
from docx import Document
from pypdf import PdfReader

from portal.reviews.tables import ReviewPanel
from tests.factories import PASSWORD
from tests.factories.blind import (BLIND_SECRETS, CONTACT, FILE_NAME, LETTER_NAME, ORGANISATION, PARTNER,
                                   REVIEW_PERSONAS, TITLE, build_review_cases)
from tests.factories.reviews import add_panel_member, write_review

HREF_RE = re.compile(r'(?:href|hx-get|action)="(/[^"]*)"')
SKIP = ("/logout", "/static/", "/vendor/", "/login")


@pytest.fixture
async def cases(portal, world):
    return await build_review_cases(world, portal.state.settings.files_dir)


@pytest.fixture
async def review_persona(make_client):
    async def sign_in(key: str):
        client = await make_client()
        await client.login(REVIEW_PERSONAS[key], PASSWORD)
        return client

    return sign_in


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    meta = " ".join(str(v) for v in (reader.metadata or {}).values())
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split()) + " " + meta


def docx_text(content: bytes) -> str:
    document = Document(io.BytesIO(content))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    props = document.core_properties
    return "\n".join([p.text for p in document.paragraphs] + cells + [props.title or "", props.subject or ""])


def readable(response) -> str:
    """What a person could read in a response: its text (PDF and Word extracted) and its file name."""
    kind = response.headers.get("content-type", "")
    if kind.startswith("application/pdf") and "/files/" not in str(response.url):  # our PDFs; files are the city's
        body = pdf_text(response.content)
    elif "wordprocessingml" in kind:
        body = docx_text(response.content)
    else:
        body = response.content.decode("utf-8", "replace")
    return body + "\n" + response.headers.get("content-disposition", "")


def leaks(text: str) -> list[str]:
    lowered = text.lower()
    return [secret for secret in BLIND_SECRETS if secret.lower() in lowered]


async def crawl(client, start: list[str], limit: int = 150) -> dict[str, str]:
    """Every page reachable from `start` by links (href, hx-get, form actions fetched with GET), each also as
    an HTMX fragment: url -> readable text of each 200 answer."""
    seen: dict[str, str] = {}
    queue = list(start)
    while queue and len(seen) < limit:
        url = urldefrag(queue.pop(0))[0]
        if url in seen or url.startswith(SKIP):
            continue
        response = await client.get(url)
        seen[url] = readable(response) if response.status_code == 200 else ""
        if response.status_code != 200:
            continue
        if "text/html" in response.headers.get("content-type", ""):
            fragment = await client.get(url, headers={"HX-Request": "true"})
            seen[url] += "\n" + readable(fragment)
            queue += [link.replace("&amp;", "&") for link in HREF_RE.findall(response.text)]
    return seen


async def test_blind_reviewer_reaches_no_identifying_value_anywhere(cases, review_persona):
    client = await review_persona("blind_reviewer")
    app_id = cases["blind_application"]
    pages = await crawl(client, ["/dashboard", "/reviews", f"/reviews/{cases['blind_assignment']}",
                                 f"/applications/{app_id}", "/applications", "/reviews/export.csv"])
    presence = await client.htmx("POST", f"/applications/{app_id}/presence", {"step": "review"})
    pages["presence"] = readable(presence)
    for suffix in ("application.pdf", "answers.md", "answers.docx"):  # linked only once submitted: fetch anyway
        pages.setdefault(f"/applications/{app_id}/{suffix}", readable(await client.get(f"/applications/{app_id}/{suffix}")))
    found = {url: leaks(text) for url, text in pages.items() if leaks(text)}
    assert found == {}
    # The crawl did reach the application, its documents and its attachment (else the above proves nothing).
    reached = {url for url, text in pages.items() if text}
    for url in (f"/applications/{app_id}", f"/reviews/{cases['blind_assignment']}", f"/applications/{app_id}/answers.md",
                f"/applications/{app_id}/answers.docx", f"/applications/{app_id}/application.pdf",
                f"/applications/{app_id}/files/{cases['blind_file']}", "/reviews/export.csv"):
        assert url in reached, url
    for url in (f"/applications/{app_id}", f"/reviews/{cases['blind_assignment']}", f"/applications/{app_id}/answers.md",
                f"/applications/{app_id}/application.pdf"):
        assert TITLE in pages[url] and "Hidden for blind review" in pages[url], url


async def test_blind_reviewer_gets_attachments_under_neutral_names_and_no_identifying_files(cases, review_persona):
    client = await review_persona("blind_reviewer")
    base = f"/applications/{cases['blind_application']}"
    page = (await client.get(base)).text
    assert "Attachment 1 (PDF, 1 KB)" in page
    assert f'href="{base}/files/{cases["blind_file"]}"' in page
    assert f'/files/{cases["blind_letter"]}"' not in page
    download = await client.get(f"{base}/files/{cases['blind_file']}")
    assert (download.status_code, download.headers["content-disposition"]) == (
        200, f'attachment; filename="application-{cases["blind_application"]}-attachment-1.pdf"')
    assert (await client.get(f"{base}/files/{cases['blind_letter']}")).status_code == 404


async def test_staff_see_every_identifying_value(cases, as_persona):
    staff = await as_persona("staff")
    base = f"/applications/{cases['blind_application']}"
    page = (await staff.get(base)).text
    assert ORGANISATION in page and CONTACT in page and PARTNER in page and FILE_NAME in page and LETTER_NAME in page
    assert ORGANISATION in (await staff.get(f"/staff/applications/{cases['blind_application']}")).text
    assert CONTACT in pdf_text((await staff.get(f"{base}/application.pdf")).content)
    download = await staff.get(f"{base}/files/{cases['blind_letter']}")
    assert download.headers["content-disposition"] == f'attachment; filename="{LETTER_NAME}"'


async def test_reviewer_of_an_open_panel_sees_everything_but_the_team(cases, review_persona):
    await ReviewPanel.update({ReviewPanel.blind: False}).where(ReviewPanel.id == cases["blind_panel"])
    client = await review_persona("blind_reviewer")
    base = f"/applications/{cases['blind_application']}"
    page = (await client.get(base)).text
    assert ORGANISATION in page and CONTACT in page and FILE_NAME in page and "Hidden for blind review" not in page
    review = (await client.get(f"/reviews/{cases['blind_assignment']}")).text
    assert ORGANISATION in review and CONTACT in review
    assert CONTACT in (await client.get(f"{base}/answers.md")).text
    assert (await client.get(f"{base}/files/{cases['blind_file']}")).headers["content-disposition"].endswith(
        f'filename="{FILE_NAME}"')
    assert (await client.get(f"{base}/team")).status_code == 403


@pytest.mark.parametrize("persona", ["conflicted_reviewer", "domain_reviewer"])
async def test_conflicted_reviewer_gets_404_on_every_route_of_the_application(cases, world, review_persona,
                                                                              portal, persona):
    client = await review_persona(persona)
    app_id = world["application_a"]
    assignment = cases[f"{persona}_assignment"]
    gets = [f"/applications/{app_id}", f"/applications/{app_id}?step=review", f"/applications/{app_id}/team",
            f"/applications/{app_id}/application.pdf", f"/applications/{app_id}/answers.md",
            f"/applications/{app_id}/answers.docx", f"/reviews/{assignment}"]
    got = [(url, (await client.get(url)).status_code) for url in gets]
    got += [(f"HX {url}", (await client.htmx("GET", url)).status_code) for url in gets[:1]]
    posts = [f"/applications/{app_id}/presence", f"/reviews/{assignment}", f"/reviews/{assignment}/submit"]
    got += [(f"POST {url}", (await client.post(url, {})).status_code) for url in posts]
    assert got == [(url, 404) for url, _ in got]


def read_csv(response) -> list[list[str]]:
    assert response.content.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte order mark, for Excel
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


async def test_staff_scores_csv_has_every_submitted_review_but_conflicted_ones(cases, world, as_persona):
    await write_review(world["assignment"], world["program"], [3, 4], comment="-1 looks fine")
    await write_review(cases["conflicted_reviewer_assignment"], world["program"], [1, 1], comment="conflicted")
    await write_review(cases["domain_reviewer_assignment"], world["program"], [2, 2], comment="domain")
    staff = await as_persona("staff")
    response = await staff.get(f"/staff/programs/{world['program']}/panel/scores.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == 'attachment; filename="healthy-babies-scores.csv"'
    rows = read_csv(response)
    assert rows[0] == ["Application", "Title", "Applicant", "Reviewer", "Need: score", "Need: comment",
                       "Plan: score", "Plan: comment", "Weighted score", "Recommendation",
                       "Comment for the applicant", "Comment for staff", "Submitted (UTC)"]
    assert [r[:9] + [r[11]] for r in rows[1:]] == [
        [str(world["application_a"]), "Screenings for every toddler", "Springfield, IL", "Reviewer", "3", "On Need",
         "4", "On Plan", "3.6", "'-1 looks fine"]]


async def test_staff_blind_copy_of_scores_has_no_identifying_column(cases, world, as_persona):
    staff = await as_persona("staff")
    response = await staff.get(f"/staff/programs/{cases['blind_program']}/panel/scores.csv?blind=1")
    assert response.headers["content-disposition"] == 'attachment; filename="blind-review-fund-scores-blind.csv"'
    rows = read_csv(response)
    assert "Applicant" not in rows[0]
    assert [r[:3] for r in rows[1:]] == [[str(cases["blind_application"]), TITLE, "Blind.Reviewer"]]
    assert leaks(response.content.decode("utf-8-sig")) == []
    assert rows[1][-2] == "'=HYPERLINK(\"http://evil.example\")"  # a formula stays text
    full = read_csv(await staff.get(f"/staff/programs/{cases['blind_program']}/panel/scores.csv"))
    assert full[1][2] == f"{ORGANISATION}, VT"


async def test_reviewer_csv_has_own_reviews_without_identifying_values_or_conflicts(cases, world, review_persona):
    blind = await review_persona("blind_reviewer")
    response = await blind.get("/reviews/export.csv")
    assert response.headers["content-disposition"] == 'attachment; filename="my-reviews.csv"'
    rows = read_csv(response)
    assert [r[:6] for r in rows[1:]] == [["Blind Review Fund", str(cases["blind_application"]), TITLE,
                                          "Hidden for blind review", "Submitted", "Need"]]
    assert leaks(response.content.decode("utf-8-sig")) == []
    await write_review(cases["conflicted_reviewer_assignment"], world["program"], [1, 1])
    conflicted = await review_persona("conflicted_reviewer")
    assert read_csv(await conflicted.get("/reviews/export.csv"))[1:] == []


async def test_assignment_email_to_a_blind_reviewer_names_no_applicant(cases, world, as_persona, mailbox):
    from tests.factories import make_user

    second = await make_user("second.blind@experts.org")
    await add_panel_member(cases["blind_panel"], cases["blind_program"], second)
    staff = await as_persona("staff")
    response = await staff.post(f"/staff/applications/{cases['blind_application']}/assignments",
                                {"reviewer": str(second)})
    assert response.status_code == 303
    message = await mailbox.wait_for("second.blind@experts.org", "An application to review")
    assert TITLE in str(message["Subject"])
    assert leaks(str(message["Subject"]) + message.get_payload(decode=True).decode()) == []


async def test_a_title_naming_the_city_becomes_neutral_in_every_list_page_and_email(cases, review_persona,
                                                                                   as_persona, mailbox):
    """The title is replaced by "Application N" when it repeats the organisation's name: on the reviewer's
    queue, dashboard, panel (bidding) page, review page and the assignment email too, not only the application."""
    from portal.applications.tables import Application

    app_id = cases["blind_application"]
    from portal.reviews.tables import Assignment

    await Application.update({Application.title: f"{ORGANISATION} rain gardens"}).where(Application.id == app_id)
    # Still to do, so that the dashboard lists it too.
    await Assignment.update({Assignment.status: "assigned"}).where(Assignment.id == cases["blind_assignment"])
    client = await review_persona("blind_reviewer")
    pages = await crawl(client, ["/dashboard", "/reviews", "/panels", f"/panels/{cases['blind_panel']}/applications",
                                 f"/reviews/{cases['blind_assignment']}"])
    found = {url: leaks(text) for url, text in pages.items() if leaks(text)}
    assert found == {}
    for url in ("/dashboard", "/reviews", f"/panels/{cases['blind_panel']}/applications",
                f"/reviews/{cases['blind_assignment']}"):
        assert f"Application {app_id}" in pages[url], url
    # A second reviewer assigned by hand gets an email with the neutral title.
    from tests.factories import make_user

    second = await make_user("second.blind@experts.org")
    await add_panel_member(cases["blind_panel"], cases["blind_program"], second)
    staff = await as_persona("staff")
    response = await staff.post(f"/staff/applications/{app_id}/assignments", {"reviewer": str(second)})
    assert response.status_code == 303
    message = await mailbox.wait_for("second.blind@experts.org", "An application to review")
    body = str(message["Subject"]) + message.get_payload(decode=True).decode()
    assert f"Application {app_id}" in body and leaks(body) == []
