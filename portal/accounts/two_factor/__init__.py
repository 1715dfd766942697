"""Two-factor sign-in: TOTP (with one-use recovery codes) and passkeys (WebAuthn).

After the password is checked, a user with a factor passes a second step before the session is authenticated
(services.begin_second_step and the complete_with_* functions). Staff and administrators without a factor are
sent to enrol before they can use any other page (portal/web/two_factor.py), unless
`two_factor_required_for_staff` is off.
"""
