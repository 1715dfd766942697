"""The payment retry worker (issue 11): a released Stripe transfer that Stripe did not answer is sent again with
the same idempotency key, with backoff by time; one worker at a time; past the retry period it needs attention
(never failed), staff see it with the last error and send it again by hand (audited, access-checked).

Stripe is the Connect fake (tests/stripe_servers.py) behind a switch of this module (`Outage`): while it is down,
every request gets 503 with `Stripe-Should-Retry: false` (the SDK then gives up at once instead of retrying), so
the gateway raises StripeUnavailable as for any answer that says nothing. The tests drive
`retry_unanswered_transfers` with a clock of their own, days ahead of the server's (the app's own worker does not
run here: the app starts without Stripe configured).
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

import pytest
from aiohttp import ClientSession, web

from portal.awards.tranches import services as tranches
from portal.core import clock
from portal.core.tables import AuditEvent
from portal.payments import services
from portal.payments.gateway import StripeUnavailable, gateway_for
from portal.payments.tables import Payment
from tests.factories.awards import make_award
from tests.awards.tranches.test_tranches import ACCEPT, onboarded
from tests.support import free_port

T0 = clock.now().replace(microsecond=0) + timedelta(days=30)
ONE = {"amount_1": "10,000", "trigger_1": "on_acceptance"}


class Outage:
    """A switch in front of the Stripe servers: up, requests pass through; down, 503 and no retry."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.down = False
        self.session: ClientSession | None = None
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        if self.down:
            return web.json_response({"error": {"type": "api_error", "message": "Stripe is down (test outage)"}},
                                     status=503, headers={"Stripe-Should-Retry": "false"})
        assert self.session is not None
        headers = {k: v for k, v in request.headers.items()
                   if k.lower() in ("authorization", "content-type", "idempotency-key", "stripe-version")}
        async with self.session.request(request.method, self.upstream + request.path_qs, data=await request.read(),
                                        headers=headers) as answer:
            passed = {k: v for k, v in answer.headers.items()
                      if k.lower() in ("idempotent-replayed", "idempotency-key")}
            return web.Response(status=answer.status, body=await answer.read(), headers=passed,
                                content_type=answer.content_type)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        port = free_port()
        await web.TCPSite(self.runner, "127.0.0.1", port).start()
        self.url = f"http://127.0.0.1:{port}"
        self.session = ClientSession()

    async def stop(self) -> None:
        if self.session is not None:
            await self.session.close()
        if self.runner is not None:
            await self.runner.cleanup()


@pytest.fixture
async def outage(portal, stripe_portal):
    """The portal's Stripe behind the switch, with retry settings of these tests (first delay 30 s, at most 600 s,
    for one hour)."""
    switch = Outage(stripe_portal.url)
    await switch.start()
    original = portal.state.settings
    portal.state.settings = dataclasses.replace(original, stripe=dataclasses.replace(
        original.stripe, api_base=switch.url, timeout_seconds=5, retry_first_seconds=30, retry_max_seconds=600,
        retry_for_hours=1))
    try:
        yield switch
    finally:
        portal.state.settings = original
        await switch.stop()


@pytest.fixture
def gateway(portal, outage):
    return gateway_for(portal.state.settings.stripe)


async def released_tranche(world, as_persona, gateway, servers) -> tuple[int, dict]:
    """An accepted award of $10,000 in one tranche, released while Stripe is up: (award id, tranche row)."""
    await onboarded(world, gateway, servers)
    award = await make_award(world["application_a"], world["staff"], amount_cents=1_000_000)
    staff = await as_persona("staff")
    assert (await staff.post(f"/awards/{award}/tranches", ONE)).status_code == 303
    return award, (await tranches.list_tranches(award))[0]


async def left_unanswered(world, gateway, servers, since=T0) -> int:
    """A transfer released and never answered (as a crash between release and answer leaves it), its retry period
    starting at `since`: returns the payment id."""
    account = await onboarded(world, gateway, servers)
    payment_id = await services.schedule_transfer(program_id=world["program"], amount_cents=50_000,
                                                  destination=account, award_id=None, tranche_id=None)
    await Payment.update({Payment.status: "released", Payment.attempt: 1,
                          Payment.idempotency_key: f"payment-{payment_id}-v1", Payment.retry_at: since,
                          Payment.retry_since: since, Payment.send_attempts: 0}).where(Payment.id == payment_id)
    return payment_id


def sends(servers, key: str) -> int:
    return sum(1 for method, path, k in servers.fake.requests if (method, path, k) == ("POST", "/v1/transfers", key))


