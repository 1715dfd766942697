"""Letters in Chromium (issue 5): staff make a round's letters and watch the progress bar fill through HTMX
polling until the round is done, then download a stored letter."""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import Page, expect

from e2e.a11y import serious_violations

STAFF = "staff@mayorsinnovation.example"  # runs Pedestrian Safety, which has awarded and declined applications


@pytest.fixture
def password(live_portal) -> str:
    if live_portal.seed_source != "demo":
        pytest.skip("follows the demo data (E2E_DEMO=0 loads the test personas instead)")
    from portal.demo import DEMO_PASSWORD

    return DEMO_PASSWORD


def test_round_of_letters_fills_the_progress_bar_and_the_letters_download(live_portal, sign_in_as, password):
    page: Page = sign_in_as(STAFF, password)
    page.goto("/staff")
    page.get_by_role("link", name=re.compile("Pedestrian", re.I)).first.click()
    page.get_by_test_id("letters-link").click()
    expect(page.get_by_role("heading", name="Letters", exact=True)).to_be_visible()
    expect(page.get_by_test_id("template-award")).to_be_visible()
    assert serious_violations(page) == []

    page.get_by_test_id("make-letters").click()
    progress = page.locator("progress#batch-progress")
    expect(progress).to_be_visible()
    expect(page.get_by_test_id("progress-text")).to_contain_text("Done.", timeout=60_000)
    assert progress.get_attribute("value") == progress.get_attribute("max")
    # the fragment stopped polling once done
    assert page.get_by_test_id("progress").get_attribute("hx-trigger") is None
    shots = os.environ.get("E2E_SCREENSHOTS")
    if shots:
        page.screenshot(path=os.path.join(shots, "letters.png"), full_page=True)

    page.reload()
    link = page.get_by_test_id("letters").get_by_role("link").first
    with page.expect_download() as download_info:
        link.click()
    path = download_info.value.path()
    with open(path, "rb") as handle:
        assert handle.read(5) == b"%PDF-"
    assert serious_violations(page) == []
