"""Passkeys in Chromium with a virtual WebAuthn authenticator (Chrome DevTools Protocol): a new user adds a passkey
on the account security page, signs out, and signs in again with the password and then the passkey.

A passkey cannot be bound to an IP address, so these pages are opened as http://localhost (the portal binds
passkeys to the address the browser used, outside production)."""

from __future__ import annotations

import secrets

from playwright.sync_api import expect

from e2e.pages import AccountSecurityPage, SignInPage, TwoFactorStepPage

PASSWORD = "e2e-passkey-password-2026"


def localhost(base_url: str) -> str:
    return base_url.replace("127.0.0.1", "localhost")


def test_passkey_enrolment_and_sign_in_with_a_virtual_authenticator(new_context, base_url, axe):
    local = localhost(base_url)  # absolute addresses below: the context's base URL is the 127.0.0.1 one
    context = new_context()
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True}})["authenticatorId"]
    email = f"e2e-passkey-{secrets.token_hex(4)}@example.org"
    page.goto(local + "/register")
    page.get_by_label("Full name").fill("Pat Passkey")
    page.get_by_label("Email address").fill(email)
    page.locator("#field-password").fill(PASSWORD)
    page.locator("#field-password_confirm").fill(PASSWORD)
    page.get_by_test_id("register").click()
    page.wait_for_url("**/dashboard")

    page.goto(local + "/account/security")
    security = AccountSecurityPage(page)
    axe(page)
    security.add_passkey("Virtual key")
    expect(security.passkeys).to_contain_text("Virtual key")
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    assert len(credentials) == 1

    page.get_by_test_id("sign-out").click()
    page.wait_for_url("**/login?signed_out=1")
    sign_in = SignInPage(page)
    sign_in.email.fill(email)
    sign_in.password.fill(PASSWORD)
    sign_in.submit_button.click()
    page.wait_for_url("**/login/two-factor**")
    step = TwoFactorStepPage(page)
    expect(step.passkey_button).to_be_visible()
    axe(page)
    dashboard = step.use_passkey()
    expect(dashboard.heading).to_have_text("Welcome, Pat Passkey")
