"""Server-side sessions: create (with a fresh id, so a planted id never survives sign-in), load, end.

The cookie carries a random token; the table holds only its SHA-256, the user and the session's CSRF token.
"""

from __future__ import annotations

from datetime import timedelta

import msgspec

from portal import db
from portal.accounts import queries
from portal.accounts.tables import Membership, Session
from portal.core import clock
from portal.core.actor import Principal
from portal.core.security import new_token, token_hash


class LoadedSession(msgspec.Struct, frozen=True):
    """A live (or, from `load_expired_session`, a recently ended) session: its row's id, user and CSRF token, and
    for a live session of an active user, that user with their roles."""

    id: int
    user_id: int | None
    csrf_token: str
    principal: Principal | None = None


async def create_session(user_id: int | None, ip: str, hours: int) -> tuple[str, LoadedSession]:
    """A new session row and the token for its cookie."""
    token = new_token()
    now = clock.now()
    csrf = new_token()
    rows = await Session.insert(
        Session(
            token_hash=token_hash(token),
            user=user_id,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + timedelta(hours=hours),
            ip_address=ip[:64],
        )
    ).returning(Session.id)
    session_id: int = rows[0]["id"]
    return token, LoadedSession(id=session_id, user_id=user_id, csrf_token=csrf)


# The two queries below run on every signed-in request, so they are plain SQL: building them with Piccolo's
# join machinery cost more than running them.
SESSION_SQL = """
SELECT s.id, s."user" AS user_id, s.csrf_token, s.expires_at, u.email, u.name, u.is_admin, u.is_active
FROM web_session s LEFT JOIN portal_user u ON u.id = s."user"
WHERE s.token_hash = {} AND s.expires_at > {} AND s.created_at > {}
"""

ROLES_SQL = """
SELECT 'org' AS source, m.organisation AS ref, m.role AS role, o.kind AS kind
FROM membership m JOIN organisation o ON o.id = m.organisation WHERE m."user" = {}
UNION ALL
SELECT 'program', pr.program, pr.role, '' FROM program_role pr WHERE pr."user" = {} AND pr.role = 'reviewer'
"""


async def load_session(token: str, hours: int, max_hours: int) -> LoadedSession | None:
    """The live session for a cookie token, with its user (if signed in) in `principal`. A session lives
    `hours` from its last use and `max_hours` from its creation at most, however often it is used."""
    if not token or len(token) > 200:
        return None
    now = clock.now()
    rows = await Session.raw(SESSION_SQL, token_hash(token), now, now - timedelta(hours=max_hours))
    if not rows:
        return None
    row = rows[0]
    # Slide the expiry, but write at most once per hour of use.
    # PostgreSQL returns a datetime; SQLite the stored ISO text for a column read through a join. Never null here:
    # the query asked for expires_at > now.
    expires_at = db.to_datetime(row["expires_at"])
    if expires_at is not None and clock.as_utc(expires_at) - now < timedelta(hours=hours) - timedelta(hours=1):
        await Session.update({Session.expires_at: now + timedelta(hours=hours)}).where(Session.id == row["id"])
    user_id: int | None = row["user_id"]
    principal = None
    if user_id is not None and row["is_active"]:
        principal = await _principal(user_id, row["email"], row["name"], bool(row["is_admin"]))
    return LoadedSession(id=row["id"], user_id=user_id, csrf_token=row["csrf_token"], principal=principal)


async def _principal(user_id: int, email: str, name: str, is_admin: bool) -> Principal:
    """The user with their roles: one query (ROLES_SQL) for the organisations and the programs they review."""
    roles = await Membership.raw(ROLES_SQL, user_id, user_id)
    orgs = [r for r in roles if r["source"] == "org"]
    return Principal(
        id=user_id,
        email=email,
        name=name,
        is_admin=is_admin,
        org_roles={r["ref"]: r["role"] for r in orgs},
        org_kinds={r["ref"]: r["kind"] for r in orgs},
        reviewer_programs=frozenset(r["ref"] for r in roles if r["source"] == "program"),
    )


async def end_session(session_id: int) -> None:
    await Session.delete().where(Session.id == session_id)


async def end_sessions_of(user_id: int) -> None:
    """Sign a user out everywhere (after a password reset)."""
    await Session.delete().where(Session.user == user_id)


async def load_principal(user_id: int) -> Principal | None:
    """The user with their roles (after sign-in, or a role change); None if unknown or deactivated."""
    user = await queries.get_user(user_id)
    if user is None or not user.is_active:
        return None
    return await _principal(user.id, user.email, user.name, user.is_admin)


EXPIRED_KEPT_DAYS = 14
"""An expired session's row is kept this long, so that a form sent after it expired is recognised as the same
browser's (its CSRF token still matches) and what was typed is kept for after signing in again."""


async def load_expired_session(token: str, max_hours: int) -> LoadedSession | None:
    """The session a cookie token named if it has expired, idle or past `max_hours` of age (within
    EXPIRED_KEPT_DAYS); None otherwise. Its user is NOT signed in: the caller may only keep what the request
    carried for later."""
    if not token or len(token) > 200:
        return None
    now = clock.now()
    ended = (Session.expires_at <= now) | (Session.created_at <= now - timedelta(hours=max_hours))
    row = await Session.select(Session.id, Session.user, Session.csrf_token).where(
        (Session.token_hash == token_hash(token)) & ended
        & (Session.expires_at > now - timedelta(days=EXPIRED_KEPT_DAYS))).first()
    if row is None or row["user"] is None:
        return None
    return LoadedSession(id=row["id"], user_id=row["user"], csrf_token=row["csrf_token"])


async def purge_expired() -> None:
    await Session.delete().where(Session.expires_at < clock.now() - timedelta(days=EXPIRED_KEPT_DAYS))
