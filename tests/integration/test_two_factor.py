"""Two-factor sign-in through HTTP: enrolling an authenticator app and passkeys, recovery codes, and signing in
with each factor. The security properties (rate limit, one-use codes, enforcement for staff, CSRF) are proved in
tests/security/test_two_factor_*.py."""

from __future__ import annotations

import re

from portal.accounts.two_factor import services
from portal.accounts.two_factor.tables import RecoveryCode, TotpFactor
from portal.core.security import token_hash
from portal.core.tables import AuditEvent
from tests.factories import PASSWORD, PERSONAS
from tests.soft_authenticator import SoftAuthenticator

APPLICANT = PERSONAS["applicant"]
CODES_RE = re.compile(r"<li>([a-z0-9]{5}-[a-z0-9]{5})</li>")


def current_code(secret: str, offset: int = 0) -> str:
    return services.totp_code_at(secret, services._current_step() + offset)


async def enrol_totp(client) -> tuple[str, list[str]]:
    """Set up an authenticator app as the signed-in user would; returns its secret and the recovery codes shown."""
    assert (await client.post("/account/security/totp", {})).status_code == 303
    page = await client.get("/account/security/totp")
    secret = re.search(r'data-testid="totp-secret"[^>]*>([A-Z2-7 ]+)<', page.text).group(1).replace(" ", "")
    response = await client.post("/account/security/totp/confirm", {"code": current_code(secret)})
    assert response.status_code == 200
    return secret, CODES_RE.findall(response.text)


async def password_step(client, email: str = APPLICANT):
    await client.get("/login")
    return await client.post("/login", {"email": email, "password": PASSWORD, "next": "/programs"})


async def test_totp_enrolment_shows_a_qr_code_and_the_key_as_text(as_persona):
    applicant = await as_persona("applicant")
    await applicant.post("/account/security/totp", {})
    page = await applicant.get("/account/security/totp")
    assert (page.status_code, "<svg" in page.text, 'data-testid="totp-secret"' in page.text) == (200, True, True)


async def test_totp_enrolment_confirmed_by_a_code_gives_ten_recovery_codes_once(as_persona, mailbox):
    applicant = await as_persona("applicant")
    secret, codes = await enrol_totp(applicant)
    assert len(codes) == 10
    assert len(set(codes)) == 10
    stored = await RecoveryCode.select(RecoveryCode.code_hash).where(RecoveryCode.user.email == APPLICANT)
    assert {row["code_hash"] for row in stored} == {token_hash(code.replace("-", "")) for code in codes}  # hashed
    page = await applicant.get("/account/security")
    assert ("authenticator app" in page.text, codes[0] in page.text) == (True, False)
    await mailbox.wait_for(APPLICANT, "sign-in changed")


async def test_totp_enrolment_with_a_wrong_code_is_422_and_not_confirmed(as_persona):
    applicant = await as_persona("applicant")
    await applicant.post("/account/security/totp", {})
    response = await applicant.post("/account/security/totp/confirm", {"code": "000000x"})
    assert (response.status_code, 'id="error-code"' in response.text) == (422, True)
    assert await TotpFactor.count().where(TotpFactor.confirmed_at.is_not_null()
                                          & (TotpFactor.user.email == APPLICANT)) == 0


async def test_sign_in_with_totp_takes_a_second_step(as_persona, make_client):
    applicant = await as_persona("applicant")
    secret, _ = await enrol_totp(applicant)
    browser = await make_client()
    response = await password_step(browser)
    assert (response.status_code, response.headers["location"]) == (303, "/login/two-factor?next=/programs")
    assert (await browser.get("/dashboard")).status_code == 303  # not signed in yet
    step = await browser.get("/login/two-factor?next=/programs")
    assert 'name="code"' in step.text
    response = await browser.post("/login/two-factor", {"method": "totp", "code": current_code(secret, 1),
                                                        "next": "/programs"})
    assert (response.status_code, response.headers["location"]) == (303, "/programs")
    assert (await browser.get("/dashboard")).status_code == 200


