"""Payments through the real Stripe SDK against Stripe offline (tests/stripe_servers.py): the Connect fake's
shapes and idempotency rules, crash-safe disbursement, the manual rail, and a funder's pledge paid by
PaymentIntent on localstripe whose own signed webhook marks it paid. Each runs on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import stripe

from portal.core.audit import list_for
from portal.core.errors import Conflict, Invalid
from portal.payments import services
from portal.payments.gateway import StripeNotConfigured, StripeRefused, gateway_for
from portal.payments.records import PaymentRecord
from portal.payments.tables import Payment, StripeEvent
from portal.settings import StripeSettings
from tests.stripe_events import deliver
from tests.stripe_servers import STRIPE_TEST_KEY


@pytest.fixture
def gateway(stripe_portal, portal):
    return gateway_for(portal.state.settings.stripe)


@pytest.fixture
async def grantee_account(gateway, stripe_portal, world):
    """City A's connected account, onboarded."""
    account = await gateway.create_account(email="finance@springfield.gov", organisation_id=world["city_a"])
    stripe_portal.fake.complete_onboarding(account.id)
    return account.id


async def scheduled(world, account: str, amount: int = 50_000, tranche: int | None = 7) -> int:
    return await services.schedule_transfer(program_id=world["program"], amount_cents=amount, destination=account,
                                            award_id=3, tranche_id=tranche)


def raw_api(servers) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=servers.url, headers={"Authorization": f"Bearer {STRIPE_TEST_KEY}"})


# -- the gateway and the Connect fake --------------------------------------------------------------------------

async def test_connect_account_onboarding_link_and_status(gateway, stripe_portal, world):
    account = await gateway.create_account(email="finance@springfield.gov", organisation_id=world["city_a"])
    assert account.id.startswith("acct_")
    assert (account.details_submitted, account.payouts_enabled, account.ready) == (False, False, False)
    link = await gateway.onboarding_link(account.id, refresh_url="http://testserver/r",
                                         return_url="http://testserver/done")
    assert link.startswith("https://connect.stripe.com/setup/e/" + account.id)
    stripe_portal.fake.complete_onboarding(account.id)
    again = await gateway.retrieve_account(account.id)
    assert (again.details_submitted, again.charges_enabled, again.payouts_enabled, again.ready) == (
        True, True, True, True)
    assert stripe_portal.fake.accounts[account.id]["controller"]["stripe_dashboard"]["type"] == "express"


async def test_fake_same_key_same_params_returns_the_first_transfer(gateway, stripe_portal, grantee_account):
    first = await gateway.create_transfer(amount_cents=1200, destination=grantee_account,
                                          idempotency_key="tranche-1-v1", metadata={"tranche": "1"})
    second = await gateway.create_transfer(amount_cents=1200, destination=grantee_account,
                                           idempotency_key="tranche-1-v1", metadata={"tranche": "1"})
    assert (second.id, first.replayed, second.replayed) == (first.id, False, True)
    assert len(stripe_portal.fake.transfers) == 1
    assert [t.id for t in await gateway.list_transfers(destination=grantee_account)] == [first.id]


async def test_fake_same_key_other_params_is_an_idempotency_error(gateway, stripe_portal, grantee_account):
    await gateway.create_transfer(amount_cents=1200, destination=grantee_account, idempotency_key="k-1",
                                  metadata={"tranche": "1"})
    with pytest.raises(stripe.IdempotencyError):
        await gateway.create_transfer(amount_cents=1300, destination=grantee_account, idempotency_key="k-1",
                                      metadata={"tranche": "1"})
    async with raw_api(stripe_portal) as api:
        response = await api.post("/v1/transfers", data={"amount": "1200", "currency": "usd",
                                                         "destination": grantee_account, "metadata[tranche]": "2"},
                                  headers={"Idempotency-Key": "k-1"})
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "idempotency_error"
    assert len(stripe_portal.fake.transfers) == 1


