"""Reading application teams: the members, pending invitations, the signer. One's place on a team
(`team_position`) is in portal/applications/queries.py: access to the application is made from it."""

from __future__ import annotations

from portal.accounts.tables import User
from portal.applications.records import ApplicationRow
from portal.applications.tables import TeamMember
from portal.applications.team.records import (
    FoundInvitation,
    InvitationForInvitee,
    InvitationRecord,
    MemberRow,
    PendingInvitation,
    Person,
    SignatureRecord,
    TeamMemberRecord,
)
from portal.applications.team.tables import Signature, TeamInvitation
from portal.core import clock
from portal.core.security import token_hash


async def list_members(application_id: int) -> list[MemberRow]:
    """Editors and viewers (not the owner), by name."""
    rows = await TeamMember.select(
        TeamMember.user.as_alias("user_id"), TeamMember.user._.name.as_alias("name"),
        TeamMember.user._.email.as_alias("email"), TeamMember.role, TeamMember.is_signer, TeamMember.created_at,
    ).where(TeamMember.application == application_id).order_by(TeamMember.user._.name)
    return [MemberRow(**row) for row in rows]


async def get_member(application_id: int, user_id: int) -> TeamMemberRecord | None:
    row = await TeamMember.select().where(
        (TeamMember.application == application_id) & (TeamMember.user == user_id)).first()
    return TeamMemberRecord.of(row) if row else None


async def get_user(user_id: int) -> Person | None:
    row = await User.select(User.id, User.name, User.email).where(User.id == user_id).first()
    return Person(**row) if row else None


async def list_pending_invitations(application_id: int) -> list[PendingInvitation]:
    """Invitations neither accepted, revoked nor expired, newest first."""
    rows = await TeamInvitation.select(
        TeamInvitation.id, TeamInvitation.email, TeamInvitation.role, TeamInvitation.created_at,
        TeamInvitation.expires_at, TeamInvitation.invited_by._.name.as_alias("invited_by_name"),
    ).where(
        (TeamInvitation.application == application_id) & TeamInvitation.accepted_at.is_null()
        & TeamInvitation.revoked_at.is_null() & (TeamInvitation.expires_at > clock.now())
    ).order_by(TeamInvitation.id, ascending=False)
    return [PendingInvitation(**row) for row in rows]


async def get_invitation(application_id: int, invitation_id: int) -> InvitationRecord | None:
    """An invitation of this application (never another's, whatever id the client sends)."""
    row = await TeamInvitation.select().where(
        (TeamInvitation.id == invitation_id) & (TeamInvitation.application == application_id)).first()
    return InvitationRecord.of(row) if row else None


async def find_invitation(token: str) -> FoundInvitation | None:
    """The invitation for `token` whatever its state (the page explains used, revoked and expired ones)."""
    if not token or len(token) > 200:
        return None
    row = await TeamInvitation.select(
        *TeamInvitation.all_columns(), TeamInvitation.invited_by._.name.as_alias("invited_by_name"),
        TeamInvitation.application._.organisation._.name.as_alias("city_name"),
        TeamInvitation.application._.program._.title.as_alias("program_title"),
    ).where(TeamInvitation.token_hash == token_hash(token)).first()
    return FoundInvitation.of(row) if row else None


def invitation_state(invitation: InvitationRecord | None) -> str:
    """pending | accepted | revoked | expired | missing."""
    if invitation is None:
        return "missing"
    if invitation.accepted_at is not None:
        return "accepted"
    if invitation.revoked_at is not None:
        return "revoked"
    if clock.as_utc(invitation.expires_at) <= clock.now():
        return "expired"
    return "pending"


# The applications of teams one belongs to without being a member of the applying city.
TEAM_LIST_SQL = """
SELECT ap.id, ap.status, ap.title, ap.requested_cents, ap.updated_at, ap.submitted_at, ap.receipt_number,
       ap.organisation, o.name AS city_name, p.id AS program_id, p.title AS program_title, p.slug AS program_slug,
       p.status AS program_status, p.opens_at AS opens_at, p.deadline_at AS deadline_at, p.timezone AS timezone,
       p.grace_minutes AS grace_minutes, ap.extended_deadline_at AS extended_deadline_at
FROM application ap JOIN organisation o ON o.id = ap.organisation JOIN program p ON p.id = ap.program
WHERE ap.created_by = {} OR ap.id IN (SELECT m.application FROM application_member m WHERE m."user" = {})
"""


async def list_team_applications(user_id: int) -> list[ApplicationRow]:
    """Applications `user_id` owns or is on the team of (the same columns as queries.CITY_LIST_SQL)."""
    return [ApplicationRow.of(row) for row in await TeamMember.raw(TEAM_LIST_SQL, user_id, user_id)]


async def list_signatures(application_id: int) -> list[SignatureRecord]:
    rows = await Signature.select().where(Signature.application == application_id).order_by(Signature.id)
    return [SignatureRecord.of(row) for row in rows]


async def list_invitations_for(email: str) -> list[InvitationForInvitee]:
    """Pending team invitations sent to `email` (for the invitee's dashboard; the link itself is in the email)."""
    rows = await TeamInvitation.select(
        TeamInvitation.id, TeamInvitation.role, TeamInvitation.expires_at,
        TeamInvitation.invited_by._.name.as_alias("invited_by_name"),
        TeamInvitation.application._.organisation._.name.as_alias("city_name"),
        TeamInvitation.application._.program._.title.as_alias("program_title"),
    ).where(
        (TeamInvitation.email == email.lower()) & TeamInvitation.accepted_at.is_null()
        & TeamInvitation.revoked_at.is_null() & (TeamInvitation.expires_at > clock.now())
    ).order_by(TeamInvitation.id)
    return [InvitationForInvitee(**row) for row in rows]
