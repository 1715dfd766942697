"""A user's second factors and pending sign-ins as typed, immutable records (the pattern of
portal/accounts/records.py), built from the rows Piccolo hands back."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from portal.core.records import Record


class TotpFactorRecord(Record, frozen=True):
    """A `totp_factor` row: an authenticator app's shared secret, confirmed or not."""

    id: int
    user: int
    secret: str  # base32
    confirmed_at: datetime | None
    last_used_step: int
    created_at: datetime


class PasskeyRecord(Record, frozen=True):
    """A `passkey` row: a WebAuthn credential's id and public key (base64url) and its signature counter."""

    id: int
    user: int
    credential_id: str
    public_key: str
    sign_count: int
    name: str
    created_at: datetime
    last_used_at: datetime | None


class PasskeySummary(msgspec.Struct, frozen=True):
    """A passkey as the account security page lists it (no key material)."""

    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None


class Factors(msgspec.Struct, frozen=True):
    """The account security page's summary of a user's factors."""

    totp: Literal["none", "pending", "confirmed"]
    totp_since: datetime | None  # when the authenticator app was confirmed
    passkeys: list[PasskeySummary]
    recovery_codes: int  # unused ones


class ChallengeRecord(Record, frozen=True):
    """A `two_factor_challenge` row: a sign-in whose second step is pending (purpose `sign_in`), or a passkey
    enrolment under way (`passkey_enrol`), with the WebAuthn challenge the browser must sign, if any."""

    id: int
    token_hash: str
    user: int
    purpose: str  # sign_in | passkey_enrol
    webauthn_challenge: str
    created_at: datetime
    expires_at: datetime