async def test_fake_follows_stripe_request_and_error_shapes(stripe_portal, grantee_account):
    async with raw_api(stripe_portal) as api:
        created = await api.post("/v1/transfers", data={
            "amount": "500", "currency": "usd", "destination": grantee_account,
            "metadata[tranche]": "9", "metadata[award]": "4"})
        missing = await api.get("/v1/transfers/tr_nope")
        no_amount = await api.post("/v1/transfers", data={"currency": "usd", "destination": grantee_account})
        unknown_destination = await api.post("/v1/transfers", data={"amount": "5", "currency": "usd",
                                                                    "destination": "acct_nope"})
        listed = await api.get("/v1/transfers", params={"limit": "1"})
    async with httpx.AsyncClient(base_url=stripe_portal.url) as anonymous:
        unauthenticated = await anonymous.get("/v1/transfers")
    body = created.json()
    assert created.status_code == 200
    assert (body["object"], body["id"][:3], body["livemode"], body["metadata"]) == (
        "transfer", "tr_", False, {"tranche": "9", "award": "4"})
    assert isinstance(body["created"], int)
    assert (missing.status_code, missing.json()["error"]["code"], missing.json()["error"]["type"]) == (
        404, "resource_missing", "invalid_request_error")
    assert (no_amount.status_code, no_amount.json()["error"]["param"], no_amount.json()["error"]["code"]) == (
        400, "amount", "parameter_missing")
    assert (unknown_destination.status_code, unknown_destination.json()["error"]["param"]) == (400, "destination")
    assert (listed.json()["object"], [t["id"] for t in listed.json()["data"]]) == ("list", [body["id"]])
    assert unauthenticated.status_code == 401


async def test_fake_saves_no_result_for_a_request_that_failed_validation(stripe_portal, grantee_account):
    async with raw_api(stripe_portal) as api:
        bad = await api.post("/v1/transfers", data={"currency": "usd", "destination": grantee_account},
                             headers={"Idempotency-Key": "k-2"})
        good = await api.post("/v1/transfers", data={"amount": "5", "currency": "usd",
                                                     "destination": grantee_account},
                              headers={"Idempotency-Key": "k-2"})
    assert (bad.status_code, good.status_code, good.headers.get("Idempotent-Replayed")) == (400, 200, None)


async def test_stripe_is_not_configured_without_a_key(portal):
    with pytest.raises(StripeNotConfigured) as raised:
        gateway_for(StripeSettings())
    assert raised.value.message == "Stripe is not configured"


# -- disbursement ------------------------------------------------------------------------------------------------

async def test_disburse_sends_one_transfer_with_the_tranche_key(gateway, stripe_portal, world, grantee_account):
    payment_id = await scheduled(world, grantee_account)
    row = await services.disburse(payment_id, gateway)
    [transfer] = stripe_portal.fake.transfers.values()
    assert (row.status, row.idempotency_key, row.stripe_id, row.attempt) == (
        "released", "tranche-7-v1", transfer["id"], 1)
    assert (transfer["amount"], transfer["destination"], transfer["currency"]) == (50_000, grantee_account, "usd")
    assert transfer["metadata"] == {"payment": str(payment_id), "program": str(world["program"]),
                                    "tranche": "7", "award": "3"}
    keys = [key for method, path, key in stripe_portal.fake.requests if path == "/v1/transfers"]
    assert keys == ["tranche-7-v1"]
    assert [e["action"] for e in await list_for("payment", payment_id)] == ["payment.scheduled", "payment.released"]


async def test_crash_after_the_stripe_call_then_retry_makes_no_duplicate(gateway, stripe_portal, world,
                                                                          grantee_account):
    payment_id = await scheduled(world, grantee_account)
    hold = stripe_portal.fake.hold_next_transfer()
    attempt = asyncio.create_task(services.disburse(payment_id, gateway))
    await asyncio.wait_for(hold.created.wait(), 10)  # Stripe made the transfer; its answer has not arrived
    attempt.cancel()  # the process dies here: nothing after the call runs
    with pytest.raises(asyncio.CancelledError):
        await attempt
    hold.release.set()
    crashed = await services.get_payment(payment_id)
    assert (crashed.status, crashed.idempotency_key, crashed.stripe_id) == (
        "released", "tranche-7-v1", None)

    row = await services.disburse(payment_id, gateway)  # the retry
    assert len(stripe_portal.fake.transfers) == 1
    assert (row.stripe_id, row.idempotency_key) == (hold.transfer_id, "tranche-7-v1")
    keys = [key for method, path, key in stripe_portal.fake.requests if path == "/v1/transfers"]
    assert keys == ["tranche-7-v1", "tranche-7-v1"]


