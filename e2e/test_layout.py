"""Layout at a phone's width (390 px), on the demo: no page scrolls sideways or hides an amount, and the sticky
autosave strip covers no field. (The page grid at 1280 px and the staff pages at 390 px are checked by the
sweep in e2e/test_accessibility.py.)"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from e2e.layout import overflow_problems
from e2e.pages import ApplicationPage, SignInPage

PHONE = {"width": 390, "height": 844}
MADISON = "owner@madison.example"  # a Healthy Babies draft, whose form has a budget table
TACOMA = "owner@tacoma.example"  # a cash award (Municipal Investment Fund) on the dashboard

# Each control of the form brought into view from below, as the browser does when Tab reaches a field under the
# fold (scrolled until it shows at the bottom of the window): those the strip then covers, with both boxes.
_COVERED = """() => {
  const strip = document.getElementById('autosave-status');
  const form = document.querySelector('[data-testid="application-form"]');
  const controls = [...form.querySelectorAll('input, select, textarea, button')]
    .filter(element => element.checkVisibility() && !strip.contains(element));
  const covered = [];
  for (const element of controls) {
    window.scrollTo({top: document.documentElement.scrollHeight, behavior: 'instant'});
    window.scrollTo({top: 0, behavior: 'instant'});
    element.scrollIntoView({block: 'end', behavior: 'instant'});
    const s = strip.getBoundingClientRect(), r = element.getBoundingClientRect();
    if (r.bottom > s.top && r.top < s.bottom) {
      covered.push(`${element.tagName.toLowerCase()}#${element.id || element.textContent.trim()} at ${Math.round(r.top)}-${Math.round(r.bottom)} px, the strip at ${Math.round(s.top)}-${Math.round(s.bottom)} px`);
    }
  }
  return covered;
}"""


pytestmark = pytest.mark.sqlite_only  # layout does not depend on the engine


@pytest.fixture
def phone(live_portal, new_context):
    """`phone(email)`: a page 390 px wide, signed in as that demo account."""
    if live_portal.seed_source != "demo":
        pytest.skip("follows the demo data (E2E_DEMO=0 loads the test personas instead)")
    from portal.demo import DEMO_PASSWORD

    def open_as(email: str) -> Page:
        page = new_context(viewport=PHONE).new_page()
        SignInPage(page).sign_in(email, DEMO_PASSWORD)
        return page

    return open_as


def open_budget_step(page: Page) -> ApplicationPage:
    page.goto("/applications")
    page.get_by_role("link", name="Healthy Babies Initiative grant").first.click()
    page.wait_for_url(re.compile(r"/applications/\d+"))
    application = ApplicationPage(page)
    page.goto(f"/applications/{application.application_id}?step=budget")
    expect(page.locator("table[data-budget]")).to_be_visible()
    return application


def test_dashboard_awards_show_every_column_at_390_px(phone):
    page = phone(TACOMA)
    expect(page.get_by_test_id("awards-table")).to_be_visible()

    assert overflow_problems(page, scroll_boxes=False) == []


def test_budget_table_shows_every_amount_at_390_px(phone):
    page = phone(MADISON)
    open_budget_step(page)

    assert overflow_problems(page, scroll_boxes=False) == []


def test_autosave_strip_covers_no_field_brought_into_view_at_390_px(phone):
    page = phone(MADISON)
    open_budget_step(page)

    assert page.evaluate(_COVERED) == []
