"""From decision to money, in Chromium (issue 5): staff decide a round on the decision board and release it, the
city's authorised signer reads the letter, sets up Stripe payouts through the hosted onboarding and accepts, the
first tranche goes out through Stripe on acceptance, its transfer's webhook marks it paid, and the program's funder
sees the money committed and paid out.

On the demo data: the Municipal Investment Fund (closed, run by the National League of Cities,
staff@nlc.example; funded by the Coalition for Green Capital, funder@greencapital.example) has two submitted
applications without a decision, Albuquerque's ($860,000 requested) and Boise's. No other browser test decides
this round or pays anything in it (Eva Novak's unfinished review of Boise, which e2e/test_scoring.py opens, stays:
a waitlisted application stays submitted). Stripe is the live portal's: localstripe and the Connect fake in a
process of their own, whose AccountLinks open a one-button hosted onboarding page and whose events are delivered,
signed, to the portal's webhook.
"""

from __future__ import annotations

import os
import re
import time

import pytest
from playwright.sync_api import Locator, Page, expect
from pypdf import PdfReader

from e2e.pages import AwardPage, DecisionBoardPage, FunderPage, StaffHomePage
from portal.demo import DEMO_PASSWORD

PROGRAM = "Municipal Investment Fund"
CITY = "City of Albuquerque"
OTHER_CITY = "City of Boise"
STAFF = "staff@nlc.example"
SIGNER = ("owner@albuquerque.example", "Elena Martinez")  # she made the application; no other signer is named
CITY_MEMBER = "member@albuquerque.example"
FUNDER = "funder@greencapital.example"

AWARD_CENTS = 75_000_000  # $750,000 of the $860,000 requested
SCHEDULE = [("300,000", "On acceptance", ""), ("300,000", "On approval of a report", "Interim report"),
            ("150,000", "On approval of a report", "Final report")]
FIRST_TRANCHE_CENTS = 30_000_000


def cents(text: str) -> int:
    """"$1,234.56" or "$1,234" as cents."""
    dollars, _, rest = text.strip().removeprefix("$").replace(",", "").partition(".")
    return int(dollars) * 100 + int((rest or "0").ljust(2, "0"))


def money(amount_cents: int) -> str:
    from portal.core.templating import money as fmt

    return fmt(amount_cents)


