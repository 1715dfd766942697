"""Reading people: a user by id or by email, as a `UserRecord` (without the password hash)."""

from __future__ import annotations

from portal.accounts.records import UserRecord
from portal.accounts.tables import User

USER_COLUMNS = (User.id, User.email, User.name, User.is_admin, User.is_active, User.created_at)
"""The columns of a `UserRecord`: every column of `portal_user` but the password hash."""


async def get_user(user_id: int) -> UserRecord | None:
    row = await User.select(*USER_COLUMNS).where(User.id == user_id).first()
    return UserRecord.of(row) if row else None


async def user_by_email(email: str) -> UserRecord | None:
    """The user with this (lower-cased) email, active or not."""
    row = await User.select(*USER_COLUMNS).where(User.email == email).first()
    return UserRecord.of(row) if row else None


async def active_user_by_email(email: str) -> UserRecord | None:
    """The active user with this (lower-cased) email."""
    row = await User.select(*USER_COLUMNS).where((User.email == email) & (User.is_active == True)).first()  # noqa: E712
    return UserRecord.of(row) if row else None