async def test_sign_in_with_a_wrong_totp_code_is_422_with_the_error(as_persona, make_client):
    applicant = await as_persona("applicant")
    await enrol_totp(applicant)
    browser = await make_client()
    await password_step(browser)
    response = await browser.post("/login/two-factor", {"method": "totp", "code": "12345"})
    assert (response.status_code, 'id="error-code"' in response.text) == (422, True)
    assert (await browser.get("/dashboard")).status_code == 303


async def test_sign_in_with_a_recovery_code(as_persona, make_client, mailbox):
    applicant = await as_persona("applicant")
    _, codes = await enrol_totp(applicant)
    browser = await make_client()
    await password_step(browser)
    response = await browser.post("/login/two-factor", {"method": "recovery_code",
                                                        "recovery_code": codes[3].upper().replace("-", " ")})
    assert response.status_code == 303
    assert (await browser.get("/dashboard")).status_code == 200
    await mailbox.wait_for(APPLICANT, "sign-in changed")


async def test_regenerated_recovery_codes_replace_the_old_ones(as_persona, make_client):
    applicant = await as_persona("applicant")
    _, old = await enrol_totp(applicant)
    response = await applicant.post("/account/security/recovery-codes", {})
    new = CODES_RE.findall(response.text)
    assert (response.status_code, len(new), set(new) & set(old)) == (200, 10, set())
    browser = await make_client()
    await password_step(browser)
    refused = await browser.post("/login/two-factor", {"method": "recovery_code", "recovery_code": old[0]})
    accepted = await browser.post("/login/two-factor", {"method": "recovery_code", "recovery_code": new[0]})
    assert (refused.status_code, accepted.status_code) == (422, 303)


async def test_passkey_enrolment_and_sign_in_with_it(as_persona, make_client):
    applicant = await as_persona("applicant")
    authenticator = SoftAuthenticator()
    options = await applicant.htmx("POST", "/account/security/passkeys/options")
    response = await applicant.post("/account/security/passkeys", {"credential": authenticator.register(options.text),
                                                                   "name": "Work laptop"})
    assert response.status_code == 303
    assert "Work laptop" in (await applicant.get("/account/security")).text
    browser = await make_client()
    assert (await password_step(browser)).headers["location"].startswith("/login/two-factor")
    await browser.get("/login/two-factor")
    options = await browser.htmx("POST", "/login/two-factor/passkey-options")
    response = await browser.post("/login/two-factor", {"method": "passkey", "credential": authenticator.sign_in(options.text),
                                                        "next": "/programs"})
    assert (response.status_code, response.headers["location"]) == (303, "/programs")
    assert (await browser.get("/dashboard")).status_code == 200


async def test_passkey_from_another_authenticator_is_refused(as_persona, make_client):
    applicant = await as_persona("applicant")
    options = await applicant.htmx("POST", "/account/security/passkeys/options")
    await applicant.post("/account/security/passkeys", {"credential": SoftAuthenticator().register(options.text)})
    browser = await make_client()
    await password_step(browser)
    await browser.get("/login/two-factor")
    options = await browser.htmx("POST", "/login/two-factor/passkey-options")
    response = await browser.post("/login/two-factor", {"method": "passkey",
                                                        "credential": SoftAuthenticator().sign_in(options.text)})
    assert (response.status_code, (await browser.get("/dashboard")).status_code) == (422, 303)


async def test_removing_the_authenticator_app_is_audited_and_ends_the_second_step(as_persona, make_client, mailbox):
    applicant = await as_persona("applicant")
    await enrol_totp(applicant)
    assert (await applicant.post("/account/security/totp/remove", {})).status_code == 303
    actions = [row["action"] for row in await AuditEvent.select(AuditEvent.action).where(
        AuditEvent.action.like("two_factor.%")).order_by(AuditEvent.id)]
    assert actions == ["two_factor.totp_started", "two_factor.totp_added", "two_factor.totp_removed"]
    browser = await make_client()
    assert (await password_step(browser)).headers["location"] == "/programs"


async def test_staff_persona_signs_in_through_the_second_step(as_persona):
    staff = await as_persona("staff")
    passed = await AuditEvent.select(AuditEvent.detail).where(AuditEvent.action == "user.second_step_passed").output(
        load_json=True)
    assert ([row["detail"]["method"] for row in passed], (await staff.get("/staff")).status_code) == (["totp"], 200)