async def test_disburse_twice_at_once_makes_one_transfer(gateway, stripe_portal, world, grantee_account):
    payment_id = await scheduled(world, grantee_account)
    rows = await asyncio.gather(*(services.disburse(payment_id, gateway) for _ in range(3)),
                                return_exceptions=True)
    ids = {row.stripe_id for row in rows if isinstance(row, PaymentRecord)}
    assert len(stripe_portal.fake.transfers) == 1
    assert ids == set(stripe_portal.fake.transfers)


async def test_refused_transfer_fails_and_a_retry_uses_a_new_key(gateway, stripe_portal, world, grantee_account):
    payment_id = await scheduled(world, grantee_account, tranche=None)
    stripe_portal.fake.fail_next_transfer("balance_insufficient")
    failed = await services.disburse(payment_id, gateway)
    assert (failed.status, failed.stripe_id, failed.idempotency_key) == (
        "failed", None, f"payment-{payment_id}-v1")
    assert "insufficient available funds" in failed.failure_message
    assert stripe_portal.fake.transfers == {}
    assert (await services.reconcile(payment_id, gateway)).status == "failed"  # reconciling re-sends nothing
    assert stripe_portal.fake.transfers == {}

    retried = await services.disburse(payment_id, gateway)
    assert (retried.status, retried.idempotency_key, retried.failure_message) == (
        "released", f"payment-{payment_id}-v2", "")
    assert [t["id"] for t in stripe_portal.fake.transfers.values()] == [retried.stripe_id]
    actions = [e["action"] for e in await list_for("payment", payment_id)]
    assert actions == ["payment.scheduled", "payment.released", "payment.failed", "payment.released"]


async def test_refused_transfer_is_replayed_for_its_key(gateway, stripe_portal, grantee_account):
    stripe_portal.fake.fail_next_transfer("balance_insufficient")
    for _ in range(2):  # Stripe saves the result of a request that began executing, errors included
        with pytest.raises(StripeRefused) as refused:
            await gateway.create_transfer(amount_cents=100, destination=grantee_account, idempotency_key="k-3",
                                          metadata={})
        assert refused.value.code == "balance_insufficient"
    assert stripe_portal.fake.transfers == {}


async def test_disburse_refuses_without_a_connected_account(gateway, stripe_portal, world):
    payment_id = await scheduled(world, "")
    with pytest.raises(Conflict):
        await services.disburse(payment_id, gateway)
    assert (await services.get_payment(payment_id)).status == "scheduled"
    assert stripe_portal.fake.requests == []


async def test_transfer_to_an_account_not_onboarded_fails(gateway, stripe_portal, world):
    account = await gateway.create_account(email="finance@shelbyville.gov", organisation_id=world["city_b"])
    payment_id = await scheduled(world, account.id)
    row = await services.disburse(payment_id, gateway)
    assert row.status == "failed"
    assert "capabilities" in row.failure_message


# -- the manual rail ---------------------------------------------------------------------------------------------

async def test_manual_payment_by_cheque(portal, world):
    payment_id = await scheduled(world, "")
    await services.record_manual_payment(payment_id, "cheque", " 004512 ")
    row = await services.get_payment(payment_id)
    assert (row.status, row.rail, row.reference) == ("paid", "cheque", "004512")
    assert row.paid_at is not None
    with pytest.raises(Conflict):  # paid already
        await services.record_manual_payment(payment_id, "ach", "TRACE-1")


async def test_manual_payment_refuses_bad_input(portal, world):
    payment_id = await scheduled(world, "")
    with pytest.raises(Invalid) as raised:
        await services.record_manual_payment(payment_id, "bitcoin", "")
    assert set(raised.value.errors) == {"rail", "reference"}
    with pytest.raises(Invalid):
        await services.record_manual_payment(payment_id, "ach", "x" * 201)
    assert (await services.get_payment(payment_id)).status == "scheduled"


