"""Working together in the browser (issue 3), on the demo data: the City of Dayton, which has not applied to City
Innovation Ecosystems, passes its eligibility questions; the owner invites a colleague by email; the colleague
creates an account from the invitation link, joins and edits the draft; the owner names the colleague the
authorised signer; the signer submits with a typed name and the attestation, and the owner can no longer.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from e2e.pages import ApplicationPage, EligibilityPage, ProgramPage, tick
from portal.demo import DEMO_PASSWORD
from tests.support import body_of

PROGRAM = ("city-innovation-ecosystems", "City Innovation Ecosystems seed funding")
OWNER = ("owner@dayton.example", "Taylor Brooks")
COLLEAGUE = ("casey.morgan@dayton.example", "Casey Morgan")
LINK_RE = re.compile(r"https?://\S+(/team-invitations/[A-Za-z0-9_-]+)")


def test_owner_invites_colleague_who_edits_and_signer_submits(live_portal, sign_in_as, new_context, axe):
    if live_portal.seed_source != "demo":
        pytest.skip("follows the demo data (E2E_DEMO=0 loads the test personas instead)")

    # The owner: eligibility first, then the draft, with the chosen intervention filled in.
    owner = sign_in_as(OWNER[0], DEMO_PASSWORD)
    program = ProgramPage(owner, PROGRAM[0]).open()
    program.start_application_button.click()
    owner.wait_for_url(f"**/programs/{PROGRAM[0]}/eligibility")
    eligibility = EligibilityPage(owner)
    owner.get_by_test_id("check-eligibility").click()  # nothing answered: every question's error at once
    expect(eligibility.error_summary).to_be_visible()
    expect(eligibility.error_summary.get_by_role("listitem")).to_have_count(5)
    axe(owner)
    eligibility.choose("Is the applicant a municipal government (a city, town or village)?", "Yes")
    eligibility.fill("Population of the city (latest census estimate)", "137644")
    eligibility.choose("State", "Ohio")
    eligibility.choose("Which intervention from the menu will the mayor commit to?",
                       "Open city procurement to young firms")
    eligibility.choose("Will the mayor announce the commitment in public?", "Yes")
    draft = eligibility.check()
    expect(draft.field("intervention")).to_have_value("open_procurement")
    application_url = owner.url

    # The owner invites a colleague as an editor.
    team = draft.open_team()
    expect(team.signer).to_contain_text(f"{OWNER[1]} (the owner)")
    team.invite(COLLEAGUE[0], "Editor")
    expect(team.pending).to_contain_text(COLLEAGUE[0])
    axe(owner)
    mail = live_portal.wait_for_mail(COLLEAGUE[0], "Invitation")
    link = LINK_RE.search(body_of(mail)).group(1)

    # The colleague has no account yet: registers from the invitation, joins, edits.
    colleague = new_context().new_page()
    colleague.goto(link)
    expect(colleague.get_by_test_id("invitation-text")).to_contain_text("City of Dayton")
    axe(colleague)
    colleague.get_by_test_id("register-to-accept").click()
    colleague.wait_for_url(re.compile(r"/register\?next=/team-invitations/"))
    colleague.get_by_label("Full name").fill(COLLEAGUE[1])
    colleague.get_by_label("Email address").fill(COLLEAGUE[0])
    colleague.locator("#field-password").fill(DEMO_PASSWORD)
    colleague.locator("#field-password_confirm").fill(DEMO_PASSWORD)
    colleague.get_by_test_id("register").click()
    colleague.wait_for_url(f"**{link}")
    colleague.get_by_test_id("accept-team-invitation").click()
    colleague.wait_for_url("**/applications/*?done=joined")
    edited = ApplicationPage(colleague)
    expect(edited.notice).to_have_text("You joined the team of this application.")
    edited.field("project_title").fill("Dayton Open Doors for Young Firms")
    edited.field("commitment").fill("Dayton will open every city contract under $50,000 to firms under five years old.")
    edited.field("announce_on").fill("2027-03-01")
    edited.field("partners").fill("University of Dayton; Dayton Area Chamber of Commerce.")
    edited.save_draft()
    expect(edited.notice).to_have_text("Your draft is saved.")
    edited.go_to_step("funding")
    edited.field("amount").fill("45,000")
    edited.save_draft()
    edited.go_to_step("sign")
    edited.field("signer_name").fill(COLLEAGUE[1])
    tick(colleague.get_by_label(re.compile("^I confirm that this information is accurate")))
    edited.save_draft()
    expect(edited.notice).to_have_text("Your draft is saved.")
    edited.go_to_step("review")
    expect(colleague.get_by_test_id("signer-note")).to_contain_text(f"Only {OWNER[1]}")
    live_portal.wait_for_mail(OWNER[0], f"{COLLEAGUE[1]} joined the team")

    # The owner sees the edit, and names the colleague the authorised signer.
    owner.goto(application_url)
    expect(ApplicationPage(owner).field("project_title")).to_have_value("Dayton Open Doors for Young Firms")
    team = ApplicationPage(owner).open_team()
    expect(team.members).to_contain_text(COLLEAGUE[1])
    team.name_signer(f"{COLLEAGUE[1]} (editor)")
    expect(team.signer).to_contain_text(COLLEAGUE[1])
    owner.goto(application_url + "?step=review")
    expect(owner.get_by_test_id("submit-application")).to_have_count(0)
    expect(owner.get_by_test_id("signer-note")).to_contain_text(f"Only {COLLEAGUE[1]}")

    # The signer: a wrong name is refused with the error summary, nothing lost; the right one submits.
    colleague.goto(application_url + "?step=review")
    signer = ApplicationPage(colleague)
    signer.sign("Someone Else")
    colleague.get_by_test_id("submit-application").click()
    expect(signer.error_summary).to_be_visible()
    expect(colleague.locator("#error-signature_name")).to_contain_text(COLLEAGUE[1])
    axe(colleague)
    expect(signer.answer("project_title")).to_have_text("Dayton Open Doors for Young Firms")
    colleague.locator("#field-signature_name").fill(COLLEAGUE[1])
    signer.submit()
    expect(signer.status).to_have_text("Submitted")
    live_portal.wait_for_mail(COLLEAGUE[0], f"Received: {PROGRAM[1]} application")
