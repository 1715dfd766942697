"""A user's second factors, the pending second step of a sign-in, and failed second-step attempts."""

from piccolo.columns import BigInt, ForeignKey, Integer, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table

from portal.accounts.tables import User


class TotpFactor(Table, tablename="totp_factor"):
    """An authenticator app's shared secret; one per user (a unique index in migrations/). Unconfirmed until the
    user has typed a code from it."""

    id: Serial  # the primary key Piccolo adds, declared for the type checker

    user = ForeignKey(User, on_delete=OnDelete.cascade)
    secret = Varchar(length=64)  # base32
    confirmed_at = Timestamptz(null=True, default=None)
    last_used_step = BigInt(default=0)
    """The 30-second step of the last code accepted: a code is accepted once (RFC 6238, section 5.2)."""
    created_at = Timestamptz()


class RecoveryCode(Table, tablename="recovery_code"):
    """A one-use code for when the authenticator is lost. Only its SHA-256 is stored."""

    id: Serial  # the primary key Piccolo adds, declared for the type checker

    user = ForeignKey(User, on_delete=OnDelete.cascade, index=True)
    code_hash = Varchar(length=64)
    created_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)


class Passkey(Table, tablename="passkey"):
    """A WebAuthn credential: its id and public key (base64url), and the authenticator's signature counter."""

    id: Serial  # the primary key Piccolo adds, declared for the type checker

    user = ForeignKey(User, on_delete=OnDelete.cascade, index=True)
    credential_id = Varchar(length=1400, unique=True)
    public_key = Text()
    sign_count = BigInt(default=0)
    name = Varchar(length=100, default="")
    created_at = Timestamptz()
    last_used_at = Timestamptz(null=True, default=None)


class TwoFactorChallenge(Table, tablename="two_factor_challenge"):
    """A sign-in whose password was right and whose second step is pending (purpose `sign_in`; the browser holds
    the token in a cookie), or a passkey enrolment under way (`passkey_enrol`). Either may carry the WebAuthn
    challenge the browser must sign."""

    id: Serial  # the primary key Piccolo adds, declared for the type checker

    token_hash = Varchar(length=64, unique=True)
    user = ForeignKey(User, on_delete=OnDelete.cascade, index=True)
    purpose = Varchar(length=16)
    webauthn_challenge = Varchar(length=200, default="")
    created_at = Timestamptz()
    expires_at = Timestamptz()


class SecondFactorFailure(Table, tablename="second_factor_failure"):
    """A wrong code or passkey at the second step, counted per user to limit guessing."""

    id: Serial  # the primary key Piccolo adds, declared for the type checker

    user = ForeignKey(User, on_delete=OnDelete.cascade, index=True)
    at = Timestamptz(index=True)
