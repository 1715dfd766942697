"""Finding 1: behind the documented reverse proxy, the client address (for the sign-in throttle and the audit
trail) is the real client's, and `X-Forwarded-For` is believed only from a listed proxy."""

from __future__ import annotations

import dataclasses

import pytest

from portal.core.tables import AuditEvent
from portal.web.proxy import client_address

PROXY = ("127.0.0.1/32", "10.0.0.0/8")


def test_proxy_header_from_an_untrusted_peer_is_ignored():
    assert client_address("198.51.100.4", ["203.0.113.9"], ()) == "198.51.100.4"
    assert client_address("198.51.100.4", ["203.0.113.9"], PROXY) == "198.51.100.4"


def test_proxy_client_is_the_nearest_untrusted_hop():
    # The client forged the left-most entry; the proxy appended the address it saw.
    assert client_address("127.0.0.1", ["1.2.3.4, 203.0.113.9"], PROXY) == "203.0.113.9"
    # Two proxies of ours in a row (a load balancer, then nginx): both are skipped.
    assert client_address("127.0.0.1", ["1.2.3.4, 203.0.113.9, 10.1.2.3"], PROXY) == "203.0.113.9"
    # Several headers count as one list, in order.
    assert client_address("127.0.0.1", ["1.2.3.4", "203.0.113.9"], PROXY) == "203.0.113.9"


def test_proxy_header_that_is_not_an_address_is_not_believed():
    assert client_address("127.0.0.1", ["203.0.113.9, not-an-ip"], PROXY) == "127.0.0.1"
    assert client_address("127.0.0.1", [""], PROXY) == "127.0.0.1"
    assert client_address("127.0.0.1", [], PROXY) == "127.0.0.1"


def test_proxy_header_with_ports_and_ipv6_gives_the_address():
    assert client_address("127.0.0.1", ["203.0.113.9:51234"], PROXY) == "203.0.113.9"
    assert client_address("127.0.0.1", ["[2001:db8::7]:443"], PROXY) == "2001:db8::7"
    assert client_address("::ffff:127.0.0.1", ["2001:db8::7"], PROXY) == "2001:db8::7"


@pytest.fixture
def behind_proxy(portal):
    """The portal behind a proxy on 127.0.0.1 (the test client's peer address)."""
    original = portal.state.settings
    portal.state.settings = dataclasses.replace(original, trusted_proxies=("127.0.0.1/32",))
    yield portal
    portal.state.settings = original


async def failed_sign_in_address(client, forwarded: str) -> str:
    await client.get("/login")
    response = await client.post("/login", {"email": "nobody@example.org", "password": "not the password"},
                                 headers={"X-Forwarded-For": forwarded})
    assert response.status_code == 422
    row = await AuditEvent.select(AuditEvent.ip_address).where(AuditEvent.action == "user.sign_in_failed").first()
    return row["ip_address"]


async def test_proxy_audit_trail_records_the_real_client_behind_a_trusted_proxy(behind_proxy, client):
    assert await failed_sign_in_address(client, "1.2.3.4, 203.0.113.9") == "203.0.113.9"


async def test_proxy_audit_trail_ignores_a_forged_header_without_a_trusted_proxy(client):
    assert await failed_sign_in_address(client, "203.0.113.9") == "127.0.0.1"


async def test_proxy_guesser_exhausting_its_budget_does_not_block_other_clients(behind_proxy, client, make_client):
    from tests.factories import PASSWORD
    from portal.accounts.services import create_user
    from portal.core.actor import Actor

    await create_user(Actor(user=None), "Owner", "owner@city.gov", PASSWORD)
    behind_proxy.state.settings = dataclasses.replace(behind_proxy.state.settings, login_failures_per_address_15min=3)
    await client.get("/login")
    statuses = []
    for n in range(4):
        response = await client.post("/login", {"email": f"guess{n}@city.gov", "password": "not the password"},
                                     headers={"X-Forwarded-For": "203.0.113.9"})
        statuses.append(response.status_code)
    assert statuses == [422, 422, 422, 429]
    owner = await make_client()
    await owner.get("/login")
    response = await owner.post("/login", {"email": "owner@city.gov", "password": PASSWORD},
                                headers={"X-Forwarded-For": "198.51.100.20"})
    assert response.status_code == 303


def test_proxy_setting_lists_addresses_and_networks_and_refuses_anything_else(tmp_path):
    from portal.settings import SettingsError, load_settings

    base = {"PORTAL_DATA_DIR": str(tmp_path)}
    assert load_settings(base).trusted_proxies == ()
    assert load_settings({**base, "TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8 ,::1"}).trusted_proxies == (
        "127.0.0.1/32", "10.0.0.0/8", "::1/128")
    with pytest.raises(SettingsError, match="TRUSTED_PROXIES"):
        load_settings({**base, "TRUSTED_PROXIES": "proxy.internal"})
