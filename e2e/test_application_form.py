"""The application form as steps in a real browser: every step, the review step and the failed submission have no
serious or critical axe violation; rows are added and removed with the keyboard; budget totals follow typing."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from e2e.pages import ApplicationPage, SignInPage


def open_draft(page: Page, applicant: dict) -> ApplicationPage:
    """The applicant's first draft application (the demo's Madison has a Healthy Babies draft)."""
    SignInPage(page).sign_in(applicant["email"], applicant["password"])
    page.goto("/applications")
    row = page.get_by_test_id("applications-table").locator("tr", has_text="Draft").first
    if not row.count():
        pytest.fail("the applicant has no draft application to open", pytrace=False)
    row.get_by_role("link").first.click()
    page.wait_for_url(re.compile(r"/applications/\d+$"))
    return ApplicationPage(page)


def test_every_step_and_the_review_are_accessible(page: Page, axe, applicant: dict):
    application = open_draft(page, applicant)
    steps = page.get_by_test_id("step-indicator").locator("li")
    keys = [key.removeprefix("step-") for key in steps.evaluate_all("items => items.map(i => i.dataset.testid)")]
    assert keys[-1] == "review" and len(keys) >= 2
    for key in keys:
        application.go_to_step(key)
        expect(application.step(key)).to_have_attribute("aria-current", "step")
        axe(page)


def test_failed_submission_shows_the_error_summary_accessibly(page: Page, axe, applicant: dict):
    application = open_draft(page, applicant)
    application.go_to_step("review")
    page.get_by_test_id("submit-application").click()
    summary = page.get_by_test_id("error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    link = summary.get_by_role("link").first
    expect(link).to_have_attribute("href", re.compile(r"\?step=\w+#field-\w+$"))
    axe(page)
    link.click()
    page.wait_for_url(re.compile(r"\?step=\w+#field-\w+$"))
    axe(page)


def test_rows_are_added_and_removed_with_the_keyboard_and_totals_follow(page: Page, axe, applicant: dict):
    application = open_draft(page, applicant)
    tables = page.locator("[data-budget]")
    page.goto(page.url.split("?")[0] + "?step=budget")
    if not tables.count():
        pytest.fail("the draft's form has no budget step", pytrace=False)
    container = page.locator("[data-rows]").filter(has=tables.first)
    rows = container.locator("[data-rows-body] [data-row]")
    before = rows.count()
    add = container.locator("[data-add-row]")
    add.focus()
    page.keyboard.press("Enter")
    expect(rows).to_have_count(before + 1)
    expect(rows.last.locator("select").first).to_be_focused()  # focus moves into the new row
    rows.last.locator("[data-budget-amount]").fill("1,250.50")
    total = container.locator("tfoot [data-total]").first
    expect(total).to_contain_text(re.compile(r"\$[\d,]+\.50"))
    remove = rows.last.locator("[data-remove-row]")
    remove.focus()
    page.keyboard.press("Enter")
    expect(rows).to_have_count(before)
    expect(total).not_to_contain_text(".50")
    axe(page)
