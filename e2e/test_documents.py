"""Documents in a real browser: the applicant downloads the PDF of a submitted application and the Word file
of a draft from the dashboard, and anyone downloads a program's blank form; the list page passes axe-core."""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from e2e.pages import ProgramsPage, SignInPage
from portal.demo import DEMO_PASSWORD

OWNER = "owner@madison.example"  # a Healthy Babies draft and an awarded Pedestrian Safety application


def test_dashboard_downloads_pdf_with_receipt_and_word_file(sign_in_as):
    page = sign_in_as(OWNER, DEMO_PASSWORD)
    table = page.get_by_test_id("dashboard-applications")
    awarded = table.get_by_role("row").filter(has_text="Pedestrian Safety")
    receipt = awarded.locator("[data-testid^=receipt-]").inner_text().removeprefix("Receipt ").strip()
    with page.expect_download() as pdf_download:
        awarded.get_by_role("link", name="PDF with receipt").click()
    content = Path(pdf_download.value.path()).read_bytes()
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages).split())
    assert receipt in text and "SHA-256" in text

    draft = table.get_by_role("row").filter(has_text="Healthy Babies")
    expect(draft.get_by_role("link", name="PDF with receipt")).to_have_count(0)
    with page.expect_download() as word_download:
        draft.get_by_role("link", name="Word").click()
    document = Document(word_download.value.path())
    assert document.paragraphs[0].text.startswith("Healthy Babies Initiative grant: application from")


def test_blank_form_downloads_from_the_program_page(page: Page):
    ProgramsPage(page).open().open_program(0)
    with page.expect_download() as download:
        page.get_by_test_id("blank-form-link").click()
    content = Path(download.value.path()).read_bytes()
    assert content[:5] == b"%PDF-"
    assert "(blank)" in PdfReader(io.BytesIO(content)).pages[0].extract_text()


def test_applications_list_is_accessible(page: Page, axe):
    SignInPage(page).sign_in(OWNER, DEMO_PASSWORD)
    page.goto("/applications")
    expect(page.get_by_test_id("applications-table")).to_be_visible()

    axe(page)