async def test_retry_waits_by_time_then_sends_the_same_key_once(world, gateway, outage, stripe_portal):
    payment_id = await left_unanswered(world, gateway, stripe_portal)
    key = f"payment-{payment_id}-v1"
    outage.down = True
    assert await services.retry_unanswered_transfers(gateway, now=T0) == 0
    row = await services.get_payment(payment_id)
    assert (row.status, row.stripe_id, row.send_attempts) == ("released", None, 1)
    assert "Stripe is down" in row.send_error
    first_wait = clock.as_utc(row.retry_at) - T0
    assert timedelta(seconds=15) <= first_wait <= timedelta(seconds=30)
    # Polled again and again during the outage, the worker sends nothing before the payment is due.
    for seconds in (1, 5, 14):
        assert await services.retry_unanswered_transfers(gateway, now=T0 + timedelta(seconds=seconds)) == 0
    assert (await services.get_payment(payment_id)).send_attempts == 1
    # Due: sent again, still down; the next wait doubles (30-60 s).
    at = clock.as_utc(row.retry_at)
    assert await services.retry_unanswered_transfers(gateway, now=at) == 0
    row = await services.get_payment(payment_id)
    assert row.send_attempts == 2
    assert timedelta(seconds=30) <= clock.as_utc(row.retry_at) - at <= timedelta(seconds=60)

    outage.down = False
    assert await services.retry_unanswered_transfers(gateway, now=clock.as_utc(row.retry_at)) == 1
    row = await services.get_payment(payment_id)
    assert len(stripe_portal.fake.transfers) == 1
    assert row.stripe_id == next(iter(stripe_portal.fake.transfers))
    assert (row.retry_at, row.send_error, row.attention_at) == (None, None, None)
    assert sends(stripe_portal, key) == 1  # the fake saw only the send that was answered (the others hit the outage)
    assert await services.retry_unanswered_transfers(gateway, now=T0 + timedelta(days=1)) == 0


async def test_a_transfer_made_whose_answer_was_lost_is_not_made_twice(world, gateway, outage, stripe_portal):
    payment_id = await left_unanswered(world, gateway, stripe_portal)
    hold = stripe_portal.fake.hold_next_transfer()
    send = asyncio.create_task(services.retry_unanswered_transfers(gateway, now=T0))
    await asyncio.wait_for(hold.created.wait(), 10)  # Stripe made it; the process dies before the answer
    send.cancel()
    with pytest.raises(asyncio.CancelledError):
        await send
    hold.release.set()
    claimed = await services.get_payment(payment_id)
    assert (claimed.status, claimed.stripe_id, claimed.send_attempts) == ("released", None, 1)
    # The claim holds it until a send would have ended: nobody sends meanwhile; after it, the worker does.
    lease = services.send_lease(gateway.settings)
    assert await services.retry_unanswered_transfers(gateway, now=T0 + lease - timedelta(seconds=1)) == 0
    assert await services.retry_unanswered_transfers(gateway, now=T0 + lease) == 1
    assert list(stripe_portal.fake.transfers) == [hold.transfer_id]
    assert (await services.get_payment(payment_id)).stripe_id == hold.transfer_id


async def test_one_worker_claims_a_due_transfer(world, gateway, outage, stripe_portal):
    payment_id = await left_unanswered(world, gateway, stripe_portal)
    hold = stripe_portal.fake.hold_next_transfer()
    first = asyncio.create_task(services.retry_unanswered_transfers(gateway, now=T0))
    await asyncio.wait_for(hold.created.wait(), 10)  # the first worker's send is inside Stripe
    # Other workers (on PostgreSQL: other connections, as other processes would) find nothing to claim.
    others = await asyncio.gather(*(services.retry_unanswered_transfers(gateway, now=T0 + timedelta(seconds=5))
                                    for _ in range(3)))
    assert others == [0, 0, 0]
    assert await services.claim_due_transfer(gateway.settings, T0 + timedelta(seconds=5)) is None
    hold.release.set()
    assert await first == 1
    assert sends(stripe_portal, f"payment-{payment_id}-v1") == 1
    assert len(stripe_portal.fake.transfers) == 1


