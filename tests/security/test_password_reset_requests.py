"""Finding 4: password reset requests are limited per client address and per account, answer the same (and do
the same work before answering) for known and unknown emails, and a completed reset voids every other link."""

from __future__ import annotations

import re

import pytest

from portal.accounts.services import RESET_LINKS_PER_EMAIL, RESET_REQUESTS_PER_ADDRESS, create_user
from portal.accounts.tables import PasswordReset
from portal.core.actor import Actor
from portal.core.tables import OutboundEmail

OWNER = "olive@springfield.gov"


@pytest.fixture
async def owner(portal):
    return await create_user(Actor(user=None), "Olive Owner", OWNER, "correct horse battery")


async def ask(client, email: str):
    if not client.csrf:
        await client.get("/reset")
    return await client.post("/reset", {"email": email})


async def test_password_reset_completed_voids_every_other_link(owner, client):
    for _ in range(2):
        assert (await ask(client, OWNER)).status_code == 200
    first, second = await reset_links(OWNER)
    response = await client.post(second, {"password": "a brand new phrase", "password_confirm": "a brand new phrase"})
    assert response.status_code == 303
    assert (await client.get(first)).status_code == 404
    assert await PasswordReset.count().where(PasswordReset.used_at.is_null()) == 0


async def test_password_reset_requests_are_limited_per_client_address(client):
    statuses = [(await ask(client, f"someone{n}@springfield.gov")).status_code
                for n in range(RESET_REQUESTS_PER_ADDRESS + 1)]
    assert statuses == [200] * RESET_REQUESTS_PER_ADDRESS + [429]


async def test_password_reset_links_are_limited_per_account(owner, make_client):
    statuses = []
    for n in range(RESET_LINKS_PER_EMAIL + 2):  # each from a new browser
        c = await make_client()
        await c.get("/reset")
        statuses.append((await ask(c, OWNER)).status_code)
    assert statuses == [200] * (RESET_LINKS_PER_EMAIL + 2)
    assert len(await reset_links(OWNER)) == RESET_LINKS_PER_EMAIL
    assert await PasswordReset.count() == RESET_LINKS_PER_EMAIL


async def test_password_reset_answer_is_the_same_for_known_and_unknown_emails(owner, client, make_client):
    known = await ask(client, OWNER)
    stranger = await make_client()
    unknown = await ask(stranger, "nobody@springfield.gov")
    assert (known.status_code, dict_without_cookies(known)) == (unknown.status_code, dict_without_cookies(unknown))
    assert scrub(known.text) == scrub(unknown.text)


def dict_without_cookies(response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k not in {"set-cookie", "content-length"}}


def scrub(html: str) -> str:
    return re.sub(r"[0-9a-f]{64}", "TOKEN", html)  # each visitor's own form token


async def reset_links(to: str) -> list[str]:
    """The reset links queued for `to`, oldest first (queued before the response ends: it runs as the response's
    background task, which the test client waits for)."""
    rows = await OutboundEmail.select(OutboundEmail.body_text).where(
        (OutboundEmail.to_address == to) & OutboundEmail.subject.like("Reset%")).order_by(OutboundEmail.id)
    return [re.search(r"http://testserver(/reset/\S+)", r["body_text"]).group(1) for r in rows]
