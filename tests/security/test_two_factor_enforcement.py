"""Finding 5 (second half): staff and administrators, who control payouts, cannot use the portal until they
have a second factor; every other page sends them to enrol, and every other unsafe request is refused."""

from __future__ import annotations

import re

import pytest

from portal.accounts.two_factor import services
from tests.factories import PASSWORD, add_member, make_user

ENROL = "/account/security?required=1"


@pytest.fixture
async def bare_staff(portal, world, make_client):
    """A staff member of the world's network, and an administrator, neither with a second factor, signed in."""
    staff_id = await make_user("new.staff@network.org")
    await add_member(staff_id, world["network"], "staff", two_factor=False)
    await make_user("new.admin@portal.org", is_admin=True, two_factor=False)
    clients = {}
    for email in ("new.staff@network.org", "new.admin@portal.org"):
        clients[email] = await make_client()
        await clients[email].get("/login")
        response = await clients[email].post("/login", {"email": email, "password": PASSWORD})
        assert response.headers["location"] == "/dashboard"  # no factor yet: no second step
    return clients


def get_urls(portal, world) -> list[str]:
    """Every GET page of the app, with the world's ids for its parameters."""
    urls = []
    for route in portal.routes:
        if route.path.startswith(("/static", "/vendor", "/account/security", "/login", "/logout")):
            continue
        if "GET" not in route.methods:
            continue
        urls.append(re.sub(r"\{[^}]+\}", str(world["program"]), route.path))
    return urls


async def test_staff_and_admins_without_a_factor_are_sent_to_enrol_from_every_page(bare_staff, portal, world):
    urls = get_urls(portal, world)
    assert len(urls) > 50
    for email, client in bare_staff.items():
        outcomes = [(url, (await client.get(url)).headers.get("location")) for url in urls]
        assert [o for o in outcomes if o[1] != ENROL] == [], email


async def test_staff_without_a_factor_cannot_post_anywhere_else(bare_staff, portal, world):
    client = bare_staff["new.staff@network.org"]
    await client.get("/account/security")
    response = await client.post(f"/staff/programs/{world['program']}/invitations", {})
    assert (response.status_code, "two-factor" in response.text) == (403, True)
    htmx = await client.htmx("POST", f"/staff/programs/{world['program']}/invitations")
    assert (htmx.status_code, htmx.headers.get("hx-redirect")) == (403, ENROL)


async def test_staff_reach_the_portal_once_enrolled(bare_staff):
    client = bare_staff["new.staff@network.org"]
    security = await client.get(ENROL)
    assert (security.status_code, 'data-testid="two-factor-required"' in security.text) == (200, True)
    await client.post("/account/security/totp", {})
    page = await client.get("/account/security/totp")
    secret = re.search(r'data-testid="totp-secret"[^>]*>([A-Z2-7 ]+)<', page.text).group(1).replace(" ", "")
    code = services.totp_code_at(secret, services._current_step())
    assert (await client.post("/account/security/totp/confirm", {"code": code})).status_code == 200
    assert (await client.get("/staff")).status_code == 200


async def test_applicants_without_a_factor_are_not_sent_to_enrol(as_persona):
    applicant = await as_persona("applicant")
    assert (await applicant.get("/dashboard")).status_code == 200


async def test_the_requirement_can_be_switched_off(bare_staff, portal):
    import dataclasses

    original = portal.state.settings
    portal.state.settings = dataclasses.replace(original, two_factor_required_for_staff=False)
    try:
        response = await bare_staff["new.staff@network.org"].get("/staff")
    finally:
        portal.state.settings = original
    assert response.status_code == 200
