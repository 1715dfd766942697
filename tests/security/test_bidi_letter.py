"""Security finding 8 in the decline letter: a city name or application title holding a right-to-left override
(U+202E, never closed) reversed the rest of the letter's sentence in the PDF. User values are isolated, so
only the value itself is affected."""

from __future__ import annotations

import subprocess

from portal.accounts.tables import Organisation
from portal.applications.tables import Application
from portal.core import pdf
from portal.letters import services
from tests.factories import assign
from portal.reviews.tables import Assignment

RLO = "\u202e"


def pdf_text(content: bytes) -> str:
    """The text as laid out on the page, in visual order (poppler reads the glyphs where they are drawn)."""
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True
                          ).stdout.decode()


async def test_bidi_override_in_city_and_title_does_not_reverse_the_decline_letter(portal, world):
    app_id = world["application_b"]
    await Application.update({Application.status: "declined", Application.title: f"{RLO}Clinic vans"}).where(
        Application.id == app_id)
    await Organisation.update({Organisation.name: f"{RLO}Shelbyville"}).where(Organisation.id == world["city_b"])
    review = await assign(app_id, world["reviewer"], world["staff"])
    await Assignment.update({Assignment.status: "submitted",
                             Assignment.applicant_comment: f"{RLO}Budget is unclear. Say more."}).where(
        Assignment.id == review)
    html = await services.letter_html(app_id, "decline")
    text = pdf_text(pdf.render_pdf(html))
    assert "Dear Mayor and colleagues of" in text
    assert "We received many strong proposals" in text
    assert "What the reviewers wrote for you:" in text
    assert "We hope you will apply again." in text
    # the values themselves read as their authors encoded them: reversed, and only they
    assert "ellivyblehS" in text and "snav cinilC" in text
