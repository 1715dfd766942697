"""Two-factor state changes and the second step of sign-in. Each function says what it writes, audits and sends.

Factors: a TOTP secret (confirmed by a first code), passkeys (WebAuthn), and one-use recovery codes (only their
SHA-256 is kept; they are shown once, when made). Every change to a user's factors is audited and confirmed by
email to the account's address, so that a change made by someone else is noticed.

Sign-in: `begin_second_step` after the password was right; then one of `complete_with_totp`,
`complete_with_recovery_code`, `complete_with_passkey`, which return the user id for the session. Wrong answers
are counted per user: past SECOND_STEP_ATTEMPTS in SECOND_STEP_WINDOW every answer is refused until the window
has passed (the password is already known to whoever is guessing, so the count is the user's, not the address's).
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
import pyotp
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from portal.accounts import queries as accounts_queries
from portal.accounts.two_factor import queries
from portal.accounts.two_factor.records import ChallengeRecord, PasskeyRecord, TotpFactorRecord
from portal.accounts.two_factor.tables import (
    Passkey,
    RecoveryCode,
    SecondFactorFailure,
    TotpFactor,
    TwoFactorChallenge,
)
from portal.core import audit, clock
from portal.core.actor import Actor, Principal
from portal.core.errors import Conflict, Forbidden, Invalid, NotFound, TooManyRequests
from portal.core.mail import queue_email
from portal.core.security import new_token, token_hash
from portal.db import write_transaction

ISSUER = "City Grants Portal"
TOTP_STEP_SECONDS = 30
SECOND_STEP_VALID_FOR = timedelta(minutes=10)
PASSKEY_ENROLMENT_VALID_FOR = timedelta(minutes=10)
SECOND_STEP_WINDOW = timedelta(minutes=15)
SECOND_STEP_ATTEMPTS = 5
RECOVERY_CODE_COUNT = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud and typed from paper


# -- helpers -------------------------------------------------------------------------------------------------------

def _current_step() -> int:
    return int(clock.now().timestamp()) // TOTP_STEP_SECONDS


def totp_code_at(secret: str, step: int) -> str:
    """The six-digit code of `secret` for a 30-second step (also what a test's authenticator computes)."""
    return pyotp.TOTP(secret).generate_otp(step)


def _clean_code(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())[:40]


def _signed_in(actor: Actor) -> Principal:
    """The user changing their own factors (the controllers let only signed-in users reach these services)."""
    if actor.user is None:
        raise Forbidden("Sign in to change how you sign in.")
    return actor.user


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10))  # about 49 bits
    return f"{raw[:5]}-{raw[5:]}"


async def _notify(user_id: int, change: str) -> None:
    """Email the account's owner that its sign-in factors changed."""
    user = await accounts_queries.get_user(user_id)
    if user is not None:
        await queue_email(user.email, "two_factor_changed", {"name": user.name, "change": change})


async def _store_recovery_codes(user_id: int) -> list[str]:
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    await RecoveryCode.delete().where(RecoveryCode.user == user_id)
    now = clock.now()
    await RecoveryCode.insert(*[RecoveryCode(user=user_id, code_hash=token_hash(_clean_code(c)), created_at=now)
                                for c in codes])
    return codes


# -- TOTP enrolment ----------------------------------------------------------------------------------------------

