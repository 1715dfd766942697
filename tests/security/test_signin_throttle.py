"""Finding 1 (and 7, in part): failed sign-ins slow down the guesser, never lock out the owner, hold across
processes (counted in the database, each try written before it is counted), and are audited with the real
client address."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

import pytest

from portal.accounts.services import create_user
from portal.accounts.tables import LoginAttempt
from portal.core.actor import Actor
from portal.core.tables import AuditEvent

OWNER = "owner@city.gov"
PASSWORD = "a-long-password-1"
GUESSER = {"X-Forwarded-For": "203.0.113.9"}
OWNER_HOME = {"X-Forwarded-For": "198.51.100.20"}


@pytest.fixture
async def owner(portal):
    """An account, and the portal behind a proxy on 127.0.0.1 (the test client's peer) that names the client."""
    original = portal.state.settings
    portal.state.settings = dataclasses.replace(original, trusted_proxies=("127.0.0.1/32",))
    user_id = await create_user(Actor(user=None), "Olive Owner", OWNER, PASSWORD)
    yield user_id
    portal.state.settings = original


async def sign_in(client, password: str, headers: dict[str, str], email: str = OWNER) -> int:
    if not client.csrf:
        await client.get("/login")
    response = await client.post("/login", {"email": email, "password": password}, headers=headers)
    return response.status_code


async def backdate_attempts(by: timedelta) -> None:
    for row in await LoginAttempt.select(LoginAttempt.id, LoginAttempt.at):
        await LoginAttempt.update({LoginAttempt.at: row["at"] - by}).where(LoginAttempt.id == row["id"])


async def test_signin_owner_gets_in_from_elsewhere_while_a_guesser_is_throttled(owner, client, make_client):
    guesses = [await sign_in(client, f"guess number {n}", GUESSER) for n in range(8)]
    assert guesses == [422] * 5 + [429] * 3
    assert await sign_in(client, PASSWORD, GUESSER) == 429  # the guesser's pair waits, right password or not
    elsewhere = await make_client()
    assert await sign_in(elsewhere, PASSWORD, OWNER_HOME) == 303


async def test_signin_wait_grows_with_each_failure_and_then_lets_the_pair_try_again(owner, client):
    for n in range(5):
        assert await sign_in(client, f"guess number {n}", GUESSER) == 422
    assert await sign_in(client, "guess number 5", GUESSER) == 429
    await backdate_attempts(timedelta(seconds=61))  # the first wait (a minute) is over
    assert await sign_in(client, "guess number 6", GUESSER) == 422
    assert await sign_in(client, "guess number 7", GUESSER) == 429
    await backdate_attempts(timedelta(seconds=61))  # one minute is no longer enough: the wait doubled
    assert await sign_in(client, "guess number 8", GUESSER) == 429
    await backdate_attempts(timedelta(seconds=61))
    assert await sign_in(client, PASSWORD, GUESSER) == 303


async def test_signin_success_forgets_the_pairs_failures(owner, client):
    for n in range(4):
        assert await sign_in(client, f"guess number {n}", OWNER_HOME) == 422
    assert await sign_in(client, PASSWORD, OWNER_HOME) == 303
    assert await LoginAttempt.count().where(LoginAttempt.ip_address == "198.51.100.20") == 0


async def test_signin_concurrent_guesses_get_no_more_tries_than_the_free_failures(owner, make_client):
    clients = [await make_client() for _ in range(12)]
    for c in clients:
        await c.get("/login")
    statuses = await asyncio.gather(*(sign_in(c, f"parallel guess {i}", GUESSER) for i, c in enumerate(clients)))
    assert set(statuses) <= {422, 429}
    assert statuses.count(422) <= 5


async def test_signin_failures_are_audited_with_the_client_address(owner, client):
    assert await sign_in(client, "not the password", GUESSER) == 422
    assert await sign_in(client, "not the password", GUESSER, email="nobody@city.gov") == 422
    rows = await AuditEvent.select(AuditEvent.object_id, AuditEvent.ip_address, AuditEvent.detail).where(
        AuditEvent.action == "user.sign_in_failed").order_by(AuditEvent.id).output(load_json=True)
    assert [(r["object_id"], r["ip_address"], r["detail"]) for r in rows] == [
        (owner, "203.0.113.9", {"email": OWNER}), (None, "203.0.113.9", {"email": "nobody@city.gov"})]
