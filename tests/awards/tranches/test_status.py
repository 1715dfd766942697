"""A tranche's stored status follows its payment in the transaction that moves the payment, however it moves:
Stripe's signed webhooks posted to /webhooks/stripe (paid, reversed), a refused transfer (failed), replays, and
a crash inside the hook (portal/payments/hooks.py), which rolls back the payment's change and the event's row.

Every assertion reads the `tranche` row itself: the pages once worked around a stale row by reading the payment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import httpx
import pytest

from portal.awards.tranches import services as tranches
from portal.awards.tranches.tables import Tranche
from portal.core.audit import list_for
from portal.payments.ledger import queries as ledger
from portal.payments import services as payments
from portal.payments.gateway import gateway_for
from portal.payments.tables import StripeEvent
from tests.factories.awards import make_award
from tests.awards.tranches.test_tranches import ACCEPT, onboarded
from tests.stripe_events import deliver_event
from tests.stripe_servers import STRIPE_TEST_KEY
from tests.support import Client

AMOUNT = 500_000


@pytest.fixture
def gateway(stripe_portal, portal):
    return gateway_for(portal.state.settings.stripe)


@dataclass
class Sent:
    award: int
    tranche: int
    payment: int
    transfer: str
    staff: Client


async def stored(tranche_id: int) -> dict:
    return await Tranche.select().where(Tranche.id == tranche_id).first()


async def status_changes(payment_id: int) -> list[str]:
    return [e["action"] for e in await list_for("payment", payment_id)
            if e["action"] in ("payment.paid", "payment.reversed", "payment.failed")]


def events_of(servers, event_type: str) -> list[dict]:
    return [e for e in servers.fake.events if e["type"] == event_type]


@pytest.fixture
async def sent(world, as_persona, gateway, stripe_portal) -> Sent:
    """An accepted award whose one tranche was released on acceptance and sent to Stripe: one transfer, the
    payment `released` with the transfer's id (Stripe's webhook has not arrived yet), the tranche `released`."""
    await onboarded(world, gateway, stripe_portal)
    award = await make_award(world["application_a"], world["staff"], amount_cents=AMOUNT)
    staff = await as_persona("staff")
    assert (await staff.post(f"/awards/{award}/tranches", {"amount_1": "5000", "trigger_1": "on_acceptance"})
            ).status_code == 303
    applicant = await as_persona("applicant")
    assert (await applicant.post(f"/awards/{award}/acceptance", ACCEPT)).status_code == 303
    [row] = await tranches.list_tranches(award)
    payment = await payments.get_payment(row["payment"])
    assert (row["status"], payment.status, len(stripe_portal.fake.transfers)) == ("released", "released", 1)
    return Sent(award, row["id"], row["payment"], payment.stripe_id, staff)


async def reverse(servers, transfer_id: str, amount: int | None = None) -> dict:
    """Reverse the transfer on the Connect fake (all of it without `amount`); its transfer.reversed event."""
    async with httpx.AsyncClient(base_url=servers.url, headers={"Authorization": f"Bearer {STRIPE_TEST_KEY}"}) as api:
        data = {"amount": str(amount)} if amount else {}
        assert (await api.post(f"/v1/transfers/{transfer_id}/reversals", data=data)).status_code == 200
    return events_of(servers, "transfer.reversed")[-1]


async def test_transfer_webhook_leaves_the_tranche_paid(sent, client, stripe_portal):
    [created] = events_of(stripe_portal, "transfer.created")
    response = await deliver_event(client, created)
    assert (response.status_code, response.json()["outcome"]) == (200, "applied")
    assert (await stored(sent.tranche))["status"] == "paid"
    assert (await payments.get_payment(sent.payment)).status == "paid"
    page = (await sent.staff.get(f"/awards/{sent.award}")).text
    assert 'data-testid="tranche-status">Paid</span> (Stripe)' in page
    assert (await ledger.award_ledger(sent.award))["paid"] == AMOUNT


@pytest.mark.parametrize("order", ["created first", "reversal first"])
async def test_full_reversal_webhook_leaves_the_tranche_reversed(sent, client, stripe_portal, order):
    partial = await reverse(stripe_portal, sent.transfer, 200_000)
    full = await reverse(stripe_portal, sent.transfer)
    assert (full["data"]["object"]["amount_reversed"], full["data"]["object"]["reversed"]) == (AMOUNT, True)
    [created] = events_of(stripe_portal, "transfer.created")
    if order == "created first":
        assert (await deliver_event(client, created)).json()["outcome"] == "applied"
        assert (await deliver_event(client, partial)).json()["outcome"] == "applied"
        assert (await stored(sent.tranche))["status"] == "paid"  # a partial reversal keeps it paid
    assert (await deliver_event(client, full)).json()["outcome"] == "applied"
    assert (await stored(sent.tranche))["status"] == "reversed"
    for late in (created, partial):  # older snapshots arriving after it (or again) change nothing
        outcome = (await deliver_event(client, late)).json()["outcome"]
        assert outcome == ("replay" if order == "created first" else "stale")
    assert (await stored(sent.tranche))["status"] == "reversed"
    page = (await sent.staff.get(f"/awards/{sent.award}")).text
    assert 'data-testid="tranche-status">Reversed</span>' in page and 'data-testid="tranche-reversed"' in page
    assert 'action="/awards/{}/tranches/{}/send"'.format(sent.award, sent.tranche) not in page
    figures = await ledger.award_ledger(sent.award)
    assert (figures["paid"], figures["failed"]) == (0, AMOUNT)  # the ledger counts a reversal as failed


async def test_refused_transfer_leaves_the_tranche_failed_and_a_retry_released(world, as_persona, gateway,
                                                                              stripe_portal, client):
    """Released with no gateway (the payment waits, scheduled), then disbursed by payments alone: Stripe
    refuses it (failed), the retry under a new key is released, and its transfer's webhook pays it."""
    await onboarded(world, gateway, stripe_portal)
    award = await make_award(world["application_a"], world["staff"], amount_cents=AMOUNT)
    staff = await as_persona("staff")
    await staff.post(f"/awards/{award}/tranches", {"amount_1": "5000", "trigger_1": "on_date",
                                                   "due_date_1": "2027-03-01"})
    await (await as_persona("applicant")).post(f"/awards/{award}/acceptance", ACCEPT)
    assert await tranches.release_due(date(2027, 3, 1), None) == 1
    [row] = await tranches.list_tranches(award)
    assert (row["status"], row["payment_status"]) == ("released", "scheduled")
    stripe_portal.fake.fail_next_transfer("balance_insufficient")
    assert (await payments.disburse(row["payment"], gateway)).status == "failed"
    assert (await stored(row["id"]))["status"] == "failed"
    page = (await staff.get(f"/awards/{award}")).text
    assert 'data-testid="tranche-status">Failed</span>' in page and f"/tranches/{row['id']}/send" in page
    retried = await payments.disburse(row["payment"], gateway)
    assert (retried.status, retried.idempotency_key) == ("released", f"tranche-{row['id']}-v2")
    assert (await stored(row["id"]))["status"] == "released"
    [created] = events_of(stripe_portal, "transfer.created")
    assert (await deliver_event(client, created)).json()["outcome"] == "applied"
    assert (await stored(row["id"]))["status"] == "paid"


