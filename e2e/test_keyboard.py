"""An application completed with the keyboard alone: sign in, eligibility, every step, sign, submit.

No clicks: focus moves with Tab (and Shift+Tab), fields are typed into, boxes and radios take Space, selects take
the arrow keys, links and buttons take Enter. `tab_to` fails if the element cannot be reached by Tab within the
page's focus order, which is what a keyboard user would meet. Demo data: Albuquerque's owner applies to the
National convening team (a program still open, where Albuquerque has no application yet). axe-core checks each
page on the way.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

OWNER = ("owner@albuquerque.example", "Elena Martinez")
PROGRAM_SLUG = "national-convening-team"
MAX_TABS = 120


@pytest.fixture
def demo_password(live_portal) -> str:
    if live_portal.seed_source != "demo":
        pytest.skip("follows the demo data (E2E_DEMO=0 loads the test personas instead)")
    from portal.demo import DEMO_PASSWORD

    return DEMO_PASSWORD


def focused_matches(page: Page, selector: str) -> bool:
    return page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)", selector)


def tab_to(page: Page, selector: str) -> None:
    """Press Tab until the element matching `selector` has the focus (from wherever the focus is now)."""
    seen = []
    for _ in range(MAX_TABS):
        if focused_matches(page, selector):
            return
        seen.append(page.evaluate("() => { const e = document.activeElement; return e ? e.tagName + '#' + e.id : '' }"))
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} is not reachable with the Tab key on {page.url}; focus went {seen[:12]}")


def type_into(page: Page, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def choose(page: Page, selector: str, label: str) -> None:
    """A <select>: typing the option's label selects it (as a keyboard user would)."""
    tab_to(page, selector)
    page.keyboard.type(label)  # a focused select picks the option whose label starts with what is typed
    assert page.eval_on_selector(selector, "s => s.options[s.selectedIndex].text.trim()") == label


def test_application_completed_with_the_keyboard_alone(page: Page, demo_password, axe):
    # Sign in.
    page.goto("/login")
    type_into(page, "#field-email", OWNER[0])
    type_into(page, "#field-password", demo_password)
    page.keyboard.press("Enter")
    page.wait_for_url("**/dashboard")

    # The program page, then eligibility first.
    page.goto(f"/programs/{PROGRAM_SLUG}")
    axe(page)
    tab_to(page, "[data-testid=start-application]")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/programs/{PROGRAM_SLUG}/eligibility")
    axe(page)
    tab_to(page, "#field-municipal-1")  # the first radio ("Yes"): Space ticks it
    page.keyboard.press("Space")
    expect(page.locator("#field-municipal-1")).to_be_checked()
    type_into(page, "#field-population", "560,218")
    choose(page, "#field-state", "New Mexico")
    tab_to(page, "#field-partner_kind-1")  # a short choice is a radio group: its first option, "A foundation"
    page.keyboard.press("Space")
    expect(page.locator("#field-partner_kind-1")).to_be_checked()
    tab_to(page, "[data-testid=check-eligibility]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/applications/\d+"))

    # Step 1: the team.
    expect(page.get_by_test_id("step-heading")).to_have_text("Your team")
    axe(page)
    type_into(page, "#field-project_title", "Albuquerque's five-year financial plan")
    type_into(page, "#field-official_1", "Elena Martinez, Chief Administrative Officer")
    type_into(page, "#field-official_2", "Sam Ortiz, Finance Director")
    type_into(page, "#field-partner", "Director, Albuquerque Community Foundation")
    expect(page.locator("#field-partner_kind")).to_have_value("foundation")  # filled in from eligibility
    tab_to(page, "[data-testid=save-continue]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"step=learning"))

    # Step 2: what the team wants to learn, the amount, the signer and the attestation.
    expect(page.get_by_test_id("step-heading")).to_have_text("What you want to learn")
    type_into(page, "#field-learning_goals", "How to build a five-year financial plan the council adopts.")
    tab_to(page, "#field-arrival")
    page.keyboard.type("03152027")  # a date input takes month, day and year as typed digits
    type_into(page, "#field-amount", "5,000")
    type_into(page, "#field-signer_name", OWNER[1])
    tab_to(page, "#field-attest")
    page.keyboard.press("Space")
    expect(page.locator("#field-attest")).to_be_checked()
    tab_to(page, "[data-testid=save-continue]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"step=review"))

    # Review, sign and submit.
    expect(page.get_by_test_id("step-heading")).to_have_text("Review and submit")
    axe(page)
    type_into(page, "#field-signature_name", OWNER[1])
    tab_to(page, "#field-signature_attest")
    page.keyboard.press("Space")
    tab_to(page, "[data-testid=submit-application]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/applications/*?done=submitted")
    expect(page.get_by_test_id("application-status")).to_have_text("Submitted")
    expect(page.get_by_test_id("receipt-number")).not_to_be_empty()
    axe(page)


def test_undelivered_email_sent_again_with_the_keyboard_alone(page: Page, demo_password, live_portal, axe):
    """Staff follow the program page's notice to its undelivered email and send the failed one again (e2e/seed.py
    failed it on the program the staff home lists first); the outbox worker then delivers it."""
    page.goto("/login")
    type_into(page, "#field-email", "admin@portal.example")  # every program: whichever the seed chose
    type_into(page, "#field-password", demo_password)
    page.keyboard.press("Enter")
    page.wait_for_url("**/dashboard")
    page.goto("/staff")
    tab_to(page, "[data-testid=staff-programs] a")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/staff/programs/\d+$"))
    expect(page.get_by_test_id("mail-trouble")).to_contain_text("could not be delivered")

    tab_to(page, "[data-testid=mail-trouble-link]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/staff/programs/\d+/undelivered$"))
    axe(page)
    tab_to(page, "[data-testid=send-again]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/undelivered?done=sent-again")
    expect(page.get_by_test_id("notice")).to_have_text("The email is queued again and will be sent shortly.")
    axe(page)
    live_portal.wait_for_mail("someone@city.example", "An email failed for the e2e sweep")
