"""Cross-site scripting: every payload of tests/xss_payloads.py typed into the short and long text fields
(and set as the city's name, which shows on staff pages and in the letter) comes back inert: on the
application page, in its HTMX fragments (422 form errors, 409 edit conflict), on the applicant's lists, the
staff and reviewer pages; and on the award page and in the award letter PDF (one award with them all, in the
city's name, the title and the award's conditions: making a letter takes a tenth of a second). Inert: the page has no markup that
could run or fetch by itself (xss_payloads.active_markup), the payload shows in its escaped form where it
is displayed, and template syntax is shown as typed, not evaluated."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from markupsafe import escape
from pypdf import PdfReader

from portal.accounts.tables import Organisation
from tests.factories import assign
from tests.factories.applications import signed
from tests.xss_payloads import EVALUATED, PAYLOADS, active_markup

AWARD = {"decision": "award", "amount": "25000", "conditions": "Report on outcomes.", "start_date": "2027-01-01",
         "end_date": "2027-12-31"}
SPECIAL = set("<>\"'&")


def form(payload: str, version: int) -> dict[str, str]:
    """The draft form as a browser posts it, with the payload in every text field."""
    return {"version": str(version), "project_title": payload, "need": f"{payload}\n{payload}", "families": "120",
            "amount": "25,000", "start": "2027-01-15", "focus": "screening", "contact_name": payload, "attest": "on"}


def assert_inert(html: str, payload: str, *, shown: bool = True) -> None:
    assert active_markup(html) == []
    if shown:
        assert str(escape(payload)) in html
    if SPECIAL & set(payload):
        assert payload not in html
    if payload in EVALUATED and shown:
        assert str(escape(payload)) in html  # shown as typed: not replaced by what it would evaluate to


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_payload_list_has_at_least_50_distinct_payloads():
    assert len(set(PAYLOADS)) == len(PAYLOADS) >= 50


def test_active_markup_finds_what_a_payload_would_inject():
    assert active_markup('<p>ok</p><script src="/static/js/portal.js"></script>') == []
    assert active_markup("<img src=x onerror=alert(1)>") == ["<img onerror=...>"]
    assert active_markup('<a href=" JaVa\tscript:alert(1)">x</a>') == ["<a href=' JaVa\\tscript:alert(1)'>"]
    assert active_markup("<script>alert(1)</script>") == ["<script src=''>"]
    assert active_markup('<div hx-get="/x" hx-trigger="load">') == ["<div hx-trigger='load'>"]


@pytest.mark.parametrize("payload", PAYLOADS)
async def test_payload_in_text_fields_is_inert_on_every_page_and_fragment(world, as_persona, payload):
    app_id, program_id = world["application_b"], world["program"]
    await Organisation.update({Organisation.name: payload}).where(Organisation.id == world["city_b"])
    applicant = await as_persona("stranger")  # the owner of city B, whose draft this is
    assert_inert((await applicant.get(f"/applications/{app_id}")).text, payload, shown=False)

    # The fragments that echo what was typed: form errors (422) and an edit conflict (409).
    invalid = await applicant.htmx("POST", f"/applications/{app_id}", {**form(payload, 1), "families": "many"})
    assert invalid.status_code == 422 and "<html" not in invalid.text
    assert_inert(invalid.text, payload)
    assert (await applicant.post(f"/applications/{app_id}", form(payload, 1))).status_code == 303
    stale = await applicant.htmx("POST", f"/applications/{app_id}", form(payload + " again", 1))
    assert stale.status_code == 409
    assert_inert(stale.text, payload)
    assert_inert((await applicant.get(f"/applications/{app_id}")).text, payload)

    assert (await applicant.post(f"/applications/{app_id}/submit", form(payload, 2) | signed("Stranger"))
            ).status_code == 303
    assert_inert((await applicant.get(f"/applications/{app_id}")).text, payload)
    for url in ("/applications", "/dashboard"):
        assert_inert((await applicant.get(url)).text, payload, shown=False)

    staff = await as_persona("staff")
    assert_inert((await staff.get(f"/staff/applications/{app_id}")).text, payload)
    for url in ("/staff", f"/staff/programs/{program_id}", f"/staff/applications/{app_id}/decision"):
        assert_inert((await staff.get(url)).text, payload, shown=False)
    assignment_id = await assign(app_id, world["reviewer"], world["staff"])
    reviewer = await as_persona("reviewer")
    for url in ("/reviews", f"/reviews/{assignment_id}"):
        assert_inert((await reviewer.get(url)).text, payload, shown=False)



async def award(staff, app_id: int, conditions: str = AWARD["conditions"]) -> int:
    decided = await staff.post(f"/staff/applications/{app_id}/decision", {**AWARD, "conditions": conditions})
    assert decided.status_code == 303
    return int(decided.headers["location"].rsplit("/", 1)[1])


def fitting(payloads: list[str], limit: int) -> str:
    """As many payloads as fit in `limit` characters, one a line."""
    kept: list[str] = []
    for payload in payloads:
        if len("\n".join([*kept, payload])) <= limit:
            kept.append(payload)
    return "\n".join(kept)


async def test_every_payload_is_plain_text_in_the_award_letter(world, as_persona):
    # One letter carries them all (a PDF takes a tenth of a second to make): the city's name (at most 200
    # characters) and the project title (120) hold what fits; the award's conditions, typed by staff, hold
    # every payload, one a line.
    app_id = world["application_b"]
    city = fitting(PAYLOADS[::-1], 200)
    await Organisation.update({Organisation.name: city}).where(Organisation.id == world["city_b"])
    title = "{{7*7}} <script>alert(1)</script>"
    applicant = await as_persona("stranger")
    await applicant.get(f"/applications/{app_id}")
    assert (await applicant.post(f"/applications/{app_id}/submit", form(title, 1) | signed("Stranger"))
            ).status_code == 303
    award_id = await award(await as_persona("staff"), app_id, conditions="\n".join(PAYLOADS))
    award_page = (await applicant.get(f"/awards/{award_id}")).text
    assert active_markup(award_page) == []
    assert [p for p in PAYLOADS if str(escape(p)) not in award_page] == []  # in the conditions
    letter = await applicant.get(f"/awards/{award_id}/letter.pdf")
    assert letter.status_code == 200
    reader = PdfReader(BytesIO(letter.content))
    text = squeeze("".join(page.extract_text() for page in reader.pages))
    assert [p for p in [*PAYLOADS, title, *city.split("\n")] if squeeze(p) not in text] == []
    assert squeeze(city) in text and squeeze(title) in text
    for payload, evaluated in EVALUATED.items():
        assert squeeze(evaluated) not in text.replace(squeeze(payload), "")
    assert all("/Annots" not in page for page in reader.pages)
    assert b"/JavaScript" not in letter.content and b"/Launch" not in letter.content
