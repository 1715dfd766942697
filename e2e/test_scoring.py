"""Scoring in a real browser: the form autosaves as scores are ticked (htmx, with the review's version), two tabs
that cross get the choice instead of an overwrite, and "Save and go to next" follows the reviewer's queue.

On the demo: Eva Novak has two reviews still to do (Healthy Babies and Municipal Investment Fund).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from e2e.a11y import serious_violations
from e2e.pages import tick

REVIEWER = "reviewer.novak@experts.example"
SAVED = re.compile(r"Saved at \d\d:\d\d:\d\d")


@pytest.fixture
def password(live_portal) -> str:
    if live_portal.seed_source != "demo":
        pytest.skip("follows the demo data (E2E_DEMO=0 loads the test personas instead)")
    from portal.demo import DEMO_PASSWORD

    return DEMO_PASSWORD


def to_do(page: Page) -> list[str]:
    """The hrefs of the reviews still to do, in the queue's order."""
    page.goto("/reviews")
    rows = page.get_by_test_id("review-row").filter(has_text="To review")
    return [rows.nth(i).get_by_role("link").get_attribute("href") for i in range(rows.count())]


def autosaved(page: Page, status: int = 200):
    """Wait for the page's next autosave answer (with `status`)."""
    return page.expect_response(lambda r: r.url.endswith("/autosave") and r.status == status)


def first_radio(page: Page, position: int = 0, value: str = "3"):
    fieldset = page.get_by_test_id("criterion").nth(position)
    return fieldset.locator(f'input[type=radio][value="{value}"]')


def test_ticking_a_score_autosaves_and_save_and_next_follows_the_queue(live_portal, sign_in_as, password):
    page = sign_in_as(REVIEWER, password)
    queue = to_do(page)
    assert len(queue) >= 2, queue
    page.goto(queue[0])
    with autosaved(page):
        tick(first_radio(page, 0, "3"))
    expect(page.get_by_test_id("autosave-status")).to_contain_text(SAVED)
    found = serious_violations(page)
    assert found == [], found
    page.reload()
    expect(first_radio(page, 0, "3")).to_be_checked()
    page.get_by_test_id("save-next").click()
    page.wait_for_url(re.compile(re.escape(queue[1]) + r"\?saved=1$"))
    expect(page.get_by_test_id("saved-notice")).to_be_visible()


def test_two_tabs_that_cross_get_a_choice_not_an_overwrite(live_portal, sign_in_as, password):
    first = sign_in_as(REVIEWER, password)
    href = to_do(first)[0]
    second = sign_in_as(REVIEWER, password)
    first.goto(href)
    second.goto(href)
    with autosaved(first):
        tick(first_radio(first, 0, "4"))
    expect(first.get_by_test_id("autosave-status")).to_contain_text(SAVED)
    with autosaved(second, 409):
        tick(first_radio(second, 0, "2"))
    conflict = second.get_by_test_id("autosave-conflict")
    expect(conflict).to_contain_text("Not saved: this review was changed in another tab or window.")
    expect(conflict).to_contain_text(re.compile(r"Saved version \d+; this page has version \d+"))
    with autosaved(second):
        conflict.get_by_test_id("keep-mine").click()
    expect(second.get_by_test_id("autosave-status")).to_contain_text(SAVED)
    # The next change in the second tab is saved on top of its own save (the version moved on with it).
    with autosaved(second):
        tick(first_radio(second, 0, "5"))
    expect(second.get_by_test_id("autosave-status")).to_contain_text(SAVED)
    expect(second.get_by_test_id("autosave-conflict")).to_have_count(0)
    first.reload()
    expect(first_radio(first, 0, "5")).to_be_checked()
