"""WCAG 2.1 AA in a real browser: axe-core finds no serious or critical violation on the main pages."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from e2e.pages import ProgramsPage, RegisterPage, SignInPage


def test_program_list_is_accessible(page: Page, axe):
    ProgramsPage(page).open()

    axe(page)


def test_program_page_is_accessible(page: Page, axe):
    ProgramsPage(page).open().open_program(0)

    axe(page)


def test_sign_in_with_errors_is_accessible(page: Page, axe):
    sign_in = SignInPage(page).submit_empty()
    expect(sign_in.error_summary).to_be_visible()

    axe(page)


def test_register_is_accessible(page: Page, axe):
    RegisterPage(page).open()

    axe(page)


def test_applicant_dashboard_is_accessible(page: Page, axe, applicant: dict):
    SignInPage(page).sign_in(applicant["email"], applicant["password"])

    axe(page)