def reload_until(page: Page, locator: Locator, text: str, timeout_s: float = 10.0) -> None:
    """Reload the page until `locator` shows `text`: the news comes from Stripe's webhook, in the background, and
    the page does not poll for it (a person presses reload)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            expect(locator).to_have_text(text, timeout=500)
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise
        page.reload()


def screenshot(page: Page, name: str, engine: str) -> None:
    shots = os.environ.get("E2E_SCREENSHOTS")
    if shots:
        page.screenshot(path=os.path.join(shots, f"award-journey-{name}-{engine}.png"), full_page=True)


def test_decide_release_sign_disburse_and_the_funder_sees_it(live_portal, sign_in_as, axe):
    if live_portal.seed_source != "demo":
        pytest.skip("the journey follows the demo data (E2E_DEMO=0 loads the test personas instead)")
    assert live_portal.stripe is not None, "the live portal runs without Stripe"
    engine = live_portal.engine

    # The funder's money figures before: this journey adds exactly this award to them.
    funder = sign_in_as(FUNDER, DEMO_PASSWORD)
    program_page = FunderPage(funder).open().open_program(PROGRAM)
    before = {key: cents(value) for key, value in program_page.money().items()}
    expect(program_page.award_row(CITY)).to_have_count(0)

    # 1. Staff decide on the board: Albuquerque awarded less than it asked, Boise waitlisted; then the release.
    staff = sign_in_as(STAFF, DEMO_PASSWORD)
    StaffHomePage(staff).open().open_program(PROGRAM)
    staff.get_by_test_id("decisions-link").click()
    staff.wait_for_url(re.compile(r"/staff/programs/\d+/decisions$"))
    board = DecisionBoardPage(staff)
    expect(board.heading).to_have_text("Decisions")
    albuquerque = board.row(CITY)
    expect(albuquerque.get_by_role("cell").nth(1)).to_have_text("$860,000")  # requested
    expect(albuquerque.get_by_label("Amount", exact=True)).to_have_value("860000.00")  # proposed by default
    axe(staff)
    albuquerque = board.draft(CITY, "Award", "750,000")
    expect(albuquerque.get_by_test_id("draft")).to_have_text("Draft: Award")
    expect(albuquerque.get_by_test_id("proposed")).to_have_text(money(AWARD_CENTS))
    board.draft(OTHER_CITY, "Waitlist")
    axe(staff)
    screenshot(staff, "decision-board", engine)
    # Boise has one of the three reviews the panel asks for: the board says so and the release asks to confirm.
    expect(board.row(OTHER_CITY).get_by_test_id("few-reviews")).to_have_text("1 of 3 reviews")
    board.release(confirm=("I confirm releasing 1 decision on fewer than 3 reviews",))
    expect(board.row(CITY).get_by_test_id("final")).to_have_text(f"Awarded ({money(AWARD_CENTS)}, offered)")
    expect(board.row(OTHER_CITY).get_by_test_id("final")).to_have_text("Released: waitlist")
    for address in (SIGNER[0], CITY_MEMBER):
        mail = live_portal.wait_for_mail(address, f"Award: {PROGRAM} for {CITY}")
        assert money(AWARD_CENTS) in mail.get_payload(decode=True).decode()
    live_portal.wait_for_mail("owner@boise.example", "waiting list")

    # Staff set the payment schedule on the award page: 40% on acceptance, 40% and 20% on the reports.
    board.row(CITY).get_by_role("link").first.click()
    staff.get_by_test_id("decide").click()
    staff.get_by_role("link", name="See the award and its letter").click()
    staff.wait_for_url(re.compile(r"/awards/\d+$"))
    staff_award = AwardPage(staff)
    expect(staff_award.amount).to_have_text(money(AWARD_CENTS))
    expect(staff_award.status).to_have_text("Offered")
    staff_award.set_schedule(SCHEDULE)
    expect(staff_award.tranche_status(1)).to_have_text("Scheduled")
    award_id = staff_award.award_id

    # 2. The signer: the award from her dashboard, Stripe payouts through the hosted onboarding, then the letter
    # and her signature.
    signer = sign_in_as(SIGNER[0], DEMO_PASSWORD)
    signer.get_by_test_id("awards-section").get_by_role("link", name=PROGRAM, exact=True).click()
    signer.wait_for_url(f"**/awards/{award_id}")
    award = AwardPage(signer)
    expect(award.status).to_have_text("Offered")
    expect(award.tranche_status(1)).to_have_text("Scheduled")
    signer.get_by_test_id("onboard").click()
    signer.wait_for_url(f"{live_portal.stripe.url}/_connect/onboarding/**")  # Stripe's hosted page (the fake)
    signer.get_by_role("button", name="Finish onboarding").click()
    signer.wait_for_url(f"**/awards/{award_id}/payouts/return")
    expect(signer.get_by_test_id("payouts-ready")).to_contain_text("Payouts go to the city's Stripe account acct_")

    acceptance = award.open_acceptance()
    with signer.expect_download() as letter:
        acceptance.letter_link.click()
    letter_text = " ".join(page.extract_text() for page in PdfReader(letter.value.path()).pages)
    assert money(AWARD_CENTS) in letter_text and CITY in letter_text, letter_text[:500]
    axe(signer)
    screenshot(signer, "acceptance", engine)
    award = acceptance.accept(SIGNER[1], "Mayor")
    expect(award.status).to_have_text("Accepted")
    expect(award.acceptance_record).to_contain_text(f"Accepted by {SIGNER[1]}, Mayor")
    live_portal.wait_for_mail(CITY_MEMBER, f"Award accepted: {PROGRAM}, {CITY}")

    # 3. The first tranche went out through Stripe on acceptance; the transfer's webhook marks it paid.
    reload_until(signer, award.tranche_status(1), "Paid")
    expect(signer.get_by_test_id("tranche-1")).to_contain_text("Paid (Stripe)")
    expect(award.tranche_status(2)).to_have_text("Scheduled")
    expect(award.tranche_status(3)).to_have_text("Scheduled")
    axe(signer)
    screenshot(signer, "award-paid", engine)
    staff.reload()
    expect(staff_award.tranche_status(1)).to_have_text("Paid")
    expect(staff.get_by_test_id("tranche-1")).to_contain_text("tr_")
    expect(staff.get_by_test_id("ledger-committed")).to_have_text(money(AWARD_CENTS))
    expect(staff.get_by_test_id("ledger-paid")).to_have_text(money(FIRST_TRANCHE_CENTS))
    expect(staff.get_by_test_id("ledger-scheduled")).to_have_text(money(AWARD_CENTS - FIRST_TRANCHE_CENTS))
    screenshot(staff, "award-staff", engine)

    # 4. The funder: the award among the program's awards, the money committed and paid out.
    funder.reload()
    expect(program_page.award_row(CITY)).to_contain_text(money(AWARD_CENTS))
    expect(program_page.award_row(CITY)).to_contain_text("Accepted")
    after = {key: cents(value) for key, value in program_page.money().items()}
    assert after == before | {"committed": before["committed"] + AWARD_CENTS,
                              "paid": before["paid"] + FIRST_TRANCHE_CENTS}
    axe(funder)
    screenshot(funder, "funder-summary", engine)