@pytest.mark.parametrize("event_type", ["transfer.created", "transfer.reversed"])
async def test_an_event_replayed_three_times_changes_the_tranche_once(sent, client, stripe_portal, event_type):
    if event_type == "transfer.reversed":
        await reverse(stripe_portal, sent.transfer)
    [event] = events_of(stripe_portal, event_type)
    want = {"transfer.created": ("paid", ["payment.paid"]),
            "transfer.reversed": ("reversed", ["payment.reversed"])}[event_type]
    outcomes, rows = [], []
    for _ in range(3):
        outcomes.append((await deliver_event(client, event)).json()["outcome"])
        rows.append(await stored(sent.tranche))
    assert outcomes == ["applied", "replay", "replay"]
    assert rows[0]["status"] == want[0] and rows[1] == rows[0] and rows[2] == rows[0]
    assert await status_changes(sent.payment) == want[1]
    assert await StripeEvent.count() == 1


async def test_a_crash_in_the_hook_rolls_back_the_payment_and_the_event(sent, client, stripe_portal):
    from portal.payments import hooks

    seen: list[tuple[hooks.StatusMoved, str]] = []

    async def crash(moved: hooks.StatusMoved) -> None:
        # Registered after the tranche's own listener: the tranche row says `paid` inside the transaction.
        seen.append((moved, (await stored(sent.tranche))["status"]))
        raise RuntimeError("listener crashed")

    [created] = events_of(stripe_portal, "transfer.created")
    hooks.on_status_moved(crash)
    try:
        response = await deliver_event(client, created)
    finally:
        hooks.remove_listener(crash)
    assert response.status_code == 500
    assert [(m.payment_id, m.old, m.new, m.tranche_id, inside) for m, inside in seen] == [
        (sent.payment, "released", "paid", sent.tranche, "paid")]
    assert (await stored(sent.tranche))["status"] == "released"
    payment = await payments.get_payment(sent.payment)
    assert (payment.status, payment.paid_at) == ("released", None)
    assert await StripeEvent.count() == 0 and await status_changes(sent.payment) == []
    # Stripe delivers it again: now it applies, once.
    assert (await deliver_event(client, created)).json()["outcome"] == "applied"
    assert (await stored(sent.tranche))["status"] == "paid"
    assert await StripeEvent.count() == 1


async def test_a_manual_payment_pays_the_tranche_in_its_transaction(world, as_persona, stripe_portal):
    """Without a connected account the payment waits (scheduled); staff record a cheque: the tranche is paid
    through the same hook, with no separate write from the tranches module."""
    award = await make_award(world["application_a"], world["staff"], amount_cents=AMOUNT)
    staff = await as_persona("staff")
    await staff.post(f"/awards/{award}/tranches", {"amount_1": "5000", "trigger_1": "on_acceptance"})
    await (await as_persona("applicant")).post(f"/awards/{award}/acceptance", ACCEPT)
    [row] = await tranches.list_tranches(award)
    await payments.record_manual_payment(row["payment"], "cheque", "CHK-7", payments.SYSTEM)
    assert (await stored(row["id"]))["status"] == "paid"