async def test_after_the_retry_period_it_needs_attention_not_failed(world, as_persona, gateway, outage,
                                                                    stripe_portal):
    award, tranche = await released_tranche(world, as_persona, gateway, stripe_portal)
    outage.down = True
    applicant = await as_persona("applicant")
    assert (await applicant.post(f"/awards/{award}/acceptance", ACCEPT)).status_code == 303  # Stripe down
    payment_id = (await tranches.list_tranches(award))[0]["payment"]
    row = await services.get_payment(payment_id)
    assert (row.status, row.stripe_id, row.send_attempts) == ("released", None, 1)
    now = clock.as_utc(row.retry_since)
    assert now + timedelta(seconds=15) <= clock.as_utc(row.retry_at) <= clock.as_utc(row.updated_at) + \
        timedelta(seconds=30)
    staff = await as_persona("staff")
    page = await staff.get(f"/awards/{award}")
    assert 'data-testid="retrying"' in page.text and "Stripe is down" in page.text

    at = clock.as_utc(row.retry_at)
    assert await services.retry_unanswered_transfers(gateway, now=at) == 0
    assert await services.retry_unanswered_transfers(gateway, now=now + timedelta(hours=1)) == 0  # past the period
    row = await services.get_payment(payment_id)
    assert (row.status, row.retry_at, row.send_attempts) == ("released", None, 3)
    assert row.attention_at is not None and "Stripe is down" in row.send_error
    assert (await tranches.list_tranches(award))[0]["status"] == "released"
    audit = await AuditEvent.select(AuditEvent.action).where(AuditEvent.object_id == payment_id).where(
        AuditEvent.object_type == "payment")
    assert [a["action"] for a in audit][-1] == "payment.needs_attention"
    assert await services.retry_unanswered_transfers(gateway, now=now + timedelta(days=2)) == 0  # no more sends
    assert (await services.get_payment(payment_id)).send_attempts == 3

    page = await staff.get(f"/awards/{award}")
    assert 'data-testid="needs-attention"' in page.text and f'data-testid="retry-{tranche["position"]}"' in page.text
    ledger = await staff.get(f"/staff/programs/{world['program']}/ledger")
    assert ledger.status_code == 200 and f'data-testid="unanswered-payment-{payment_id}"' in ledger.text
    assert 'data-testid="needs-attention"' in ledger.text and "Stripe is down" in ledger.text


async def test_staff_send_again_by_hand_audited_and_access_checked(world, as_persona, gateway, outage,
                                                                   stripe_portal):
    award, tranche = await released_tranche(world, as_persona, gateway, stripe_portal)
    outage.down = True
    applicant = await as_persona("applicant")
    await applicant.post(f"/awards/{award}/acceptance", ACCEPT)
    payment_id = (await tranches.list_tranches(award))[0]["payment"]
    await Payment.update({Payment.retry_at: None, Payment.attention_at: clock.now()}).where(Payment.id == payment_id)
    url = f"/awards/{award}/tranches/{tranche['id']}/retry"

    assert (await applicant.post(url, {})).status_code == 403
    assert (await (await as_persona("stranger")).post(url, {})).status_code == 404
    staff = await as_persona("staff")
    assert (await staff.post(url, {}, csrf=False)).status_code == 403
    still_down = await staff.post(url, {})  # Stripe still down: noted, retried automatically again
    assert still_down.status_code == 303
    row = await services.get_payment(payment_id)
    assert (row.attention_at, row.send_attempts, row.stripe_id) == (None, 1, None)
    assert row.retry_at is not None

    outage.down = False
    assert (await staff.post(url, {})).status_code == 303
    row = await services.get_payment(payment_id)
    assert len(stripe_portal.fake.transfers) == 1 and row.stripe_id == next(iter(stripe_portal.fake.transfers))
    retried = await AuditEvent.select(AuditEvent.actor_id, AuditEvent.detail).where(
        (AuditEvent.action == "payment.retried") & (AuditEvent.object_id == payment_id)).order_by(AuditEvent.id)
    assert [r["actor_id"] for r in retried] == [world["staff"], world["staff"]]
    assert "Stripe is down" in retried[1]["detail"]
    assert (await staff.post(url, {})).status_code == 409  # answered: nothing to send again


async def test_send_again_finds_a_transfer_whose_key_stripe_forgot(world, gateway, outage, stripe_portal):
    payment_id = await left_unanswered(world, gateway, stripe_portal)
    hold = stripe_portal.fake.hold_next_transfer()
    send = asyncio.create_task(services.retry_unanswered_transfers(gateway, now=T0))
    await asyncio.wait_for(hold.created.wait(), 10)
    send.cancel()  # the answer is lost
    with pytest.raises(asyncio.CancelledError):
        await send
    hold.release.set()
    stripe_portal.fake._saved.clear()  # more than 24 hours later: Stripe no longer knows the key

    row = await services.retry_transfer(payment_id, gateway, services.SYSTEM)
    assert list(stripe_portal.fake.transfers) == [hold.transfer_id]
    assert (row.stripe_id, row.status) == (hold.transfer_id, "paid")
    assert sends(stripe_portal, f"payment-{payment_id}-v1") == 1


async def test_send_again_with_stripe_still_down_raises_and_notes_it(world, gateway, outage, stripe_portal):
    payment_id = await left_unanswered(world, gateway, stripe_portal)
    outage.down = True
    with pytest.raises(StripeUnavailable):
        await services.retry_transfer(payment_id, gateway, services.SYSTEM)
    row = await services.get_payment(payment_id)
    assert (row.status, row.send_attempts) == ("released", 1) and "Stripe is down" in row.send_error
    assert stripe_portal.fake.transfers == {}