def provisioning_uri(secret: str, email: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


async def start_totp_enrolment(actor: Actor) -> str:
    """A new, unconfirmed TOTP secret for the user (replacing an earlier unconfirmed one). Raises Conflict if the
    user already has a confirmed one. Writes: totp_factor; audit `two_factor.totp_started`."""
    user_id = _signed_in(actor).id
    secret = pyotp.random_base32()
    async with write_transaction():
        existing = await TotpFactor.select(TotpFactor.id, TotpFactor.confirmed_at).where(
            TotpFactor.user == user_id).first()
        if existing is not None and existing["confirmed_at"] is not None:
            raise Conflict("You already use an authenticator app. Remove it first to set up another one.")
        await TotpFactor.delete().where(TotpFactor.user == user_id)
        await TotpFactor.insert(TotpFactor(user=user_id, secret=secret, created_at=clock.now()))
        await audit.record(actor, "two_factor.totp_started", "user", user_id)
    return secret


async def confirm_totp(actor: Actor, code: str) -> list[str]:
    """Confirm the pending TOTP secret with a code from the app. Returns new recovery codes if the user had none
    left (shown once), else []. Raises Invalid for a wrong code, Conflict if there is nothing to confirm.
    Writes: totp_factor confirmed_at and last_used_step; recovery codes (if none); audit `two_factor.totp_added`;
    email `two_factor_changed`."""
    user_id = _signed_in(actor).id
    async with write_transaction():
        row = await TotpFactor.select().where((TotpFactor.user == user_id)
                                              & TotpFactor.confirmed_at.is_null()).first()
        if row is None:
            raise Conflict("There is no authenticator app waiting to be confirmed. Start again.")
        factor = TotpFactorRecord.of(row)
        step = _matching_step(factor.secret, code, factor.last_used_step)
        if step is None:
            raise Invalid({"code": "That code is not right. Type the six digits your app shows now."})
        await TotpFactor.update({TotpFactor.confirmed_at: clock.now(), TotpFactor.last_used_step: step}).where(
            TotpFactor.id == factor.id)
        codes = [] if await queries.count_recovery_codes(user_id) else await _store_recovery_codes(user_id)
        await audit.record(actor, "two_factor.totp_added", "user", user_id)
        await _notify(user_id, "An authenticator app was added")
    return codes


async def remove_totp(actor: Actor) -> None:
    """Stop using the authenticator app. Writes: deletes totp_factor; audit `two_factor.totp_removed`; email
    `two_factor_changed`. Raises NotFound if there is none."""
    user_id = _signed_in(actor).id
    async with write_transaction():
        removed = await TotpFactor.delete().where(TotpFactor.user == user_id).returning(TotpFactor.id)
        if not removed:
            raise NotFound()
        await audit.record(actor, "two_factor.totp_removed", "user", user_id)
        await _notify(user_id, "An authenticator app was removed")


def _matching_step(secret: str, code: str, last_used_step: int) -> int | None:
    """The step (now, or one either side for clock drift) whose code `code` is, if not used before."""
    typed = _clean_code(code)
    if len(typed) != 6 or not typed.isdigit():
        return None
    now = _current_step()
    for step in (now - 1, now, now + 1):
        if step > last_used_step and pyotp.utils.strings_equal(typed, totp_code_at(secret, step)):
            return step
    return None


# -- recovery codes ----------------------------------------------------------------------------------------------

async def regenerate_recovery_codes(actor: Actor) -> list[str]:
    """Replace all the user's recovery codes with new ones, returned once. Raises Conflict if the user has no
    other factor (codes alone are not a second factor). Writes: recovery_code rows; audit
    `two_factor.recovery_codes_created`; email `two_factor_changed`."""
    user_id = _signed_in(actor).id
    async with write_transaction():
        if not await queries.has_second_factor(user_id):
            raise Conflict("Set up an authenticator app or a passkey first.")
        codes = await _store_recovery_codes(user_id)
        await audit.record(actor, "two_factor.recovery_codes_created", "user", user_id)
        await _notify(user_id, "New recovery codes were made (the old ones no longer work)")
    return codes


# -- passkeys ----------------------------------------------------------------------------------------------------

async def passkey_registration_options(actor: Actor, rp_id: str, rp_name: str = ISSUER) -> str:
    """WebAuthn creation options (JSON) for a new passkey of the user; the challenge is kept for 10 minutes.
    Writes: two_factor_challenge (`passkey_enrol`, replacing an earlier one)."""
    user = _signed_in(actor)
    existing = await Passkey.select(Passkey.credential_id).where(Passkey.user == user.id)
    options = generate_registration_options(
        rp_id=rp_id, rp_name=rp_name, user_name=user.email, user_display_name=user.name,
        user_id=str(user.id).encode(),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=base64url_to_bytes(p["credential_id"])) for p in existing],
        authenticator_selection=AuthenticatorSelectionCriteria(resident_key=ResidentKeyRequirement.PREFERRED,
                                                               user_verification=UserVerificationRequirement.PREFERRED),
    )
    async with write_transaction():
        await TwoFactorChallenge.delete().where((TwoFactorChallenge.user == user.id)
                                                & (TwoFactorChallenge.purpose == "passkey_enrol"))
        await TwoFactorChallenge.insert(TwoFactorChallenge(
            token_hash=token_hash(new_token()), user=user.id, purpose="passkey_enrol",
            webauthn_challenge=bytes_to_base64url(options.challenge), created_at=clock.now(),
            expires_at=clock.now() + PASSKEY_ENROLMENT_VALID_FOR))
    return options_to_json(options)


