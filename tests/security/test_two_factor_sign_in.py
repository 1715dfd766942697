"""Finding 5 (second half): a password alone does not open an account that has a second factor, and the second
step cannot be guessed, replayed or skipped."""

from __future__ import annotations

from portal.accounts.two_factor import services
from portal.accounts.two_factor.tables import SecondFactorFailure
from portal.core.tables import AuditEvent
from tests.factories import PASSWORD, PERSONAS, STAFF_TOTP_SECRET
from tests.security.test_password_reset_requests import reset_links
from tests.support import fresh_recovery_code

STAFF = PERSONAS["staff"]


def code(offset: int = 0) -> str:
    return services.totp_code_at(STAFF_TOTP_SECRET, services._current_step() + offset)


async def password_step(client, email: str = STAFF):
    await client.get("/login")
    response = await client.post("/login", {"email": email, "password": PASSWORD})
    assert response.headers["location"].startswith("/login/two-factor")
    return response


async def test_password_alone_does_not_sign_in_a_user_with_a_factor(client, world):
    await password_step(client)
    assert "portal_session" not in client.http.cookies
    for url in ("/dashboard", "/staff"):
        response = await client.get(url)
        assert (response.status_code, response.headers["location"].startswith("/login")) == (303, True)


async def test_second_step_without_a_pending_sign_in_is_refused(client, world):
    await client.get("/login")
    response = await client.post("/login/two-factor", {"method": "totp", "code": code()})
    assert (response.status_code, "portal_session" in client.http.cookies) == (409, False)


async def test_session_id_rotates_when_the_second_step_passes(client, world):
    await client.get("/")
    planted = client.http.cookies.get("portal_session")
    await password_step(client)
    await client.post("/login/two-factor", {"method": "totp", "code": code()})
    assert client.http.cookies.get("portal_session") not in (None, planted)


async def test_a_totp_code_is_accepted_only_once(make_client, world):
    first, second = await make_client(), await make_client()
    await password_step(first)
    await password_step(second)
    same = code()
    assert (await first.post("/login/two-factor", {"method": "totp", "code": same})).status_code == 303
    assert (await second.post("/login/two-factor", {"method": "totp", "code": same})).status_code == 422


async def test_a_recovery_code_is_accepted_only_once(make_client, world):
    recovery = await fresh_recovery_code(STAFF)
    first, second = await make_client(), await make_client()
    await password_step(first)
    await password_step(second)
    form = {"method": "recovery_code", "recovery_code": recovery}
    assert (await first.post("/login/two-factor", form)).status_code == 303
    assert (await second.post("/login/two-factor", form)).status_code == 422


async def test_second_step_guessing_is_stopped_after_five_wrong_codes(client, world):
    await password_step(client)
    statuses = [(await client.post("/login/two-factor", {"method": "totp", "code": "000000"})).status_code
                for _ in range(services.SECOND_STEP_ATTEMPTS)]
    # The right code no longer helps within the window: whoever guesses cannot keep trying.
    blocked = await client.post("/login/two-factor", {"method": "totp", "code": code()})
    assert statuses + [blocked.status_code] == [422] * services.SECOND_STEP_ATTEMPTS + [429]
    assert await SecondFactorFailure.count() == services.SECOND_STEP_ATTEMPTS
    assert await AuditEvent.count().where(AuditEvent.action == "user.second_step_failed") == services.SECOND_STEP_ATTEMPTS


async def test_second_step_needs_a_csrf_token(client, world):
    await password_step(client)
    response = await client.post("/login/two-factor", {"method": "totp", "code": code()}, csrf=False)
    assert (response.status_code, "portal_session" in client.http.cookies) == (403, False)


async def test_a_pending_sign_in_expires(client, world):
    from datetime import timedelta

    from portal.accounts.two_factor.tables import TwoFactorChallenge
    from portal.core import clock

    await password_step(client)
    await TwoFactorChallenge.update({TwoFactorChallenge.expires_at: clock.now() - timedelta(seconds=1)}).where(
        TwoFactorChallenge.purpose == "sign_in")
    response = await client.post("/login/two-factor", {"method": "totp", "code": code()})
    assert (response.status_code, "portal_session" in client.http.cookies) == (409, False)


async def test_another_users_passkey_cannot_be_removed(as_persona, world):
    from portal.accounts.two_factor.tables import Passkey
    from portal.core import clock

    rows = await Passkey.insert(Passkey(user=world["staff"], credential_id="abc", public_key="def",
                                        created_at=clock.now())).returning(Passkey.id)
    applicant = await as_persona("applicant")
    response = await applicant.post(f"/account/security/passkeys/{rows[0]['id']}/remove", {})
    assert (response.status_code, await Passkey.count()) == (404, 1)


async def test_factor_changes_need_a_csrf_token(as_persona, world):
    from portal.accounts.two_factor.tables import TotpFactor

    staff = await as_persona("staff")
    for url in ("/account/security/totp/remove", "/account/security/recovery-codes", "/account/security/totp",
                "/account/security/passkeys/options"):
        response = await staff.post(url, {}, csrf=False)
        assert response.status_code == 403, url
    assert await TotpFactor.count().where(TotpFactor.confirmed_at.is_not_null() & (TotpFactor.user == world["staff"])) == 1


async def test_a_password_reset_does_not_skip_the_second_step(client, world):
    await client.get("/reset")
    assert (await client.post("/reset", {"email": STAFF})).status_code == 200
    [link] = await reset_links(STAFF)
    new = "quiet violet harbour lanterns"
    response = await client.post(link, {"password": new, "password_confirm": new})
    assert response.status_code == 303, response.text[:3000]
    assert response.headers["location"].startswith("/login/two-factor")
    assert "portal_session" not in client.http.cookies
    response = await client.get("/staff")
    assert (response.status_code, response.headers["location"].startswith("/login")) == (303, True)
