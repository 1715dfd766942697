"""What the account security page and the sign-in steps need to know about a user's factors."""

from __future__ import annotations

from portal.accounts.two_factor.records import Factors, PasskeySummary
from portal.accounts.two_factor.tables import Passkey, RecoveryCode, TotpFactor


async def has_second_factor(user_id: int) -> bool:
    """A confirmed authenticator app or a passkey (recovery codes alone do not count)."""
    if await TotpFactor.exists().where((TotpFactor.user == user_id) & TotpFactor.confirmed_at.is_not_null()):
        return True
    return await Passkey.exists().where(Passkey.user == user_id)


async def count_recovery_codes(user_id: int) -> int:
    """Unused recovery codes."""
    unused: int = await RecoveryCode.count().where((RecoveryCode.user == user_id) & RecoveryCode.used_at.is_null())
    return unused


async def factors_of(user_id: int) -> Factors:
    """The security page's summary: `totp` (confirmed, pending or none), `passkeys`, `recovery_codes` left."""
    totp = await TotpFactor.select(TotpFactor.confirmed_at, TotpFactor.created_at).where(
        TotpFactor.user == user_id).first()
    passkeys = await Passkey.select(Passkey.id, Passkey.name, Passkey.created_at, Passkey.last_used_at).where(
        Passkey.user == user_id).order_by(Passkey.id)
    since = totp["confirmed_at"] if totp else None
    return Factors(totp="none" if totp is None else ("confirmed" if since is not None else "pending"),
                   totp_since=since, passkeys=[PasskeySummary(**row) for row in passkeys],
                   recovery_codes=await count_recovery_codes(user_id))


async def pending_totp_secret(user_id: int) -> str | None:
    row = await TotpFactor.select(TotpFactor.secret).where((TotpFactor.user == user_id)
                                                            & TotpFactor.confirmed_at.is_null()).first()
    secret: str | None = row["secret"] if row else None
    return secret


async def has_passkey(user_id: int) -> bool:
    return await Passkey.exists().where(Passkey.user == user_id)


async def has_totp(user_id: int) -> bool:
    return await TotpFactor.exists().where((TotpFactor.user == user_id) & TotpFactor.confirmed_at.is_not_null())