async def add_passkey(actor: Actor, credential: str, name: str, rp_id: str, origin: str) -> int:
    """Verify the browser's answer to the latest creation options and keep the passkey. Raises Invalid if it
    does not verify or the options expired. Writes: passkey; deletes the challenge; audit
    `two_factor.passkey_added`; email `two_factor_changed`."""
    user_id = _signed_in(actor).id
    async with write_transaction():
        row = await TwoFactorChallenge.select().where(
            (TwoFactorChallenge.user == user_id) & (TwoFactorChallenge.purpose == "passkey_enrol")
            & (TwoFactorChallenge.expires_at > clock.now())).first()
        if row is None:
            raise Invalid({"passkey": "The passkey request expired. Try again."})
        challenge = ChallengeRecord.of(row)
        await TwoFactorChallenge.delete().where(TwoFactorChallenge.id == challenge.id)
        try:
            verified = verify_registration_response(
                credential=_parse_json(credential), expected_challenge=base64url_to_bytes(challenge.webauthn_challenge),
                expected_rp_id=rp_id, expected_origin=origin)
        except (InvalidRegistrationResponse, ValueError, KeyError, TypeError) as exc:
            raise Invalid({"passkey": "The passkey could not be checked. Try again."}) from exc
        rows = await Passkey.insert(Passkey(
            user=user_id, credential_id=bytes_to_base64url(verified.credential_id),
            public_key=bytes_to_base64url(verified.credential_public_key), sign_count=verified.sign_count,
            name=(name.strip() or "Passkey")[:100], created_at=clock.now())).returning(Passkey.id)
        passkey_id: int = rows[0]["id"]
        await audit.record(actor, "two_factor.passkey_added", "passkey", passkey_id, user_id=user_id)
        await _notify(user_id, "A passkey was added")
    return passkey_id


async def remove_passkey(actor: Actor, passkey_id: int) -> None:
    """Remove one of the user's passkeys (NotFound for anyone else's). Writes: deletes passkey; audit
    `two_factor.passkey_removed`; email `two_factor_changed`."""
    user_id = _signed_in(actor).id
    async with write_transaction():
        removed = await Passkey.delete().where((Passkey.id == passkey_id) & (Passkey.user == user_id)).returning(
            Passkey.id)
        if not removed:
            raise NotFound()
        await audit.record(actor, "two_factor.passkey_removed", "passkey", passkey_id, user_id=user_id)
        await _notify(user_id, "A passkey was removed")


def _parse_json(text: str) -> dict[str, object]:
    value = json.loads(text[:20_000])
    if not isinstance(value, dict):
        raise ValueError("not a credential")
    return value


# -- the second step of sign-in --------------------------------------------------------------------------------

