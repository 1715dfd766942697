"""The whole journey in one browser, with all four roles, on the demo data (issue 2).

A city applies to an open program (every kind of form field, a PDF upload, a draft, then the submission and its
emailed receipt); the program's staff assign a reviewer of its panel; the reviewer scores every criterion; staff
see the weighted mean and rank and award an amount (the city is emailed); the city downloads the award letter
and submits the follow-up report; the program's funder sees the award and the report in its summary.

Each person has a browser context of their own (`sign_in_as`), so the applicant and staff keep their sessions
between their turns. The demo's City of Savannah has not applied to Healthy Babies, an open program run by the
Mayors Innovation Project (staff@mayorsinnovation.example), reviewed by Dr. Ngozi Okafor among others, and
funded by the Early Years Futures Fund (funder@earlyyears.example).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from e2e.pages import (
    ApplicationPage,
    AwardPage,
    DashboardPage,
    EligibilityPage,
    FunderPage,
    ProgramPage,
    ReviewsPage,
    StaffHomePage,
    StaffProgramPage,
    tick,
)
from portal.demo import DEMO_PASSWORD

PROGRAM = "Healthy Babies Initiative grant"
CITY = "City of Savannah"
APPLICANT = ("owner@savannah.example", "Denise Walker")
CITY_MEMBER = "member@savannah.example"
STAFF = ("staff@mayorsinnovation.example", "Maya Thompson")
REVIEWER = ("reviewer.okafor@experts.example", "Dr. Ngozi Okafor")
FUNDER = ("funder@earlyyears.example", "Grace Whitfield")

PROJECT = "Savannah First Steps"
REQUESTED = "$42,500"
AWARDED = "$40,000"
START = date(date.today().year + 1, 2, 1)
SCORES = {  # criterion: (score, comment); weights 30, 30, 15, 25
    "Need": (5, "Clear local data on screening gaps."),
    "Plan": (4, "Concrete months; the clinic schedule is thin."),
    "Partners": (3, "Libraries reach families; no home-visiting partner yet."),
    "Outcomes": (5, "Targets are ambitious and measurable."),
}
WEIGHTED_MEAN = (5 * 30 + 4 * 30 + 3 * 15 + 5 * 25) / 100  # 4.40


def small_pdf(path: Path, text: str) -> Path:
    """A valid one-page PDF showing `text`, with a correct cross-reference table, and no active content."""
    content = f"BT /F1 14 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))
    return path


def dollars(text: str) -> int:
    return int(text.strip().removeprefix("$").replace(",", ""))


def test_journey_apply_review_award_report_fund(live_portal, sign_in_as, tmp_path):
    if live_portal.seed_source != "demo":
        pytest.skip("the journey follows the demo data (E2E_DEMO=0 loads the test personas instead)")
    live_portal.mailbox.clear()

    # The funder's figures before the journey: each step below adds one to them.
    funder = sign_in_as(FUNDER[0], DEMO_PASSWORD)
    expect(DashboardPage(funder).heading).to_have_text(f"Welcome, {FUNDER[1]}")
    before = FunderPage(funder).open().figures(PROGRAM)

    # 1. The applicant: program list, program page, a new application, every kind of field, draft, submit.
    applicant = sign_in_as(APPLICANT[0], DEMO_PASSWORD)
    expect(DashboardPage(applicant).heading).to_have_text(f"Welcome, {APPLICANT[1]}")
    expect(applicant.get_by_test_id("dashboard-applications")).not_to_contain_text(PROGRAM)
    applicant.get_by_role("link", name="Programs", exact=True).click()
    applicant.wait_for_url("**/programs")
    applicant.get_by_test_id("program-card").filter(has_text=PROGRAM).get_by_role("link", name=PROGRAM).click()
    applicant.wait_for_url("**/programs/healthy-babies")
    program = ProgramPage(applicant)
    expect(program.heading).to_have_text(PROGRAM)
    expect(program.deadline).to_contain_text("UTC")
    program.start_application_button.click()
    applicant.wait_for_url("**/programs/healthy-babies/eligibility")  # eligibility first
    eligibility = EligibilityPage(applicant)
    eligibility.choose("Is the applicant a municipal government (a city, town or village)?", "Yes")
    eligibility.fill("Population of the city (latest census estimate)", "147,780")
    eligibility.choose("State", "Georgia")
    eligibility.choose("What will the grant pay for?", "Developmental screening")
    application = eligibility.check()
    expect(application.heading).to_have_text(PROGRAM)
    expect(applicant.get_by_text(f"Application from {CITY}")).to_be_visible()
    expect(application.status).to_have_text("Draft")
    # One step at a time: every field type of the demo's richest form.
    expect(application.step_heading).to_have_text("About your city")
    expect(application.step("about")).to_have_attribute("aria-current", "step")
    expect(applicant.get_by_text("Before you start")).to_be_visible()  # instructions
    application.field("project_title").fill(PROJECT)  # short text, with its live counter
    expect(applicant.locator('[data-counter-for="field-project_title"]')).to_have_text("20 of 120 characters")
    application.field("contact_name").fill(APPLICANT[1])
    application.field("contact_email").fill("denise.walker@savannah.example")  # email
    application.field("contact_phone").fill("(912) 555-0142")  # phone
    application.field("city_website").fill("savannahga.example/first-steps")  # url
    application.field("city_address").fill("2 East Bay Street")  # address
    application.page.locator("#field-city_address-city").fill("Savannah")
    application.page.locator("#field-city_address-state").select_option(label="Georgia")
    application.page.locator("#field-city_address-zip").fill("31401")
    application.save_and_continue()
    expect(application.notice).to_have_text("Your draft is saved.")
    expect(application.step_heading).to_have_text("The need")

    application.field("need").fill("One in three families with a child under two runs out of diapers each month; "
                                   "fewer than half of toddlers on Medicaid are screened before age three.")
    expect(applicant.locator('[data-counter-for="field-need"]')).to_have_text("27 of 400 words")  # live limit
    application.field("families_in_need").fill("2400")  # number
    application.field("child_poverty_rate").fill("21.5")  # percentage
    application.save_and_continue()

    expect(application.field("focus")).to_have_value("screening")  # filled in from the eligibility answers
    application.field("focus").select_option(label="Developmental screening")  # select
    expect(application.page.get_by_test_id("field-focus_other")).to_be_hidden()  # its condition is false
    application.field("focus").select_option(label="Something else")
    expect(application.page.get_by_test_id("field-focus_other")).to_be_visible()
    application.field("focus").select_option(label="Developmental screening")
    tick(application.page.get_by_label("Nutrition"))  # multiple choice
    tick(application.page.get_by_label("Early learning"))
    application.field("plan").fill("Months 1-3: train library and clinic staff in ASQ-3 screening. "
                                   "Months 4-12: monthly screening days with diaper distribution at three libraries.")
    application.field("start_date").fill(START.isoformat())  # date
    tick(application.page.locator("#field-has_partners-no"))  # yes/no
    expect(application.page.get_by_test_id("field-partners")).to_be_hidden()
    tick(application.field("has_partners"))
    expect(application.page.get_by_test_id("field-partners")).to_be_visible()
    application.row_input("partners", 0, "name").fill("Live Oak Public Libraries")  # repeating group
    application.row_input("partners", 0, "type").select_option(label="Library")
    application.row_input("partners", 0, "role").fill("Space and outreach")
    application.row_input("partners", 1, "name").fill("Two community health centers")
    application.row_input("partners", 1, "type").select_option(label="Health center or clinic")
    application.save_and_continue()

    expect(application.step_heading).to_have_text("Budget")
    application.row_input("budget", 0, "category").select_option(label="Personnel")  # budget table
    application.row_input("budget", 0, "description").fill("Screening coordinator")
    application.row_input("budget", 0, "amount").fill("30,500")
    application.row_input("budget", 0, "cost_share").fill("12,000")
    application.row_input("budget", 1, "category").select_option(label="Supplies")
    application.row_input("budget", 1, "description").fill("Diapers")
    application.row_input("budget", 1, "amount").fill("10,000")
    application.add_row("budget")
    application.row_input("budget", 2, "category").select_option(label="Supplies")
    application.row_input("budget", 2, "description").fill("Wipes")
    application.row_input("budget", 2, "amount").fill("2,000")
    expect(applicant.get_by_test_id("budget-total-budget")).to_have_text(REQUESTED)  # live total
    expect(applicant.get_by_test_id("requested-budget")).to_have_text(REQUESTED)
    application.save_draft()
    expect(applicant.get_by_test_id("budget-total-budget")).to_have_text(REQUESTED)  # computed by the server
    expect(application.row_input("budget", 0, "amount")).to_have_value("30,500")

    budget = small_pdf(tmp_path / "budget-table.pdf", "Savannah First Steps: budget table")
    application.upload("budget_table", str(budget))  # file upload
    expect(application.notice).to_have_text("The file is uploaded.")
    expect(applicant.get_by_test_id("files-budget_table")).to_contain_text("budget-table.pdf")
    expect(application.step_heading).to_have_text("Budget")
    application.go_to_step("metrics")
    application.field("target_families").fill("650")
    application.field("target_screenings").fill("480")
    application.save_and_continue()
    application.field("signer_name").fill("Mayor of Savannah")
    tick(application.page.get_by_label("I confirm that this information is accurate"))  # attestation
    application.save_and_continue()
    expect(application.step_heading).to_have_text("Review and submit")
    expect(application.answer("contact_phone")).to_have_text("+1 912 555 0142")
    expect(application.answer("city_website")).to_have_text("https://savannahga.example/first-steps")
    expect(application.answer("focus_other")).to_have_text("Does not apply")
    expect(application.answer("attest")).to_contain_text("Yes")
    expect(application.step("plan")).to_contain_text("(complete)")

    application.submit(signer=APPLICANT[1])  # the owner signs: nobody else is named signer
    expect(application.notice).to_contain_text("Your application is submitted")
    expect(application.status).to_have_text("Submitted")
    expect(application.receipt_number).to_have_text(re.compile(r"^HB-\d{4}-\d{6}$"))
    receipt = application.receipt_number.inner_text().strip()
    expect(application.page.get_by_test_id("answer-budget-total-budget")).to_have_text(REQUESTED)
    expect(application.answer("focus")).to_have_text("Developmental screening")
    expect(application.answer("start_date")).to_have_text(f"February 1, {START.year}")
    expect(application.answer("attest")).to_contain_text("Yes")
    expect(application.answer("budget_table")).to_contain_text("budget-table.pdf")
    expect(application.form).to_have_count(0)
    receipt_mail = live_portal.wait_for_mail(APPLICANT[0], f"Received: {PROGRAM} application")
    assert receipt in str(receipt_mail["Subject"])

    # 2. Program staff: the staff area, the program, the new application; a reviewer of the panel assigned.
    staff = sign_in_as(STAFF[0], DEMO_PASSWORD)
    staff.get_by_role("link", name="Staff", exact=True).click()
    staff.wait_for_url("**/staff")
    program_page = StaffHomePage(staff).open_program(PROGRAM)
    expect(program_page.heading).to_have_text(PROGRAM)
    row = program_page.row(CITY)
    expect(row).to_contain_text(PROJECT)
    expect(row).to_contain_text(REQUESTED)
    expect(row).to_contain_text("Submitted")
    expect(row).to_contain_text("0 of 0")
    expect(row.get_by_test_id("rank")).to_have_text("—")
    expect(staff.get_by_test_id("panel")).to_contain_text(REVIEWER[1])
    staff_application = program_page.open_application(CITY)
    expect(staff_application.heading).to_have_text(f"{CITY}: {PROJECT}")
    expect(staff_application.score_summary).to_contain_text(f"Receipt {receipt}")
    expect(staff.get_by_test_id("no-reviews")).to_be_visible()
    staff_application.assign(f"{REVIEWER[1]} ({REVIEWER[0]})")
    expect(staff_application.assignments.filter(has_text=REVIEWER[1])).to_contain_text("Not yet submitted")
    live_portal.wait_for_mail(REVIEWER[0], f"An application to review: {PROJECT}")

    # 3. The reviewer: the queue, the assignment, a score and a comment for each criterion, submitted.
    reviewer = sign_in_as(REVIEWER[0], DEMO_PASSWORD)
    reviewer.get_by_role("link", name="Reviews", exact=True).click()
    reviewer.wait_for_url("**/reviews")
    queue = ReviewsPage(reviewer)
    expect(queue.row(PROJECT)).to_contain_text("To review")
    expect(queue.row(PROJECT)).to_contain_text(PROGRAM)
    review = queue.open_review(PROJECT)
    expect(review.heading).to_have_text(f"Review for {PROGRAM}")
    expect(review.application).to_contain_text(PROJECT)
    expect(review.application).to_contain_text(REQUESTED)
    expect(review.application).to_contain_text("budget-table.pdf")
    expect(review.criteria).to_have_count(len(SCORES))
    for criterion, (value, comment) in SCORES.items():
        review.score(criterion, value, comment)
    review.submit("A well-evidenced plan from a city with strong library partners.")
    readonly = reviewer.get_by_test_id("review-readonly")
    for value, comment in SCORES.values():
        expect(readonly).to_contain_text(f"Score: {value}")
        expect(readonly).to_contain_text(comment)
    reviewer.goto("/reviews")
    expect(queue.row(PROJECT)).to_contain_text("Submitted")

    # 4. Staff: the weighted mean and rank on the program page; an award with an amount; the city emailed.
    staff.get_by_role("navigation", name="Breadcrumbs").get_by_role("link", name=PROGRAM).click()
    staff.wait_for_url("**/staff/programs/*")
    program_page = StaffProgramPage(staff)
    row = program_page.row(CITY)
    expect(row.get_by_test_id("weighted-mean")).to_have_text(f"{WEIGHTED_MEAN:.2f}")
    expect(row).to_contain_text("1 of 1")
    means = program_page.weighted_means()
    rank = 1 + sum(1 for mean in means if mean is not None and mean > WEIGHTED_MEAN)
    expect(row.get_by_test_id("rank")).to_have_text(str(rank))
    staff_application = program_page.open_application(CITY)
    expect(staff_application.score_summary.get_by_test_id("weighted-mean")).to_have_text(f"{WEIGHTED_MEAN:.2f}")
    expect(staff_application.score_summary.get_by_test_id("rank")).to_have_text(str(rank))
    expect(staff.get_by_test_id("review").filter(has_text=REVIEWER[1])).to_contain_text(SCORES["Need"][1])
    decision = staff_application.decide()
    expect(decision.heading).to_have_text(f"Decision on {CITY}’s application")
    expect(decision.facts).to_contain_text(REQUESTED)
    expect(decision.facts).to_contain_text(f"{WEIGHTED_MEAN:.2f} · rank {rank}")
    staff_award = decision.award("40,000")
    expect(staff_award.heading).to_have_text(f"{PROGRAM}: award to {CITY}")
    expect(staff_award.amount).to_have_text(AWARDED)
    expect(staff_award.status).to_have_text("Offered")
    expect(staff_award.reports).to_contain_text("Interim report")
    staff.get_by_role("navigation", name="Breadcrumbs").get_by_role("link", name="Decision").click()
    staff.wait_for_url("**/decision")
    expect(decision.decision_made).to_contain_text("Awarded")
    expect(decision.decision_made).to_contain_text(AWARDED)
    for address in (APPLICANT[0], CITY_MEMBER):
        mail = live_portal.wait_for_mail(address, f"Award: {PROGRAM} for {CITY}")
        assert "/letter.pdf" in mail.get_payload(decode=True).decode(), "the award email links to the letter"

    # 5. The applicant: the award on the dashboard, the letter PDF, the follow-up report.
    applicant.goto("/dashboard")
    awards = applicant.get_by_test_id("awards-section").get_by_role("row").filter(has_text=PROGRAM)
    expect(awards).to_contain_text(CITY)
    expect(awards).to_contain_text(AWARDED)
    expect(applicant.get_by_test_id("dashboard-applications").get_by_role("row").filter(has_text=PROGRAM)
           ).to_contain_text("Awarded")
    with applicant.expect_download() as download_info:
        awards.get_by_role("link", name=re.compile("Award letter")).click()
    letter = Path(download_info.value.path()).read_bytes()
    assert letter.startswith(b"%PDF-")
    letter_text = " ".join("".join(p.extract_text() for p in PdfReader(download_info.value.path()).pages).split())
    assert CITY in letter_text
    assert "City of City of" not in letter_text
    assert AWARDED in letter_text
    assert PROJECT in letter_text

    awards.get_by_role("link", name=PROGRAM, exact=True).click()
    applicant.wait_for_url("**/awards/*")
    award = AwardPage(applicant)
    expect(award.heading).to_have_text(f"{PROGRAM}: award to {CITY}")
    expect(award.amount).to_have_text(AWARDED)
    report = award.open_report("Interim")
    expect(report.heading).to_have_text("Interim report")
    expect(report.status).to_have_text("Draft")
    report.field("families_served").fill("140")
    report.field("screenings_done").fill("96")
    report.field("spent").fill("15,250")
    report.field("progress").fill("Screening days run monthly at three libraries; 12 referrals to early intervention.")
    report.submit()
    expect(report.notice).to_contain_text("Your report is submitted")
    expect(report.status).to_have_text("Submitted")
    expect(applicant.get_by_test_id("answer-spent")).to_have_text("$15,250")
    expect(applicant.get_by_test_id("answer-families_served")).to_have_text("140")

    # 6. The funder: the award to the city with its amount, and the report received.
    funder_page = FunderPage(funder).open()
    after = funder_page.figures(PROGRAM)
    assert int(after["applications"]) == int(before["applications"]) + 1
    assert int(after["awards"]) == int(before["awards"]) + 1
    assert dollars(after["awarded"]) == dollars(before["awarded"]) + 40_000
    assert int(after["reports"]) == int(before["reports"]) + 1
    summary = funder_page.open_program(PROGRAM)
    expect(summary.heading).to_have_text(PROGRAM)
    city_row = summary.award_row(CITY)
    expect(city_row).to_contain_text("GA")
    expect(city_row).to_contain_text(AWARDED)
    expect(city_row).to_contain_text("Offered")

    # Everyone signs out.
    for page in (applicant, staff, reviewer, funder):
        signed_out = DashboardPage(page).sign_out()
        expect(signed_out.sign_in_link).to_be_visible()
