"""The Stripe webhook, POST /webhooks/stripe, on both engines: signatures, replays, and events out of order.

The four-event sequence is what Stripe sends for a tranche that is paid and then clawed back in two steps (all
four made for real on the Connect fake, each carrying the transfer as it was at that moment):

    0 transfer.created   amount 50,000, amount_reversed 0        -> paid
    1 transfer.updated   description added by staff             -> paid (nothing new)
    2 transfer.reversed  partial reversal, amount_reversed 20,000 -> paid, 200.00 reversed
    3 transfer.reversed  the rest, amount_reversed 50,000, reversed -> reversed

Stripe does not promise delivery order, and may deliver an event more than once. Whatever the order, the
payment must end reversed with 500.00 reversed, each event recorded once, and no event may move it backwards
(e.g. the created event arriving after the full reversal must not make it paid again).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time

import httpx
import pytest

from portal.core.audit import list_for
from portal.payments import services
from portal.payments.gateway import gateway_for
from portal.payments.tables import Payment, StripeEvent
from tests.stripe_events import body_of, deliver, deliver_event, sign
from tests.stripe_servers import STRIPE_TEST_KEY

AMOUNT = 50_000


@pytest.fixture
async def reversed_transfer(stripe_portal, portal, world):
    """A disbursed payment and the four events of its transfer, in the order Stripe made them."""
    gateway = gateway_for(portal.state.settings.stripe)
    account = await gateway.create_account(email="finance@springfield.gov", organisation_id=world["city_a"])
    stripe_portal.fake.complete_onboarding(account.id)
    payment_id = await services.schedule_transfer(program_id=world["program"], amount_cents=AMOUNT,
                                                  destination=account.id, award_id=3, tranche_id=11)
    row = await services.disburse(payment_id, gateway)
    transfer_id = row.stripe_id
    async with httpx.AsyncClient(base_url=stripe_portal.url,
                                 headers={"Authorization": f"Bearer {STRIPE_TEST_KEY}"}) as api:
        for path, data in ((f"/v1/transfers/{transfer_id}", {"description": "Tranche 1 of award 3"}),
                           (f"/v1/transfers/{transfer_id}/reversals", {"amount": "20000"}),
                           (f"/v1/transfers/{transfer_id}/reversals", {})):
            assert (await api.post(path, data=data)).status_code == 200
    events = [e for e in stripe_portal.fake.events if e["type"].startswith("transfer.")]
    assert [e["type"] for e in events] == ["transfer.created", "transfer.updated", "transfer.reversed",
                                           "transfer.reversed"]
    assert [e["data"]["object"]["amount_reversed"] for e in events] == [0, 0, 20_000, AMOUNT]
    return payment_id, transfer_id, events


async def status_changes(payment_id: int) -> list[str]:
    return [e["action"] for e in await list_for("payment", payment_id)
            if e["action"] in ("payment.paid", "payment.reversed", "payment.failed")]


@pytest.mark.parametrize("order", list(itertools.permutations(range(4))), ids=lambda o: "".join(map(str, o)))
async def test_every_order_of_four_transfer_events_ends_reversed(reversed_transfer, client, order):
    payment_id, transfer_id, events = reversed_transfer
    seen: list[int] = []
    for index in order:
        response = await deliver_event(client, events[index])
        assert response.status_code == 200
        seen.append(index)
        row = await services.get_payment(payment_id)
        want_status = "reversed" if 3 in seen else "paid"
        want_reversed = max(events[i]["data"]["object"]["amount_reversed"] for i in seen)
        assert (row.status, row.amount_reversed_cents, row.stripe_id) == (
            want_status, want_reversed, transfer_id), seen
    assert await StripeEvent.count() == 4
    assert await status_changes(payment_id) == (["payment.reversed"] if order[0] == 3
                                                else ["payment.paid", "payment.reversed"])


async def test_each_event_replayed_three_times_has_one_effect(reversed_transfer, client):
    payment_id, _, events = reversed_transfer
    outcomes = []
    for event in events:
        for _ in range(3):
            response = await deliver_event(client, event)  # signed afresh each time, as Stripe's retries are
            assert response.status_code == 200
            outcomes.append(response.json()["outcome"])
    assert outcomes == ["applied", "replay", "replay", "stale", "replay", "replay",
                        "applied", "replay", "replay", "applied", "replay", "replay"]
    assert await StripeEvent.count() == 4
    row = await services.get_payment(payment_id)
    assert (row.status, row.amount_reversed_cents) == ("reversed", AMOUNT)
    assert await status_changes(payment_id) == ["payment.paid", "payment.reversed"]


async def test_the_same_event_delivered_at_once_applies_once(reversed_transfer, client):
    payment_id, _, events = reversed_transfer
    responses = await asyncio.gather(*(deliver_event(client, events[0]) for _ in range(3)))
    assert sorted(r.json()["outcome"] for r in responses) == ["applied", "replay", "replay"]
    assert await StripeEvent.count() == 1
    assert await status_changes(payment_id) == ["payment.paid"]


async def test_reversal_before_creation_is_not_undone(reversed_transfer, client):
    payment_id, _, events = reversed_transfer
    assert (await deliver_event(client, events[3])).json()["outcome"] == "applied"
    assert (await deliver_event(client, events[0])).json()["outcome"] == "stale"
    row = await services.get_payment(payment_id)
    assert (row.status, row.amount_reversed_cents) == ("reversed", AMOUNT)


async def test_webhook_completes_a_payment_whose_process_crashed(stripe_portal, portal, world, client):
    """The portal died after Stripe made the transfer: the transfer.created event finds the payment by the id
    in its metadata, records the transfer and marks it paid; a later disburse leaves it alone."""
    gateway = gateway_for(portal.state.settings.stripe)
    account = await gateway.create_account(email="finance@springfield.gov", organisation_id=world["city_a"])
    stripe_portal.fake.complete_onboarding(account.id)
    payment_id = await services.schedule_transfer(program_id=world["program"], amount_cents=AMOUNT,
                                                  destination=account.id, tranche_id=12)
    hold = stripe_portal.fake.hold_next_transfer()
    attempt = asyncio.create_task(services.disburse(payment_id, gateway))
    await asyncio.wait_for(hold.created.wait(), 10)
    attempt.cancel()
    with pytest.raises(asyncio.CancelledError):
        await attempt
    hold.release.set()
    [created] = [e for e in stripe_portal.fake.events if e["type"] == "transfer.created"]
    assert (await deliver_event(client, created)).json()["outcome"] == "applied"
    row = await services.get_payment(payment_id)
    assert (row.status, row.stripe_id) == ("paid", hold.transfer_id)
    again = await services.disburse(payment_id, gateway)
    assert (again.status, len(stripe_portal.fake.transfers)) == ("paid", 1)


# -- refused deliveries -------------------------------------------------------------------------------------------

def tampered(body: bytes) -> tuple[bytes, str]:
    signature = sign(body)
    return body.replace(b'"amount_reversed": 0', b'"amount_reversed": 50000'), signature


BAD_DELIVERIES = {
    "tampered": tampered,
    "stale": lambda body: (body, sign(body, timestamp=int(time.time()) - 301)),
    "unsigned": lambda body: (body, None),
    "wrongly signed": lambda body: (body, sign(body, secret="whsec_someone_else")),
    "signature of another body": lambda body: (body, sign(body + b" ")),
    "garbage header": lambda body: (body, "t=abc,v1=zz"),
    "empty header": lambda body: (body, ""),
}


@pytest.mark.parametrize("kind", list(BAD_DELIVERIES))
async def test_badly_signed_webhooks_are_refused_with_no_effect(reversed_transfer, client, kind):
    payment_id, _, events = reversed_transfer
    body = body_of(events[0])
    bad_body, signature = BAD_DELIVERIES[kind](body)
    response = await deliver(client, bad_body, signature)
    assert response.status_code == 400
    assert await StripeEvent.count() == 0
    assert (await services.get_payment(payment_id)).status == "released"
    # The same event, properly signed, would have had an effect: the refusal above is what stopped it.
    assert (await deliver(client, body, sign(body))).status_code == 200
    assert (await services.get_payment(payment_id)).status == "paid"


async def test_signed_body_that_is_not_an_event_is_refused(stripe_portal, client):
    for body in (b'{"hello": "world"}', b"[1, 2]", b'{"id": "evt_1", "type": "x", "data": {"object": 3}}'):
        assert (await deliver(client, body, sign(body))).status_code == 400
    assert await StripeEvent.count() == 0


async def test_webhook_refused_when_stripe_is_not_configured(client, world):
    body = body_of({"id": "evt_1", "type": "transfer.created", "data": {"object": {"id": "tr_1"}}})
    response = await deliver(client, body, sign(body))
    assert (response.status_code, response.json()["error"]) == (400, "Stripe is not configured")
    assert await StripeEvent.count() == 0


async def test_other_events_are_recorded_and_ignored(stripe_portal, client, world):
    account = {"id": "evt_acct_1", "object": "event", "type": "account.updated", "created": int(time.time()),
               "data": {"object": {"id": "acct_1", "object": "account"}}}
    stranger = {"id": "evt_tr_1", "object": "event", "type": "transfer.created", "created": int(time.time()),
                "data": {"object": {"id": "tr_unknown", "object": "transfer", "amount": 5, "amount_reversed": 0,
                                    "reversed": False, "destination": "acct_1", "metadata": {"payment": "99"},
                                    "created": int(time.time()), "currency": "usd"}}}
    assert (await deliver_event(client, account)).json()["outcome"] == "ignored"
    assert (await deliver_event(client, stranger)).json()["outcome"] == "unmatched"
    rows = await StripeEvent.select(StripeEvent.event_id, StripeEvent.outcome).order_by(StripeEvent.id)
    assert rows == [{"event_id": "evt_acct_1", "outcome": "ignored"}, {"event_id": "evt_tr_1", "outcome": "unmatched"}]
    assert await Payment.count() == 0


async def test_event_with_a_wrong_amount_does_not_touch_the_payment(reversed_transfer, client):
    payment_id, _, events = reversed_transfer
    forged = json.loads(json.dumps(events[3]))  # signed with our secret, but not matching what we sent
    forged["id"] = "evt_forged"
    forged["data"]["object"]["amount"] = 1
    assert (await deliver_event(client, forged)).json()["outcome"] == "unmatched"
    assert (await services.get_payment(payment_id)).status == "released"


async def test_signed_event_with_a_malformed_object_is_refused_with_no_effect(reversed_transfer, client):
    payment_id, _, events = reversed_transfer
    broken = json.loads(json.dumps(events[0]))
    broken["data"]["object"]["amount"] = "fifty"
    assert (await deliver_event(client, broken)).status_code == 400
    assert await StripeEvent.count() == 0
    assert (await services.get_payment(payment_id)).status == "released"
