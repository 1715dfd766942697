"""Autosave in a real browser: saved as typed, edits that cross, and an expired session that loses nothing.

On the demo's Madison draft of the National convening team (a program still open), as Madison's owner.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from e2e.pages import ApplicationPage, SignInPage

OWNER = "owner@madison.example"
PROGRAM = "National convening team"


@pytest.fixture
def owner_password(live_portal) -> str:
    if live_portal.seed_source != "demo":
        pytest.skip("follows the demo data (E2E_DEMO=0 loads the test personas instead)")
    from portal.demo import DEMO_PASSWORD

    return DEMO_PASSWORD


def open_draft(page: Page) -> ApplicationPage:
    page.goto("/applications")
    page.get_by_role("link", name=PROGRAM).click()
    page.wait_for_url(re.compile(r"/applications/\d+"))
    application = ApplicationPage(page)
    expect(application.form).to_be_visible()
    return application


def a_text_field(application: ApplicationPage):
    """The first short-text box of the form (whatever the demo form's first step asks)."""
    return application.form.locator("input.usa-input[type=text]:not([inputmode])").first


def test_typing_is_saved_without_pressing_save(live_portal, sign_in_as, owner_password, axe):
    page = sign_in_as(OWNER, owner_password)
    application = open_draft(page)
    field = a_text_field(application)
    field.fill("Typed and left alone")
    status = page.get_by_test_id("autosave-status")
    expect(status).to_contain_text(re.compile(r"Saved at \d\d:\d\d:\d\d"))
    axe(page)
    page.reload()
    expect(a_text_field(ApplicationPage(page))).to_have_value("Typed and left alone")


def test_crossed_edit_shows_their_version_and_keeps_mine(live_portal, sign_in_as, owner_password):
    first = sign_in_as(OWNER, owner_password)
    second = sign_in_as(OWNER, owner_password)
    mine, theirs = open_draft(first), open_draft(second)
    key = a_text_field(mine).get_attribute("name")

    a_text_field(theirs).fill("Saved first, in the other tab")
    expect(second.get_by_test_id("autosave-status")).to_contain_text("Saved at")
    a_text_field(mine).fill("My own wording")
    conflict = first.get_by_test_id(f"conflict-{key}")
    expect(conflict).to_contain_text("Saved first, in the other tab")
    expect(a_text_field(mine)).to_have_value("My own wording")  # nothing typed is thrown away

    first.get_by_test_id(f"keep-mine-{key}").click()
    expect(first.get_by_test_id("autosave-status")).to_contain_text("Saved at")
    expect(conflict).to_have_count(0)
    second.reload()
    expect(a_text_field(ApplicationPage(second))).to_have_value("My own wording")


def test_expired_session_keeps_the_typing_and_saves_it_after_sign_in(live_portal, sign_in_as, owner_password):
    page = sign_in_as(OWNER, owner_password)
    application = open_draft(page)
    url = page.url
    live_portal.expire_sessions()

    a_text_field(application).fill("Typed after the session ran out")
    expired = page.get_by_test_id("session-expired")
    expect(expired).to_be_visible()
    # Typing goes on while signed out: kept too, and the prompt stays.
    a_text_field(application).press("End")
    a_text_field(application).type(", and more")
    expired.get_by_role("link", name="Sign in again").click()
    expect(page.get_by_test_id("expired-notice")).to_be_visible()
    sign_in = SignInPage(page)  # the sign-in page the link opened, which leads back to the application
    sign_in.email.fill(OWNER)
    sign_in.password.fill(owner_password)
    sign_in.submit_button.click()
    page.wait_for_url(url)
    expect(page.get_by_test_id("autosave-status")).to_contain_text("Saved at")
    page.reload()
    expect(a_text_field(ApplicationPage(page))).to_have_value("Typed after the session ran out, and more")
