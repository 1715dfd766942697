"""A review panel in the browser (issue 4), on the demo's National convening team (National Resource Network):
staff make the panel blind with three reviewers per application and invite a new reviewer by email; the reviewer
registers from the link, joins and says what they can take on; staff compute the assignment (the newcomer is the
only member free for a third review, so the solver proposes them), remove one pair by hand and publish; the reviewer
scores an application blind (autosave, then submit); staff record a consensus at the meeting, finalise the ranking,
and find the new scores on the ranking and the reviewer statistics pages. axe-core checks every page on the way.

No other browser test touches this program's panel (test_keyboard and test_autosave only apply to it as cities),
and the reviewer's address names the engine, so each engine's portal gets its own.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from e2e.pages import StaffHomePage, tick
from portal.demo import CITIES, DEMO_PASSWORD
from tests.support import body_of

PROGRAM = "National convening team"
STAFF = "staff@nationalresourcenetwork.example"
REVIEWER_NAME = "Robin Quayle"
LINK_RE = re.compile(r"https?://\S+(/invitations/[A-Za-z0-9_-]+)")
SAVED = re.compile(r"Saved at \d\d:\d\d:\d\d")
CITY_NAMES = [name.removeprefix("City of ") for _key, name, *_ in CITIES]


@pytest.fixture
def demo(live_portal):
    if live_portal.seed_source != "demo":
        pytest.skip("follows the demo data (E2E_DEMO=0 loads the test personas instead)")


def test_invite_assign_score_meet_and_rank(live_portal, demo, sign_in_as, new_context, axe):
    reviewer_email = f"robin.quayle.{live_portal.engine}@panelists.example"

    # INVITE. Staff make the panel blind with a third reviewer per application, then invite a newcomer.
    staff = sign_in_as(STAFF, DEMO_PASSWORD)
    StaffHomePage(staff).open().open_program(PROGRAM)
    program_url = re.search(r"/staff/programs/\d+", staff.url).group(0)
    panel_url = f"{program_url}/panel"
    staff.goto(panel_url)
    axe(staff)
    staff.locator("#panel-reviews_per_application").fill("3")
    tick(staff.locator("#panel-blind"))
    staff.get_by_test_id("save-panel").click()
    expect(staff.get_by_test_id("notice")).to_be_visible()
    expect(staff.locator("#panel-reviews_per_application")).to_have_value("3")
    expect(staff.locator("#panel-blind")).to_be_checked()

    staff.get_by_test_id("members-link").click()
    staff.wait_for_url(f"**{panel_url}/members")
    staff.get_by_test_id("invite-form").get_by_label("Email address").fill(reviewer_email)
    staff.get_by_test_id("send-invitation").click()
    expect(staff.get_by_test_id("invitation-row").filter(has_text=reviewer_email)).to_be_visible()
    axe(staff)
    mail = live_portal.wait_for_mail(reviewer_email, "invited")
    assert f"{PROGRAM} review panel" in body_of(mail)
    link = LINK_RE.search(body_of(mail)).group(1)

    # The newcomer registers from the link, accepts, and gives capacity, expertise and home city.
    reviewer = new_context().new_page()
    reviewer.goto(link)
    axe(reviewer)
    reviewer.get_by_test_id("register-to-accept").click()
    reviewer.wait_for_url(re.compile(r"/register\?next=/invitations/"))
    reviewer.get_by_label("Full name").fill(REVIEWER_NAME)
    reviewer.get_by_label("Email address").fill(reviewer_email)
    reviewer.locator("#field-password").fill(DEMO_PASSWORD)
    reviewer.locator("#field-password_confirm").fill(DEMO_PASSWORD)
    reviewer.get_by_test_id("register").click()
    reviewer.wait_for_url(f"**{link}")
    reviewer.get_by_test_id("accept-invitation").click()
    reviewer.wait_for_url(re.compile(r"/panels/\d+/profile\?joined=1$"))
    expect(reviewer.get_by_test_id("joined")).to_contain_text(PROGRAM)
    axe(reviewer)
    reviewer.get_by_label("How many applications can you review?").fill("4")
    reviewer.get_by_label("Your areas of expertise").fill("Municipal finance, budgeting")
    reviewer.get_by_label("Your home city (optional)").fill("Spokane, WA")
    reviewer.get_by_test_id("save-profile").click()
    # Saved: on to the panel's applications, titles only (the panel is blind now).
    reviewer.wait_for_url(re.compile(r"/panels/\d+/applications"))
    expect(reviewer.get_by_test_id("notice")).to_be_visible()
    assert not any(city in reviewer.locator("main").inner_text() for city in CITY_NAMES)
    axe(reviewer)

    # ASSIGN. Garcia and Banks already review every application: the third reviewer can only be the newcomer.
    staff.goto(f"{panel_url}/assignment")
    axe(staff)
    staff.get_by_test_id("compute").click()
    newcomer = staff.get_by_test_id("reviewer-row").filter(has_text=REVIEWER_NAME)
    expect(newcomer.get_by_test_id("proposed")).not_to_have_text("0")
    proposed = int(newcomer.get_by_test_id("proposed").inner_text())
    rows = staff.get_by_test_id("application-row")
    providence = rows.filter(has_text="City of Providence")
    dayton = rows.filter(has_text="City of Dayton")  # declined already: staff take the newcomer off it
    expect(providence).to_contain_text(REVIEWER_NAME)
    expect(dayton).to_contain_text(REVIEWER_NAME)
    axe(staff)
    dayton.get_by_test_id("remove-pair").click()
    dayton = staff.get_by_test_id("application-row").filter(has_text="City of Dayton")
    expect(dayton.get_by_test_id("unfilled-reason")).to_have_text("A proposed reviewer was removed by hand.")
    expect(staff.get_by_test_id("reviewer-row").filter(has_text=REVIEWER_NAME).get_by_test_id("proposed")
           ).to_have_text(str(proposed - 1))
    staff.get_by_test_id("publish").click()
    expect(staff.get_by_test_id("notice")).to_be_visible()
    expect(staff.get_by_test_id("no-proposal")).to_be_visible()
    published = live_portal.wait_for_mail(reviewer_email, f"to review for {PROGRAM}")
    assert f"You are asked to review {proposed - 1} application" in body_of(published)

    # SCORE, blind: no city's name anywhere on the page.
    reviewer.goto("/reviews")
    axe(reviewer)
    to_do = reviewer.get_by_test_id("review-row").filter(has_text="To review")
    expect(to_do).to_have_count(proposed - 1)
    assert not any(city in reviewer.locator("main").inner_text() for city in CITY_NAMES)
    to_do.first.get_by_role("link").first.click()
    reviewer.wait_for_url(re.compile(r"/reviews/\d+$"))
    criteria = reviewer.get_by_test_id("criterion")
    expect(criteria).to_have_count(3)
    text = reviewer.locator("main").inner_text()
    assert [line for line in text.splitlines() if any(city in line for city in CITY_NAMES)] == []
    with reviewer.expect_response(lambda r: r.url.endswith("/autosave") and r.status == 200):
        tick(criteria.nth(0).locator('input[type=radio][value="4.5"]'))
    expect(reviewer.get_by_test_id("autosave-status")).to_contain_text(SAVED)
    axe(reviewer)
    tick(criteria.nth(1).locator('input[type=radio][value="4"]'))
    tick(criteria.nth(2).locator('input[type=radio][value="3.5"]'))
    tick(reviewer.get_by_test_id("recommendation").get_by_label("Fund", exact=True))
    reviewer.get_by_label("Comments for staff only").fill("Clear goals; a realistic plan for council.")
    reviewer.get_by_test_id("submit-review").click()
    expect(reviewer.get_by_test_id("review-status")).to_have_text("Submitted")
    expect(reviewer.get_by_test_id("others-scores")).to_be_visible()
    axe(reviewer)

    # Which application was it? Staff see it on the assignment page, with the newcomer's review submitted.
    staff.goto(f"{panel_url}/assignment")
    scored = staff.get_by_test_id("application-row").filter(has_text=f"{REVIEWER_NAME} (submitted)")
    expect(scored).to_have_count(1)
    application_id = scored.get_attribute("data-application-id")
    reviews = scored.locator("td").first.inner_text().count("(submitted)")
    assert reviews >= 1

    # MEET: a consensus score and note for it, then the final ranking.
    staff.goto(f"{panel_url}/meeting")
    axe(staff)
    item = staff.locator(f'[data-testid="meeting-item"][data-application-id="{application_id}"]')
    expect(item).to_contain_text(f"{reviews} review{'s' if reviews != 1 else ''}")
    item.get_by_label("Consensus score").fill("4.5")
    item.get_by_label("Consensus note").fill("Strong learning goals; the panel expects action within six months.")
    tick(item.get_by_label("Mark as discussed"))
    with staff.expect_response(lambda r: f"/meeting/applications/{application_id}" in r.url and r.status == 200):
        item.get_by_test_id("save-consensus").click()
    expect(item).to_have_attribute("data-status", "discussed")
    expect(item.get_by_label("Consensus score")).to_have_value("4.5")
    axe(staff)
    staff.get_by_test_id("finalise").click()
    final_row = staff.locator(f'[data-testid="final-row"][data-application-id="{application_id}"]')
    expect(final_row).to_contain_text("Consensus score")
    expect(final_row).to_contain_text("4.5")

    # RANK: the methods named, the application with its reviews counted, and the newcomer among the reviewers.
    staff.goto(f"{panel_url}/ranking")
    axe(staff)
    expect(staff.get_by_test_id("methods")).to_contain_text("Mean: ")
    expect(staff.get_by_test_id("methods")).to_contain_text("Calibrated")
    row = staff.locator(f'[data-testid="ranking-row"][data-application-id="{application_id}"]')
    expect(row.locator("td").nth(2)).to_have_text(str(reviews))  # n: the submitted reviews, the newcomer's too
    staff.goto(f"{panel_url}/reviewers")
    axe(staff)
    stats = staff.get_by_test_id("reviewer-stats").get_by_test_id("reviewer-row").filter(has_text=REVIEWER_NAME)
    expect(stats.get_by_test_id("count")).to_have_text("1")
    expect(stats.get_by_test_id("mean")).not_to_have_text("")
