"""People, organisations and their invitations as the rest of the portal sees them: typed, immutable records
(the pattern of portal/payments/records.py, docs/architecture.md "Types"), built once from a row as Piccolo or raw
SQL hands it back. A change is a new record (`msgspec.structs.replace`).

The signed-in user of a request is not one of these: it is `portal.core.actor.Principal`, the user with the roles
the access rules need, built by accounts/sessions.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from portal import db


def _time(value: object) -> datetime:
    """A timestamp that is never null: SQLite hands it to raw SQL as its stored text, PostgreSQL as a datetime."""
    moment = db.to_datetime(value)
    if moment is None:
        raise ValueError("a timestamp column that is never null was null")
    return moment


class UserRecord(msgspec.Struct, frozen=True):
    """A `portal_user` row without its password hash, which only `accounts.services.authenticate` reads."""

    id: int
    email: str  # stored lower-cased
    name: str
    is_admin: bool
    is_active: bool
    created_at: datetime

    @classmethod
    def of(cls, row: dict[str, Any]) -> UserRecord:
        """The record of a row with the columns of `USER_COLUMNS` (a password hash in the row is left out)."""
        return cls(id=row["id"], email=row["email"], name=row["name"], is_admin=bool(row["is_admin"]),
                   is_active=bool(row["is_active"]), created_at=_time(row["created_at"]))


class OrganisationRecord(msgspec.Struct, frozen=True):
    """An `organisation` row: a city (applicant), a network that runs programs, or a funder."""

    id: int
    kind: str  # city | network | funder
    name: str
    slug: str
    state: str  # US state code, for cities ("" otherwise)
    population: int | None
    email_domain: str
    created_at: datetime

    @classmethod
    def of(cls, row: dict[str, Any]) -> OrganisationRecord:
        """The record of an `organisation` row (every column, as `Organisation.select()` returns it)."""
        return cls(**(row | {"created_at": _time(row["created_at"])}))


class MembershipRecord(msgspec.Struct, frozen=True):
    """A `membership` row: a user's role in an organisation."""

    id: int
    user: int
    organisation: int
    role: str  # owner | member | staff | funder
    created_at: datetime

    @classmethod
    def of(cls, row: dict[str, Any]) -> MembershipRecord:
        """The record of a `membership` row (every column, as `Membership.select()` returns it)."""
        return cls(**(row | {"created_at": _time(row["created_at"])}))


class InvitationRecord(msgspec.Struct, frozen=True):
    """An `invitation` row: an emailed offer of a role (reviewer or staff on a program, funder, city member)."""

    id: int
    token_hash: str
    email: str
    role: str  # reviewer | staff | funder | member
    organisation: int | None
    program_id: int | None
    invited_by: int | None
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None
    accepted_by: int | None

    @classmethod
    def of(cls, row: dict[str, Any]) -> InvitationRecord:
        """The record of an `invitation` row (every column, as `Invitation.select()` returns it)."""
        return cls(**(row | {"created_at": _time(row["created_at"]), "expires_at": _time(row["expires_at"]),
                             "accepted_at": db.to_datetime(row["accepted_at"])}))


class AcceptedInvitation(msgspec.Struct, frozen=True):
    """What accepting an invitation did: the invitation as it was found, and the review panel a reviewer joined
    (None for other roles, or a program without a panel)."""

    invitation: InvitationRecord
    panel_id: int | None = None


class PasswordResetRecord(msgspec.Struct, frozen=True):
    """A `password_reset` row: a one-time reset link (only the token's SHA-256 is stored)."""

    id: int
    token_hash: str
    user: int
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None

    @classmethod
    def of(cls, row: dict[str, Any]) -> PasswordResetRecord:
        """The record of a `password_reset` row (every column, as `PasswordReset.select()` returns it)."""
        return cls(**(row | {"created_at": _time(row["created_at"]), "expires_at": _time(row["expires_at"]),
                             "used_at": db.to_datetime(row["used_at"])}))