async def begin_second_step(actor: Actor, user_id: int) -> str:
    """After a right password: a pending sign-in for `user_id`, valid for 10 minutes; returns the token the
    browser keeps. Writes: two_factor_challenge (`sign_in`); audit `user.second_step_started`."""
    token = new_token()
    async with write_transaction():
        await TwoFactorChallenge.delete().where(TwoFactorChallenge.expires_at < clock.now())
        await TwoFactorChallenge.insert(TwoFactorChallenge(
            token_hash=token_hash(token), user=user_id, purpose="sign_in", created_at=clock.now(),
            expires_at=clock.now() + SECOND_STEP_VALID_FOR))
        await audit.record(actor, "user.second_step_started", "user", user_id)
    return token


async def pending_sign_in(token: str) -> ChallengeRecord | None:
    """The live pending sign-in for a token, or None."""
    if not token or len(token) > 200:
        return None
    row = await TwoFactorChallenge.select().where(
        (TwoFactorChallenge.token_hash == token_hash(token)) & (TwoFactorChallenge.purpose == "sign_in")
        & (TwoFactorChallenge.expires_at > clock.now())).first()
    return ChallengeRecord.of(row) if row else None


async def passkey_sign_in_options(token: str, rp_id: str) -> str:
    """WebAuthn request options (JSON) for the pending sign-in's passkeys. Raises NotFound if the sign-in is not
    pending or the user has no passkey. Writes: the challenge on the pending sign-in."""
    pending = await pending_sign_in(token)
    if pending is None:
        raise NotFound()
    keys = await Passkey.select(Passkey.credential_id).where(Passkey.user == pending.user)
    if not keys:
        raise NotFound()
    options = generate_authentication_options(
        rp_id=rp_id, allow_credentials=[PublicKeyCredentialDescriptor(id=base64url_to_bytes(k["credential_id"]))
                                        for k in keys],
        user_verification=UserVerificationRequirement.PREFERRED)
    await TwoFactorChallenge.update({TwoFactorChallenge.webauthn_challenge: bytes_to_base64url(options.challenge)}).where(
        TwoFactorChallenge.id == pending.id)
    return options_to_json(options)


async def _check_budget(user_id: int) -> None:
    since = clock.now() - SECOND_STEP_WINDOW
    failures = await SecondFactorFailure.count().where((SecondFactorFailure.user == user_id)
                                                       & (SecondFactorFailure.at > since))
    if failures >= SECOND_STEP_ATTEMPTS:
        raise TooManyRequests("Too many wrong codes. Wait 15 minutes and sign in again.")


async def _record_failure(actor: Actor, user_id: int, method: str) -> None:
    # In a transaction of its own: the failure must be counted even though the caller then raises.
    async with write_transaction():
        await SecondFactorFailure.insert(SecondFactorFailure(user=user_id, at=clock.now()))
        await audit.record(actor, "user.second_step_failed", "user", user_id, method=method)


async def _pass(actor: Actor, pending: ChallengeRecord, method: str) -> int:
    """Inside the caller's transaction: end the pending sign-in (once), clear the failures, audit."""
    claimed = await TwoFactorChallenge.delete().where(TwoFactorChallenge.id == pending.id).returning(
        TwoFactorChallenge.id)
    if not claimed:
        raise Conflict("This sign-in was already completed or has expired. Sign in again.")
    await SecondFactorFailure.delete().where(SecondFactorFailure.user == pending.user)
    await audit.record(actor, "user.second_step_passed", "user", pending.user, method=method)
    return pending.user


async def _pending_or_expired(token: str) -> ChallengeRecord:
    pending = await pending_sign_in(token)
    if pending is None:
        raise Conflict("This sign-in has expired. Sign in again with your password.")
    await _check_budget(pending.user)
    return pending


