"""Tranches: the schedule adds up to the award (422 otherwise), release on acceptance disburses one Stripe
transfer keyed by the tranche (through the Connect fake, idempotent on retry), the manual rail for grantees
without Stripe, release on report approval and on a date, and Connect onboarding from the award page."""

from __future__ import annotations

from datetime import date

import pytest

from portal.awards.tranches import services as tranches
from portal.core import clock
from portal.db import write_transaction
from portal.awards.tranches.tables import Tranche
from portal.payments.gateway import gateway_for
from portal.payments.onboarding.tables import OrganisationPayout
from portal.payments.tables import Payment
from portal.reporting.tables import Report
from tests.factories.awards import make_award, make_report

ACCEPT = {"decision": "accept", "typed_name": "Applicant", "title": "Mayor", "agree": "yes"}
TWO = {"amount_1": "6,000", "trigger_1": "on_acceptance", "amount_2": "4000", "trigger_2": "on_report_approval",
       "report_kind_2": "final"}


@pytest.fixture
def gateway(stripe_portal, portal):
    return gateway_for(portal.state.settings.stripe)


async def onboarded(world, gateway, servers) -> str:
    account = await gateway.create_account(email="finance@springfield.gov", organisation_id=world["city_a"])
    servers.fake.complete_onboarding(account.id)
    async with write_transaction():
        await OrganisationPayout.insert(OrganisationPayout(organisation=world["city_a"], stripe_account_id=account.id,
                                                           charges_enabled=True, payouts_enabled=True,
                                                           updated_at=clock.now()))
    return account.id


async def test_schedule_must_add_up_to_the_award(world, as_persona):
    award = await make_award(world["application_a"], world["staff"], amount_cents=1_000_000)
    staff = await as_persona("staff")
    short = await staff.post(f"/awards/{award}/tranches", TWO | {"amount_2": "3999.99"})
    assert short.status_code == 422 and "they must add up to the award" in short.text
    bad = await staff.post(f"/awards/{award}/tranches", {"amount_1": "ten", "trigger_1": "on_date",
                                                         "due_date_1": "2027-02-30"})
    assert bad.status_code == 422 and "Enter the date as YYYY-MM-DD" in bad.text and "greater than zero" in bad.text
    assert await Tranche.count() == 0
    ok = await staff.post(f"/awards/{award}/tranches", TWO)
    assert ok.status_code == 303
    rows = await tranches.list_tranches(award)
    assert [(r["position"], r["amount_cents"], r["trigger"], r["report_kind"], r["status"]) for r in rows] == [
        (1, 600_000, "on_acceptance", "", "scheduled"), (2, 400_000, "on_report_approval", "final", "scheduled")]
    applicant = await as_persona("applicant")
    assert (await applicant.post(f"/awards/{award}/tranches", TWO)).status_code == 403


async def test_release_on_acceptance_makes_one_transfer_idempotent_on_retry(world, as_persona, gateway,
                                                                           stripe_portal):
    account = await onboarded(world, gateway, stripe_portal)
    award = await make_award(world["application_a"], world["staff"], amount_cents=1_000_000)
    staff = await as_persona("staff")
    assert (await staff.post(f"/awards/{award}/tranches", TWO)).status_code == 303
    applicant = await as_persona("applicant")
    assert (await applicant.post(f"/awards/{award}/acceptance", ACCEPT)).status_code == 303
    rows = await tranches.list_tranches(award)
    first = rows[0]
    assert (first["status"], rows[1]["status"]) == ("released", "scheduled")
    assert len(stripe_portal.fake.transfers) == 1
    transfer = next(iter(stripe_portal.fake.transfers.values()))
    assert (transfer["amount"], transfer["destination"], transfer["metadata"]["tranche"]) == (
        600_000, account, str(first["id"]))
    payment = await Payment.select().where(Payment.id == first["payment"]).first()
    assert payment["idempotency_key"] == f"tranche-{first['id']}-v1"
    # Retries (a second release, a staff "send") change nothing and make no second transfer.
    await tranches.release_tranche(tranches.payments.SYSTEM, first["id"], gateway)
    await staff.post(f"/awards/{award}/tranches/{first['id']}/send", {})
    assert len(stripe_portal.fake.transfers) == 1 and await Payment.count() == 1
    # The schedule is frozen once a tranche is released.
    assert (await staff.post(f"/awards/{award}/tranches", TWO)).status_code == 409


