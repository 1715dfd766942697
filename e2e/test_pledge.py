"""A funder pays its pledge by card in Chromium (issue 5): the demo's Coalition for Green Capital funder opens its
pledge to the Municipal Investment Fund, presses "Pay", types a test card into the card Element (the live portal
loads Stripe.js from the local Stripe servers: localstripe's mock with a confirmCardPayment like Stripe's,
tests/stripe_js_fake.js), confirms, and sees the pledge received once localstripe's signed
payment_intent.succeeded webhook has reached the portal (the figures poll through htmx until then). A declined
card first shows Stripe's message and the same payment can be finished with another card. axe checks the page in
each state."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from e2e.pages import FunderPage, PledgePage

FUNDER = "funder@greencapital.example"
PROGRAM = "Municipal Investment Fund"
PLEDGED = "$1,500,000"  # portal/demo.py: coalition-for-green-capital pledged 150,000,000 cents


@pytest.fixture
def password(live_portal) -> str:
    if live_portal.seed_source != "demo":
        pytest.skip("follows the demo data (E2E_DEMO=0 loads the test personas instead)")
    if live_portal.stripe is None:
        pytest.fail("the live portal runs without the local Stripe servers", pytrace=False)
    from portal.demo import DEMO_PASSWORD

    return DEMO_PASSWORD


def open_pledge(page: Page) -> PledgePage:
    FunderPage(page).open().open_program(PROGRAM)
    page.get_by_test_id("pledge-link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Your pledge to {PROGRAM}")
    return PledgePage(page)


def test_funder_pays_the_pledge_by_card_and_sees_it_received_after_the_webhook(live_portal, sign_in_as, password,
                                                                              axe):
    page: Page = sign_in_as(FUNDER, password)
    pledge = open_pledge(page)
    expect(pledge.received).to_have_text("$0")
    # Stripe.js loaded (this page's CSP allows it): the Pay button is shown and the no-card notice hidden.
    expect(pledge.pay).to_have_text(f"Pay {PLEDGED}")
    expect(page.get_by_test_id("pledge-how-to-pay")).to_be_hidden()
    axe(page)

    pledge.pay.click()
    expect(page.get_by_role("heading", name=f"Pay {PLEDGED} by card")).to_be_visible()
    expect(pledge.card_element.locator("input")).to_have_count(5)  # the Element is mounted
    assert re.fullmatch(r"pi_\w+?_secret_\w+", page.get_by_test_id("pledge-card").get_attribute("data-client-secret"))
    assert "secret" not in page.url
    axe(page)

    # A declined card: Stripe's message, and the same payment may be finished with another card.
    pledge.type_card("4000000000000002")
    pledge.confirm()
    expect(pledge.status).to_contain_text("Your card was declined.")
    expect(page.get_by_test_id("confirm-payment")).to_be_enabled()
    axe(page)

    pledge.type_card("4242424242424242")
    pledge.confirm()
    expect(pledge.status).to_have_text("Payment received by Stripe; it shows as received once Stripe confirms it.")
    expect(page.get_by_test_id("confirm-payment")).to_be_hidden()
    # localstripe delivers payment_intent.succeeded to the portal about a second later; the figures poll.
    expect(pledge.received).to_have_text(PLEDGED, timeout=30_000)
    expect(page.get_by_test_id("pledge-paid")).to_be_visible()
    expect(pledge.status).to_have_text("Your payment was received: the pledge is paid in full. Thank you.")
    axe(page)

    page.reload()
    expect(pledge.received).to_have_text(PLEDGED)
    expect(page.get_by_test_id("pledge-outstanding")).to_have_text("$0")
    expect(page.get_by_test_id("pledge-card")).to_have_count(0)
    expect(pledge.pay).to_have_count(0)
