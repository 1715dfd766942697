"""The ledger per award, program and funder, and a funder's pledge paid by PaymentIntent on localstripe: the
program's funds received count it once its signed webhook has arrived."""

from __future__ import annotations

import pytest

from portal.awards.tranches import services as tranches
from portal.awards.tables import Award
from portal.core import clock
from portal.db import write_transaction
from portal.payments.ledger import queries as ledger
from portal.payments.gateway import gateway_for
from portal.payments.onboarding.tables import OrganisationPayout
from portal.payments.tables import Payment
from portal.programs.tables import Program
from tests.factories.awards import make_award
from tests.stripe_events import deliver, deliver_event

ACCEPT = {"decision": "accept", "typed_name": "Applicant", "title": "Mayor", "agree": "yes"}


@pytest.fixture
def gateway(stripe_portal, portal):
    return gateway_for(portal.state.settings.stripe)


async def test_ledger_figures_for_award_and_program(world, as_persona, gateway, stripe_portal):
    account = await gateway.create_account(email="f@springfield.gov", organisation_id=world["city_a"])
    stripe_portal.fake.complete_onboarding(account.id)
    async with write_transaction():
        await OrganisationPayout.insert(OrganisationPayout(organisation=world["city_a"], stripe_account_id=account.id,
                                                           charges_enabled=True, payouts_enabled=True,
                                                           updated_at=clock.now()))
    award = await make_award(world["application_a"], world["staff"], amount_cents=1_000_000)
    # An offered award on another application commits nothing yet.
    offered = await make_award(world["application_b"], world["staff"], amount_cents=300_000)
    staff = await as_persona("staff")
    await staff.post(f"/awards/{award}/tranches", {
        "amount_1": "5000", "trigger_1": "on_acceptance", "amount_2": "3000", "trigger_2": "on_date",
        "due_date_2": "2027-03-01", "amount_3": "2000", "trigger_3": "on_date", "due_date_3": "2027-09-01"})
    await staff.post(f"/awards/{offered}/tranches", {"amount_1": "3000", "trigger_1": "on_acceptance"})
    applicant = await as_persona("applicant")
    await applicant.post(f"/awards/{award}/acceptance", ACCEPT)
    first = (await tranches.list_tranches(award))[0]
    # The transfer exists: Stripe's transfer.created webhook marks the payment paid.
    transfer = next(iter(stripe_portal.fake.transfers.values()))
    assert transfer["metadata"]["tranche"] == str(first["id"])
    [created] = [e for e in stripe_portal.fake.events if e["type"] == "transfer.created"]
    assert (await deliver_event(staff, created)).json()["outcome"] == "applied"
    # The second tranche is due, but Stripe refuses it: failed.
    stripe_portal.fake.fail_next_transfer()
    assert await tranches.release_due(clock.now().date().replace(year=2027, month=3, day=2), gateway) == 1
    figures = await ledger.award_ledger(award)
    assert figures == {"committed": 1_000_000, "scheduled": 200_000, "released": 0, "paid": 500_000,
                       "failed": 300_000}
    program = await ledger.program_ledger(world["program"])
    assert program["totals"] == {"committed": 1_000_000, "scheduled": 500_000, "released": 0, "paid": 500_000,
                                 "failed": 300_000}
    assert [a["award_id"] for a in program["awards"]] == [award, offered]
    page = await staff.get(f"/staff/programs/{world['program']}/ledger")
    assert page.status_code == 200 and 'data-testid="total-paid">$5,000' in page.text
    # The funder's summary shows where the money went, from the same ledger.
    funder = await as_persona("funder")
    summary = (await funder.get(f"/funder/programs/{world['program']}")).text
    assert 'data-testid="money-paid">$5,000' in summary and 'data-testid="money-failed">$3,000' in summary
    assert 'data-testid="money-committed">$10,000' in summary
    award_page = await staff.get(f"/awards/{award}")
    assert 'data-testid="ledger-failed">$3,000' in award_page.text
    assert (await applicant.get(f"/staff/programs/{world['program']}/ledger")).status_code == 403


async def test_pledge_payment_counts_as_funds_received_after_its_webhook(world, as_persona, stripe_card_portal):
    stripe_portal = stripe_card_portal
    funder = await as_persona("funder")
    page = await funder.get(f"/funder/programs/{world['program']}/pledge")
    assert page.status_code == 200 and "Pay $100,000" in page.text
    assert 'data-testid="funder-ledger-committed">$0' in page.text
    response = await funder.post(f"/funder/programs/{world['program']}/pledge", {"payment_method": "pm_card_visa"})
    assert response.status_code == 200 and 'data-testid="pledge-payment"' in response.text
    row = await Payment.select().where(Payment.kind == "payment_intent").first()
    assert (row["funder"], row["amount_cents"], row["status"]) == (world["foundation"], 10_000_000, "released")
    assert await ledger.funds_received_cents(world["program"]) == 0
    # While it is under way, a second click charges nothing more.
    assert (await funder.post(f"/funder/programs/{world['program']}/pledge", {})).status_code == 409
    assert await Payment.count() == 1
    body, signature = await stripe_portal.inbox.wait_for(
        lambda e: e["type"] == "payment_intent.succeeded" and e["data"]["object"]["id"] == row["stripe_id"])
    assert (await deliver(funder, body, signature)).json()["outcome"] == "applied"
    assert await ledger.funds_received_cents(world["program"]) == 10_000_000
    funders = await ledger.funder_ledger(world["foundation"])
    assert [(f["program"], f["pledged_cents"], f["received_cents"]) for f in funders] == [
        (world["program"], 10_000_000, 10_000_000)]
    staff = await as_persona("staff")
    ledger_page = await staff.get(f"/staff/programs/{world['program']}/ledger")
    assert 'data-testid="funds-received">$100,000' in ledger_page.text
    board = await staff.get(f"/staff/programs/{world['program']}/decisions")  # beside the budget, where staff decide
    assert 'data-testid="funds-received">$100,000' in board.text
    after = await funder.get(f"/funder/programs/{world['program']}/pledge")
    assert 'data-testid="pledge-outstanding">$0' in after.text and "pay-pledge" not in after.text
    other = await as_persona("other_funder")
    assert (await other.get(f"/funder/programs/{world['program']}/pledge")).status_code == 404


async def test_ledger_counts_no_money_for_a_seat_or_hours_of_technical_assistance(world, as_persona):
    """A seat or TA hours pay nothing: their value counted against the budget is not money committed."""
    for kind in ("cohort_seat", "ta_hours"):
        await Program.update({Program.offer_kind: kind}).where(Program.id == world["program"])
        award = await make_award(world["application_a"], world["staff"], amount_cents=250_000, status="accepted",
                                 ta_hours=40)
        assert await ledger.award_ledger(award) == dict.fromkeys(ledger.FIGURES, 0)
        program = await ledger.program_ledger(world["program"])
        assert (program["totals"], program["awards"]) == (dict.fromkeys(ledger.FIGURES, 0), [])
        await Award.delete().where(Award.id == award)
    await Program.update({Program.offer_kind: "travel"}).where(Program.id == world["program"])
    award = await make_award(world["application_a"], world["staff"], amount_cents=250_000, status="accepted")
    assert (await ledger.award_ledger(award))["committed"] == 250_000