async def complete_with_totp(actor: Actor, token: str, code: str) -> int:
    """The user id if `code` is the user's current authenticator code, not used before. Raises Invalid (wrong),
    TooManyRequests (past the budget), Conflict (no pending sign-in). Writes: totp_factor last_used_step; ends
    the pending sign-in; audit `user.second_step_passed`, or a failure row and `user.second_step_failed`."""
    pending = await _pending_or_expired(token)
    row = await TotpFactor.select().where((TotpFactor.user == pending.user)
                                          & TotpFactor.confirmed_at.is_not_null()).first()
    factor = TotpFactorRecord.of(row) if row else None
    step = _matching_step(factor.secret, code, factor.last_used_step) if factor else None
    if factor is not None and step is not None:
        async with write_transaction():
            # Conditional on the step: two requests with the same code cannot both pass.
            moved = await TotpFactor.update({TotpFactor.last_used_step: step}).where(
                (TotpFactor.id == factor.id) & (TotpFactor.last_used_step < step)).returning(TotpFactor.id)
            if moved:
                return await _pass(actor, pending, "totp")
    await _record_failure(actor, pending.user, "totp")
    raise Invalid({"code": "That code is not right, or was already used. Type the six digits your app shows now."})


async def complete_with_recovery_code(actor: Actor, token: str, code: str) -> int:
    """The user id if `code` is one of the user's unused recovery codes, which is then used up. Raises as
    complete_with_totp. Writes: recovery_code used_at; ends the pending sign-in; audit
    `user.second_step_passed` (method recovery_code) and, so the owner knows, email `two_factor_changed`."""
    pending = await _pending_or_expired(token)
    digest = token_hash(_clean_code(code))
    async with write_transaction():
        used = await RecoveryCode.update({RecoveryCode.used_at: clock.now()}).where(
            (RecoveryCode.user == pending.user) & (RecoveryCode.code_hash == digest)
            & RecoveryCode.used_at.is_null()).returning(RecoveryCode.id)
        if used:
            user_id = await _pass(actor, pending, "recovery_code")
            left = await queries.count_recovery_codes(user_id)
            await _notify(user_id, f"A recovery code was used to sign in ({left} left)")
            return user_id
    await _record_failure(actor, pending.user, "recovery_code")
    raise Invalid({"recovery_code": "That recovery code is not right, or was already used."})


async def complete_with_passkey(actor: Actor, token: str, credential: str, rp_id: str, origin: str) -> int:
    """The user id if `credential` is a valid signature, by one of the user's passkeys, of the challenge given by
    passkey_sign_in_options. Raises as complete_with_totp. Writes: passkey sign_count and last_used_at; ends the
    pending sign-in; audit `user.second_step_passed` (method passkey)."""
    pending = await _pending_or_expired(token)
    key: PasskeyRecord | None = None
    verified = None
    try:
        parsed = _parse_json(credential)
        row = await Passkey.select().where((Passkey.user == pending.user)
                                           & (Passkey.credential_id == str(parsed.get("id", ""))[:1400])).first()
        if row is None or not pending.webauthn_challenge:
            raise ValueError("unknown passkey")
        key = PasskeyRecord.of(row)
        verified = verify_authentication_response(
            credential=parsed, expected_challenge=base64url_to_bytes(pending.webauthn_challenge),
            expected_rp_id=rp_id, expected_origin=origin,
            credential_public_key=base64url_to_bytes(key.public_key),
            credential_current_sign_count=key.sign_count)
    except (InvalidAuthenticationResponse, ValueError, KeyError, TypeError):
        verified = None
    if key is not None and verified is not None:
        async with write_transaction():
            await Passkey.update({Passkey.sign_count: verified.new_sign_count, Passkey.last_used_at: clock.now()}).where(
                Passkey.id == key.id)
            return await _pass(actor, pending, "passkey")
    await _record_failure(actor, pending.user, "passkey")
    raise Invalid({"passkey": "That passkey could not be checked. Try again, or use a code."})
