"""Smoke tests in a real browser: public pages load, a new user registers, signs out and signs in again."""

from __future__ import annotations

import re
import secrets

from playwright.sync_api import Page, expect

from e2e.pages import DashboardPage, ProgramPage, ProgramsPage, RegisterPage, SignInPage

PASSWORD = "e2e-password-2026"


def new_email() -> str:
    return f"e2e-{secrets.token_hex(4)}@example.org"


def test_program_list_shows_programs(page: Page):
    programs = ProgramsPage(page).open()

    expect(programs.heading).to_have_text("Funding programs for cities")
    expect(programs.cards.first).to_be_visible()


def test_program_page_shows_deadline(page: Page):
    program = ProgramsPage(page).open().open_program(0)

    expect(program.heading).not_to_be_empty()
    expect(program.deadline).to_contain_text("UTC")
    expect(page.get_by_role("navigation", name="Breadcrumbs")).to_contain_text("Programs")


def test_register_sign_out_and_sign_in_again(page: Page):
    email = new_email()
    dashboard = RegisterPage(page).register("Erin Tester", email, PASSWORD)
    expect(dashboard.heading).to_have_text("Welcome, Erin Tester")

    sign_in = dashboard.sign_out()
    expect(sign_in.page.get_by_text("You are signed out.")).to_be_visible()
    expect(sign_in.sign_in_link).to_be_visible()
    page.goto("/dashboard")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fdashboard$|/login\?next=/dashboard$"))

    dashboard = SignInPage(page).sign_in(email, PASSWORD)
    expect(dashboard.heading).to_have_text("Welcome, Erin Tester")
    expect(dashboard.sign_out_button).to_contain_text(email)


def test_sign_in_wrong_password_shows_error(page: Page, applicant: dict):
    sign_in = SignInPage(page).open()
    sign_in.email.fill(applicant["email"])
    sign_in.password.fill("not-the-password")
    sign_in.submit_button.click()

    expect(sign_in.error_summary).to_be_visible()
    expect(sign_in.email).to_have_value(applicant["email"])
    expect(sign_in.sign_out_button).to_have_count(0)


def test_sign_in_with_keyboard_only(page: Page, applicant: dict):
    sign_in = SignInPage(page).open()
    page.locator("body").focus()
    # From the top of the page: Tab until the email field has focus, as a keyboard user would.
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "field-email":
            break
    else:
        raise AssertionError("Tab never reached the email field")
    page.keyboard.type(applicant["email"])
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "field-password"
    page.keyboard.type(applicant["password"])
    page.keyboard.press("Enter")

    page.wait_for_url("**/dashboard")
    expect(DashboardPage(page).heading).to_contain_text("Welcome")


def test_applicant_dashboard_loads(page: Page, applicant: dict):
    dashboard = SignInPage(page).sign_in(applicant["email"], applicant["password"])

    expect(dashboard.heading).to_contain_text("Welcome")
    expect(dashboard.sign_out_button).to_contain_text(applicant["email"])
