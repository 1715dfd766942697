"""Issue 10, finding 2, in the browser (demo data): a withdrawn application offers the city a new one, and staff
can restore it; both forms are accessible, and a restore without a reason shows the error summary focused."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from e2e.pages import StaffHomePage
from portal.demo import DEMO_PASSWORD


def test_start_again_and_restore_forms_are_accessible(live_portal, sign_in_as, axe):
    if live_portal.seed_source != "demo":
        pytest.skip("follows the demo data (E2E_DEMO=0 loads the test personas instead)")
    city = sign_in_as("owner@albuquerque.example", DEMO_PASSWORD)
    city.goto("/applications")
    city.get_by_test_id("applications-table").locator("tr", has_text="Withdrawn").filter(
        has_text="Healthy Babies").get_by_role("link").first.click()
    city.wait_for_url(re.compile(r"/applications/\d+$"))
    expect(city.get_by_test_id("start-again")).to_be_visible()
    expect(city.get_by_test_id("withdraw-form")).to_have_count(0)
    axe(city)

    staff = sign_in_as("staff@mayorsinnovation.example", DEMO_PASSWORD)
    StaffHomePage(staff).open().open_program("Healthy Babies Initiative grant")
    staff.get_by_test_id("staff-withdrawn-row").filter(has_text="Albuquerque").get_by_role("link").click()
    expect(staff.get_by_test_id("restore-form")).to_be_visible()
    axe(staff)
    staff.get_by_test_id("restore").click()
    expect(staff.get_by_test_id("error-summary")).to_be_focused()
    expect(staff.get_by_test_id("application-status")).to_have_text("Withdrawn")
    axe(staff)
