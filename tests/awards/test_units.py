"""Awards speak in their own unit (issue 10): a cohort seat, hours of technical assistance, a travel stipend, cash,
or cash and hours together. The award page, the letter (its PDF text), the city's dashboard, the funder's summary
and the emails all say what the award gives; nothing offers a payout or a payment schedule for an award that pays
no money; a letter's payment schedule comes from the stored tranches only."""

from __future__ import annotations

from io import BytesIO

from pypdf import PdfReader

from portal.awards.tables import Award, AwardAcceptance
from portal.awards.tranches.tables import Tranche
from portal.core.tables import OutboundEmail
from portal.programs.tables import Program
from tests.factories.awards import make_award

SCHEDULE = {"amount_1": "15000", "trigger_1": "on_acceptance", "amount_2": "10000",
            "trigger_2": "on_report_approval", "report_kind_2": "final"}


def pdf_text(content: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages).split())


async def award_of_kind(world, offer_kind: str, *, amount_cents: int, ta_hours: int = 0) -> int:
    await Program.update({Program.offer_kind: offer_kind}).where(Program.id == world["program"])
    return await make_award(world["application_a"], world["staff"], amount_cents=amount_cents, ta_hours=ta_hours)


async def letter_text(client, award_id: int) -> str:
    response = await client.get(f"/awards/{award_id}/letter.pdf")
    assert response.status_code == 200
    return pdf_text(response.content)


async def test_cohort_seat_award_page_says_a_seat_and_offers_no_payout(world, as_persona):
    award_id = await award_of_kind(world, "cohort_seat", amount_cents=0)
    applicant = await as_persona("applicant")  # the city's owner: the one who would set up payouts
    html = (await applicant.get(f"/awards/{award_id}")).text
    assert 'data-testid="award-amount">One seat in the program&#39;s cohort</td>' in html
    assert "$0" not in html
    assert 'data-testid="onboard"' not in html and "Payouts" not in html
    assert 'data-testid="no-payments"' in html
    staff = await as_persona("staff")
    staff_html = (await staff.get(f"/awards/{award_id}")).text
    assert 'data-testid="schedule-form"' not in staff_html and "$0" not in staff_html


async def test_cohort_seat_letter_says_a_seat_and_that_nothing_is_paid(world, as_persona):
    award_id = await award_of_kind(world, "cohort_seat", amount_cents=0)
    text = await letter_text(await as_persona("applicant"), award_id)
    assert "What the award gives: One seat in the program's cohort" in text
    assert "Nothing is paid under this award: it gives one seat in the program's cohort, not money." in text
    assert "$0" not in text and "in one payment" not in text


async def test_cohort_seat_payouts_and_tranches_are_refused(world, as_persona):
    award_id = await award_of_kind(world, "cohort_seat", amount_cents=0)
    applicant = await as_persona("applicant")
    assert (await applicant.post(f"/awards/{award_id}/payouts/onboard", {})).status_code == 409
    staff = await as_persona("staff")
    assert (await staff.post(f"/awards/{award_id}/tranches", SCHEDULE)).status_code == 409
    assert await Tranche.count().where(Tranche.award == award_id) == 0


async def test_technical_assistance_award_shows_its_hours_not_dollars(world, as_persona):
    award_id = await award_of_kind(world, "ta_hours", amount_cents=600_000, ta_hours=120)
    applicant = await as_persona("applicant")
    html = (await applicant.get(f"/awards/{award_id}")).text
    assert 'data-testid="award-amount">120 hours of technical assistance</td>' in html
    assert "$6,000" not in html  # the hours' value counts against the budget; it is not paid to the city
    staff_html = (await (await as_persona("staff")).get(f"/awards/{award_id}")).text
    assert 'data-testid="award-value">$6,000 (not paid to the city)</td>' in staff_html
    text = await letter_text(applicant, award_id)
    assert "What the award gives: 120 hours of technical assistance" in text
    assert "Nothing is paid under this award" in text and "$6,000" not in text


async def test_cash_and_hours_award_shows_both_on_page_letter_dashboard_and_funder_summary(world, as_persona):
    award_id = await award_of_kind(world, "cash", amount_cents=2_500_000, ta_hours=80)
    both = "$25,000 and 80 hours of technical assistance"
    applicant = await as_persona("applicant")
    assert f'data-testid="award-amount">{both}</td>' in (await applicant.get(f"/awards/{award_id}")).text
    assert f"What the award gives: {both}" in await letter_text(applicant, award_id)
    assert f'data-testid="dashboard-award-{award_id}">{both}</td>' in (await applicant.get("/dashboard")).text
    funder = await as_persona("funder")
    funder_html = (await funder.get(f"/funder/programs/{world['program']}")).text
    assert f'data-testid="funder-award-{award_id}">{both}</td>' in funder_html