async def test_manual_payment_refused_while_a_stripe_transfer_is_in_flight(gateway, stripe_portal, world,
                                                                          grantee_account):
    payment_id = await scheduled(world, grantee_account)
    await services.disburse(payment_id, gateway)
    with pytest.raises(Conflict):
        await services.record_manual_payment(payment_id, "ach", "TRACE-1")


# -- a funder's pledge on localstripe ----------------------------------------------------------------------------

async def test_pledge_payment_intent_succeeds_and_its_webhook_marks_it_paid(gateway, stripe_portal, world, client):
    row, client_secret = await services.record_pledge_payment(
        program_id=world["program"], funder_id=world["foundation"], amount_cents=250_000, gateway=gateway,
        payment_method="pm_card_visa")
    assert (row.kind, row.status, row.idempotency_key) == ("payment_intent", "released", f"pledge-{row.id}-v1")
    assert row.stripe_id.startswith("pi_") and client_secret.startswith(row.stripe_id)
    intent = await gateway.retrieve_payment_intent(row.stripe_id)
    assert (intent.status, intent.amount, intent.metadata["funder"]) == ("succeeded", 250_000,
                                                                         str(world["foundation"]))

    # localstripe signs and delivers payment_intent.succeeded itself (about a second later).
    body, signature = await stripe_portal.inbox.wait_for(
        lambda e: e["type"] == "payment_intent.succeeded" and e["data"]["object"]["id"] == row.stripe_id)
    response = await deliver(client, body, signature)
    assert (response.status_code, response.json()["outcome"]) == (200, "applied")
    paid = await services.get_payment(row.id)
    assert (paid.status, paid.paid_at is not None) == ("paid", True)
    assert await StripeEvent.count() == 1
    assert (await deliver(client, body, signature)).json()["outcome"] == "replay"


async def test_pledge_with_a_declined_card_fails_and_its_webhook_completes_the_record(gateway, stripe_portal,
                                                                                       world, client):
    async with raw_api(stripe_portal) as api:  # localstripe declines charges to this test card
        method = await api.post("/v1/payment_methods", data={
            "type": "card", "card[number]": "4000000000000341", "card[exp_month]": "12",
            "card[exp_year]": "2030", "card[cvc]": "123"})
    assert method.status_code == 200, method.text
    row, _ = await services.record_pledge_payment(program_id=world["program"], funder_id=world["foundation"],
                                                  amount_cents=9_900, gateway=gateway,
                                                  payment_method=method.json()["id"])
    assert (row.status, row.stripe_id) == ("failed", None)  # Stripe answered 402: the card was declined
    assert row.failure_message != ""
    body, signature = await stripe_portal.inbox.wait_for(
        lambda e: e["type"] == "payment_intent.payment_failed"
        and e["data"]["object"]["metadata"].get("payment") == str(row.id))
    assert (await deliver(client, body, signature)).json()["outcome"] == "applied"
    failed = await services.get_payment(row.id)
    assert (failed.status, failed.stripe_id) == ("failed", json.loads(body)["data"]["object"]["id"])
    assert await Payment.count().where(Payment.status == "paid") == 0


async def test_reconcile_applies_what_stripe_holds_when_webhooks_were_lost(gateway, stripe_portal, world,
                                                                            grantee_account):
    payment_id = await scheduled(world, grantee_account)
    row = await services.disburse(payment_id, gateway)
    assert row.status == "released"
    assert (await services.reconcile(payment_id, gateway)).status == "paid"
    async with raw_api(stripe_portal) as api:
        assert (await api.post(f"/v1/transfers/{row.stripe_id}/reversals")).status_code == 200
    again = await services.reconcile(payment_id, gateway)
    assert (again.status, again.amount_reversed_cents) == ("reversed", 50_000)
    assert len(stripe_portal.fake.transfers) == 1
    assert await StripeEvent.count() == 0  # no event was received: nothing recorded as one
