"""Accounts through HTTP: registration, sign-in, sessions, CSRF, password reset, rate limit."""

from __future__ import annotations

import re

from tests.support import body_of


async def register(client, email="ann@springfield.gov", password="correct horse battery"):
    await client.get("/register")
    return await client.post("/register", {"name": "Ann Lee", "email": email, "password": password,
                                           "password_confirm": password})


async def test_register_signs_in_and_redirects(client):
    response = await register(client)
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard"
    assert "portal_session" in response.headers["set-cookie"]


async def test_register_invalid_shows_every_error_422(client):
    await client.get("/register")
    response = await client.post("/register", {"name": "", "email": "not-an-email", "password": "short"})
    assert response.status_code == 422
    assert 'id="error-summary"' in response.text
    for field in ("name", "email", "password"):
        assert f'id="error-{field}"' in response.text


async def test_register_duplicate_email_is_not_a_500_and_does_not_sign_in(client, make_client):
    await register(client)
    other = await make_client()
    response = await register(other, password="another good phrase")
    assert response.status_code == 303
    assert "portal_session=" not in response.headers.get("set-cookie", "")


async def test_post_without_csrf_is_refused(client):
    await client.get("/register")
    response = await client.post("/register", {"name": "A", "email": "a@b.org", "password": "x" * 12}, csrf=False)
    assert response.status_code == 403
    assert "security token" in response.text
    assert "<html" in response.text


async def test_csrf_token_from_another_session_is_refused(client, make_client):
    await register(client)
    await client.refresh_csrf()
    stranger = await make_client()
    await stranger.get("/login")
    stranger.csrf = client.csrf  # a token that belongs to someone else's session
    assert stranger.csrf
    response = await stranger.post("/login", {"email": "ann@springfield.gov", "password": "correct horse battery"})
    assert response.status_code == 403


async def test_session_id_rotates_at_sign_in(client):
    await register(client)
    before = client.http.cookies.get("portal_session")
    await client.post("/logout")
    await client.login("ann@springfield.gov", "correct horse battery")
    after = client.http.cookies.get("portal_session")
    assert before and after and before != after


async def test_planted_session_id_is_not_kept(client, make_client):
    await register(client)
    await client.post("/logout")
    planted = client.http.cookies.get("portal_session") or "attacker-chosen-token"
    await client.get("/login")
    response = await client.post("/login", {"email": "ann@springfield.gov", "password": "correct horse battery"})
    assert f"portal_session={planted}" not in response.headers["set-cookie"]
    attacker = await make_client()
    attacker.http.cookies.set("portal_session", planted)
    assert (await attacker.get("/dashboard")).status_code == 303


async def test_wrong_password_is_422_and_rate_limited(client):
    await register(client)
    await client.post("/logout")
    for _ in range(5):
        response = await client.post("/login", {"email": "ann@springfield.gov", "password": "wrong password!"})
        assert response.status_code == 422
    response = await client.post("/login", {"email": "ann@springfield.gov", "password": "correct horse battery"})
    assert response.status_code == 429


async def test_login_next_never_leaves_the_site(client):
    await register(client)
    await client.post("/logout")
    response = await client.post("/login", {"email": "ann@springfield.gov", "password": "correct horse battery",
                                            "next": "//evil.example/steal"})
    assert response.headers["location"] == "/dashboard"


async def test_password_reset_by_emailed_link_once(client, mailbox):
    await register(client)
    await client.post("/logout")
    response = await client.post("/reset", {"email": "ann@springfield.gov"})
    assert response.status_code == 200
    message = await mailbox.wait_for("ann@springfield.gov", "reset")
    link = re.search(r"http://testserver(/reset/\S+)", body_of(message)).group(1)
    response = await client.post(link, {"password": "a brand new password", "password_confirm": "a brand new password"})
    assert response.status_code == 303
    await client.post("/logout")
    await client.login("ann@springfield.gov", "a brand new password")
    again = await client.post(link, {"password": "another new password", "password_confirm": "another new password"})
    assert again.status_code == 409


async def test_reset_for_unknown_email_answers_the_same_and_sends_nothing(client, mailbox):
    await client.get("/reset")
    response = await client.post("/reset", {"email": "nobody@nowhere.org"})
    assert response.status_code == 200
    assert 'data-testid="reset-sent"' in response.text
    assert mailbox.to("nobody@nowhere.org") == []


async def test_malformed_body_is_not_a_500(client):
    await client.get("/login")
    response = await client.http.post("/login", content=b"\xff\xfe%%%=&&=", headers={
        "content-type": "multipart/form-data; boundary=nope", "x-csrf-token": client.csrf})
    assert response.status_code in (400, 422)
    assert "Traceback" not in response.text


async def test_sign_in_and_out_are_audited(client):
    from portal.core.tables import AuditEvent

    await register(client)
    await client.post("/logout")
    await client.login("ann@springfield.gov", "correct horse battery")
    actions = [r["action"] for r in await AuditEvent.select(AuditEvent.action).order_by(AuditEvent.id)]
    assert actions == ["user.registered", "user.signed_out", "user.signed_in"]
    row = await AuditEvent.select().where(AuditEvent.action == "user.signed_in").first()
    assert row["ip_address"] == "127.0.0.1"


async def test_accounts_rows_make_records(world):
    """Each record of accounts/records.py is built from its table's row as Piccolo hands it back: a column added,
    renamed or dropped without the record following fails here, on both engines."""
    from portal.accounts import queries
    from portal.accounts.records import MembershipRecord, OrganisationRecord
    from portal.accounts.tables import Membership, Organisation

    city = OrganisationRecord.of(await Organisation.select().where(Organisation.id == world["city_a"]).first())
    assert (city.kind, city.name, city.state, city.population, city.email_domain) == (
        "city", "Springfield", "IL", 115_000, "springfield.gov")
    membership = MembershipRecord.of(await Membership.select().where(Membership.user == world["applicant"]).first())
    assert (membership.organisation, membership.role) == (world["city_a"], "owner")
    user = await queries.get_user(world["applicant"])
    assert user is not None
    assert (user.email, user.is_admin, user.is_active) == ("applicant@springfield.gov", False, True)
    assert await queries.user_by_email("applicant@springfield.gov") == user