async def test_travel_stipend_reads_as_a_stipend(world, as_persona):
    award_id = await award_of_kind(world, "travel", amount_cents=600_000)
    applicant = await as_persona("applicant")
    html = (await applicant.get(f"/awards/{award_id}")).text
    assert 'data-testid="award-amount">A travel stipend of $6,000</td>' in html
    assert 'data-testid="onboard"' in html  # a stipend is money: the owner may set up payouts


async def test_award_made_on_its_page_stores_hours_and_the_email_says_them(world, as_persona):
    await Program.update({Program.offer_kind: "cash"}).where(Program.id == world["program"])
    staff = await as_persona("staff")
    response = await staff.post(f"/staff/applications/{world['application_a']}/decision", {
        "decision": "award", "amount": "25000", "ta_hours": "40", "conditions": "", "start_date": "2027-01-01",
        "end_date": "2027-12-31"})
    assert response.status_code == 303
    award = await Award.select(Award.amount_cents, Award.ta_hours).first()
    assert award == {"amount_cents": 2_500_000, "ta_hours": 40}
    email = await OutboundEmail.select(OutboundEmail.body_text).where(
        OutboundEmail.to_address == "applicant@springfield.gov").first()
    assert "award Springfield $25,000 and 40 hours of technical assistance under" in " ".join(email["body_text"].split())


async def test_cash_letter_without_tranches_promises_no_payment(world, as_persona):
    award_id = await award_of_kind(world, "cash", amount_cents=2_500_000)
    text = await letter_text(await as_persona("applicant"), award_id)
    assert "in one payment" not in text
    assert "No payment schedule has been set yet." in text


async def test_cash_letter_schedule_is_the_stored_tranches(world, as_persona):
    award_id = await award_of_kind(world, "cash", amount_cents=2_500_000)
    staff = await as_persona("staff")
    assert (await staff.post(f"/awards/{award_id}/tranches", SCHEDULE)).status_code == 303
    text = await letter_text(await as_persona("applicant"), award_id)
    assert "Payment schedule: $15,000 on acceptance $10,000 once the final report is approved Reporting" in text


async def test_award_status_shown_is_offered_without_an_acceptance_record(world, as_persona):
    award_id = await award_of_kind(world, "cash", amount_cents=2_500_000)
    await Award.update({Award.status: "accepted"}).where(Award.id == award_id)  # no award_acceptance row
    assert await AwardAcceptance.count() == 0
    html = (await (await as_persona("colleague")).get(f"/awards/{award_id}")).text
    assert 'data-testid="award-status">Offered</span>' in html
    assert "The city has not answered the award yet." in html


async def test_cohort_seat_awarded_on_its_own_page_needs_no_amount(world, as_persona):
    await Program.update({Program.offer_kind: "cohort_seat"}).where(Program.id == world["program"])
    staff = await as_persona("staff")
    form = (await staff.get(f"/staff/applications/{world['application_a']}/decision")).text
    assert "Value counted against the budget (US dollars)" in form
    response = await staff.post(f"/staff/applications/{world['application_a']}/decision", {
        "decision": "award", "amount": "", "conditions": "", "start_date": "2027-01-01", "end_date": "2027-12-31"})
    assert response.status_code == 303
    award = await Award.select(Award.id, Award.amount_cents, Award.ta_hours).first()
    assert (award["amount_cents"], award["ta_hours"]) == (0, 0)
    email = await OutboundEmail.select(OutboundEmail.body_text).where(
        OutboundEmail.to_address == "applicant@springfield.gov").first()
    assert "award Springfield one seat in the program's cohort under" in " ".join(email["body_text"].split())


async def test_letter_preview_speaks_in_the_programs_unit(world, as_persona):
    await Program.update({Program.offer_kind: "cohort_seat"}).where(Program.id == world["program"])
    staff = await as_persona("staff")
    response = await staff.post(f"/staff/programs/{world['program']}/letters/preview", {
        "kind": "award", "subject": "Award", "body": "Amount: {{ amount }}. Payments: {{ payment_schedule }}"},
        headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert ("Amount: One seat in the program&#39;s cohort. Payments: Nothing is paid under this award: it gives one "
            "seat in the program&#39;s cohort, not money.") in response.text
