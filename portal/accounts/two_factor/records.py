"""A user's second factors and pending sign-ins as typed, immutable records (the pattern of
portal/accounts/records.py), built from the rows Piccolo hands back."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec


class TotpFactorRecord(msgspec.Struct, frozen=True):
    """A `totp_factor` row: an authenticator app's shared secret, confirmed or not."""

    id: int
    user: int
    secret: str  # base32
    confirmed_at: datetime | None
    last_used_step: int
    created_at: datetime

    @classmethod
    def of(cls, row: dict[str, Any]) -> TotpFactorRecord:
        """The record of a `totp_factor` row (every column, as `TotpFactor.select()` returns it)."""
        return cls(**row)


class PasskeyRecord(msgspec.Struct, frozen=True):
    """A `passkey` row: a WebAuthn credential's id and public key (base64url) and its signature counter."""

    id: int
    user: int
    credential_id: str
    public_key: str
    sign_count: int
    name: str
    created_at: datetime
    last_used_at: datetime | None

    @classmethod
    def of(cls, row: dict[str, Any]) -> PasskeyRecord:
        """The record of a `passkey` row (every column, as `Passkey.select()` returns it)."""
        return cls(**row)


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


class ChallengeRecord(msgspec.Struct, frozen=True):
    """A `two_factor_challenge` row: a sign-in whose second step is pending (purpose `sign_in`), or a passkey
    enrolment under way (`passkey_enrol`), with the WebAuthn challenge the browser must sign, if any."""

    id: int
    token_hash: str
    user: int
    purpose: str  # sign_in | passkey_enrol
    webauthn_challenge: str
    created_at: datetime
    expires_at: datetime

    @classmethod
    def of(cls, row: dict[str, Any]) -> ChallengeRecord:
        """The record of a `two_factor_challenge` row (every column, as `TwoFactorChallenge.select()` returns it)."""
        return cls(**row)