async def test_without_stripe_account_the_tranche_waits_for_the_manual_rail(world, as_persona, gateway,
                                                                            stripe_portal):
    award = await make_award(world["application_a"], world["staff"], amount_cents=1_000_000)
    staff = await as_persona("staff")
    await staff.post(f"/awards/{award}/tranches", TWO)
    applicant = await as_persona("applicant")
    await applicant.post(f"/awards/{award}/acceptance", ACCEPT)
    first = (await tranches.list_tranches(award))[0]
    assert (first["status"], first["payment_status"]) == ("released", "scheduled")
    assert stripe_portal.fake.transfers == {}
    missing = await staff.post(f"/awards/{award}/tranches/{first['id']}/manual", {"rail": "cheque", "reference": ""})
    assert missing.status_code == 422
    assert (await applicant.post(f"/awards/{award}/tranches/{first['id']}/manual",
                                 {"rail": "ach", "reference": "X"})).status_code == 403
    paid = await staff.post(f"/awards/{award}/tranches/{first['id']}/manual", {"rail": "cheque", "reference": "CHK-1042"})
    assert paid.status_code == 303
    first = (await tranches.list_tranches(award))[0]
    assert (first["status"], first["payment_rail"], first["payment_reference"]) == ("paid", "cheque", "CHK-1042")


async def test_report_approval_and_due_date_release_their_tranches(world, as_persona, gateway, stripe_portal):
    await onboarded(world, gateway, stripe_portal)
    award = await make_award(world["application_a"], world["staff"], amount_cents=1_000_000)
    report = await make_report(award, world["program"], kind="final", status="submitted")
    staff = await as_persona("staff")
    await staff.post(f"/awards/{award}/tranches", {
        "amount_1": "5000", "trigger_1": "on_report_approval", "report_kind_1": "final",
        "amount_2": "5000", "trigger_2": "on_date", "due_date_2": "2027-06-01"})
    applicant = await as_persona("applicant")
    await applicant.post(f"/awards/{award}/acceptance", ACCEPT)
    assert [r["status"] for r in await tranches.list_tranches(award)] == ["scheduled", "scheduled"]
    assert (await applicant.post(f"/staff/reports/{report}/approve", {})).status_code == 403
    assert (await staff.post(f"/staff/reports/{report}/approve", {})).status_code == 303
    assert (await Report.select(Report.status).where(Report.id == report).first())["status"] == "approved"
    assert (await staff.post(f"/staff/reports/{report}/approve", {})).status_code == 409
    assert [r["status"] for r in await tranches.list_tranches(award)] == ["released", "scheduled"]
    assert await tranches.release_due(date(2027, 5, 31), gateway) == 0
    assert await tranches.release_due(date(2027, 6, 1), gateway) == 1
    assert await tranches.release_due(date(2027, 6, 2), gateway) == 0
    assert [r["status"] for r in await tranches.list_tranches(award)] == ["released", "released"]
    assert len(stripe_portal.fake.transfers) == 2


async def test_owner_onboards_and_the_account_is_refreshed_on_return(world, as_persona, stripe_portal):
    award = await make_award(world["application_a"], world["staff"])
    colleague = await as_persona("colleague")
    assert (await colleague.post(f"/awards/{award}/payouts/onboard", {})).status_code == 403
    applicant = await as_persona("applicant")
    page = await applicant.get(f"/awards/{award}")
    assert 'data-testid="onboard"' in page.text
    response = await applicant.post(f"/awards/{award}/payouts/onboard", {})
    assert response.status_code == 303 and response.headers["location"].startswith("https://connect.stripe.com/")
    row = await OrganisationPayout.select().where(OrganisationPayout.organisation == world["city_a"]).first()
    assert row["payouts_enabled"] is False
    again = await applicant.post(f"/awards/{award}/payouts/onboard", {})  # a second click: the same account
    assert again.status_code == 303 and len(stripe_portal.fake.accounts) == 1
    stripe_portal.fake.complete_onboarding(row["stripe_account_id"])
    back = await applicant.get(f"/awards/{award}/payouts/return")
    assert back.status_code == 200 and 'data-testid="payouts-ready"' in back.text
    row = await OrganisationPayout.select().where(OrganisationPayout.organisation == world["city_a"]).first()
    assert (row["charges_enabled"], row["payouts_enabled"]) == (True, True)
    assert 'data-testid="payouts-ready"' in (await applicant.get(f"/awards/{award}")).text


async def make_tranche(award_id: int, *, amount_cents: int = 1_000_000, trigger: str = "on_acceptance") -> int:
    """A scheduled tranche on an award (also used by the access matrix)."""
    rows = await Tranche.insert(Tranche(award=award_id, position=1, amount_cents=amount_cents,
                                        trigger=trigger)).returning(Tranche.id)
    return rows[0]["id"]
