"""The deadline in a real browser: the program's time zone, UTC, the viewer's own time, and the countdown."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from e2e.pages import DeadlineBox, ProgramsPage, SignInPage, StaffHomePage
from portal.demo import DEMO_PASSWORD

VIEWER_ZONE = "Asia/Tokyo"  # far from every program's zone, so "your time" is a third, different time


def test_program_page_shows_both_zones_and_a_live_countdown(new_context):
    page = new_context(timezone_id=VIEWER_ZONE, locale="en-US").new_page()
    ProgramsPage(page).open().open_program(0)  # the soonest deadline first: the demo's closes in 3 days
    box = DeadlineBox(page.get_by_test_id("deadline"))

    expect(box.local).to_have_attribute("datetime", re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"))
    expect(box.local).to_contain_text(re.compile(r"\b(CST|CDT|EST|EDT|MST|MDT|PST|PDT)\b"))
    expect(box.utc).to_contain_text("UTC")
    expect(box.your_time).to_contain_text(re.compile(r"your time: .*GMT\+9"))
    expect(box.countdown).to_have_text(re.compile(r"^\d+ days? (\d+ hours? )?left$"))
    expect(box.announcer).to_have_attribute("aria-live", "polite")
    page.wait_for_timeout(1500)  # a few ticks of the clock: the visible text stays current, the live region quiet
    expect(box.announcer).to_have_text("")


def test_applicant_list_shows_the_viewers_time(new_context, applicant):
    page = new_context(timezone_id=VIEWER_ZONE, locale="en-US").new_page()
    SignInPage(page).sign_in(applicant["email"], applicant["password"])
    page.goto("/applications")
    first = DeadlineBox(page.get_by_test_id("applications-table").locator("[data-deadline]").first)
    expect(first.utc).to_contain_text("UTC")
    expect(first.your_time).to_contain_text("your time:")


def test_refused_withdrawal_and_reopening_are_accessible(live_portal, sign_in_as, axe):
    """Both forms without a reason: 422 with the error summary focused; no change is made."""
    if live_portal.seed_source != "demo":
        pytest.skip("follows the demo data (E2E_DEMO=0 loads the test personas instead)")
    city = sign_in_as("owner@madison.example", DEMO_PASSWORD)
    city.goto("/applications")
    city.get_by_test_id("applications-table").get_by_role("link", name="Healthy Babies Initiative grant").click()
    city.get_by_test_id("withdraw").click()
    expect(city.get_by_test_id("error-summary")).to_be_focused()
    expect(city.get_by_test_id("application-status")).to_have_text("Draft")
    axe(city)

    staff = sign_in_as("staff@mayorsinnovation.example", DEMO_PASSWORD)
    StaffHomePage(staff).open().open_program("Healthy Babies Initiative grant").rows.first.get_by_role("link").click()
    staff.get_by_test_id("deadline-link").click()
    axe(staff)
    staff.get_by_test_id("reopen").click()
    expect(staff.get_by_test_id("error-summary")).to_be_focused()
    expect(staff.get_by_test_id("application-status")).to_have_text("Submitted")
    axe(staff)
