"""Changes to application teams: invite, accept, revoke, change a role, remove, name the signer; and the
signature recorded at submission.

The owner is the application's creator and is never a team row. Each change is one write transaction with
one audit row (object: the application), as everywhere else.
"""

from __future__ import annotations

from datetime import timedelta

from portal.applications.access import load_application
from portal.applications.records import ApplicationForUser, ApplicationWithCity
from portal.applications.signing import Attestation
from portal.applications.tables import TeamMember
from portal.applications.team import queries as team_queries
from portal.applications.team.records import Signed, TeamMemberRecord
from portal.applications.team.tables import Signature, TeamInvitation
from portal.core import audit, clock
from portal.core.actor import Actor, Principal
from portal.core.errors import Conflict, Forbidden, Invalid, NotFound
from portal.core.mail import queue_email
from portal.core.security import new_token, token_hash
from portal.db import Duplicate, write_transaction

INVITATION_VALID_FOR = timedelta(days=14)
MAX_PENDING_INVITATIONS = 30  # per application: enough for any team, too few to spam with
TEAM_ROLES = frozenset({"editor", "viewer"})
ROLE_LABELS = {"owner": "Owner", "editor": "Editor", "viewer": "Viewer"}


async def invite_member(actor: Actor, application: ApplicationForUser, email: str, role: str, public_url: str) -> int:
    """Invite `email` to the application's team as editor or viewer; returns the invitation id.

    An earlier pending invitation to the same address is revoked (the new email replaces it).
    Side effects: an application_invitation row (only the token's SHA-256); earlier pending ones to `email`
    revoked; one audit row `team.invited`; an email `team_invitation` with the accept link (14 days).
    Raises Invalid if the address is the owner's or already on the team, or too many invitations are pending.
    """
    assert role in TEAM_ROLES
    application_id = application.id
    owner = await team_queries.get_user(application.created_by)
    if owner is not None and owner.email == email:
        raise Invalid({"email": "This is the owner's address: the owner is on the team already."})
    members = await team_queries.list_members(application_id)
    if any(m.email == email for m in members):
        raise Invalid({"email": "This person is on the team already. Change their role in the list above."})
    token = new_token()
    now = clock.now()
    async with write_transaction():
        await TeamInvitation.update({TeamInvitation.revoked_at: now}).where(
            (TeamInvitation.application == application_id) & (TeamInvitation.email == email)
            & TeamInvitation.accepted_at.is_null() & TeamInvitation.revoked_at.is_null())
        if len(await team_queries.list_pending_invitations(application_id)) >= MAX_PENDING_INVITATIONS:
            raise Invalid({"email": f"{MAX_PENDING_INVITATIONS} invitations are waiting for an answer already. "
                                    "Revoke some before inviting more people."})
        rows = await TeamInvitation.insert(TeamInvitation(
            token_hash=token_hash(token), application=application_id, email=email, role=role,
            invited_by=actor.user_id, created_at=now, expires_at=now + INVITATION_VALID_FOR,
        )).returning(TeamInvitation.id)
        invitation_id: int = rows[0]["id"]
        await audit.record(actor, "team.invited", "application", application_id, invitation_id=invitation_id,
                           email=email, role=role)
        await queue_email(email, "team_invitation", {
            "inviter": actor.user.name if actor.user else "A colleague", "role": ROLE_LABELS[role].lower(),
            "city": application.organisation_name, "program": application.program.title,
            "link": f"{public_url}/team-invitations/{token}", "days": INVITATION_VALID_FOR.days,
        }, program=application.program_id, application=application_id)
    return invitation_id


async def revoke_invitation(actor: Actor, application_id: int, invitation_id: int) -> None:
    """Withdraw a pending invitation: its link stops working. Side effects: revoked_at; one audit row
    `team.invitation_revoked`. Raises NotFound for an invitation of another application, Conflict if it was
    accepted or revoked already."""
    async with write_transaction():
        invitation = await team_queries.get_invitation(application_id, invitation_id)
        if invitation is None:
            raise NotFound()
        if invitation.accepted_at is not None or invitation.revoked_at is not None:
            raise Conflict("This invitation was already accepted or revoked.")
        await TeamInvitation.update({TeamInvitation.revoked_at: clock.now()}).where(TeamInvitation.id == invitation_id)
        await audit.record(actor, "team.invitation_revoked", "application", application_id,
                           invitation_id=invitation_id, email=invitation.email)


async def accept_invitation(actor: Actor, token: str, public_url: str) -> int:
    """Join an application's team through an invitation link, once; returns the application id.

    Only the account with the invited email address may accept (a forwarded link gives nobody else access).
    Joining the team does not make one a member of the city (docs/teams.md).
    Side effects: an application_member row (or the role of an existing one updated); the invitation marked
    accepted; one audit row `team.joined`; an email `team_invitation_accepted` to the owner. Raises Conflict
    for a used, revoked or expired link (and NotFound for an unknown one), Forbidden for another account.
    """
    user = actor.user
    assert user is not None
    try:
        return await _accept(actor, user, token, public_url)
    except Duplicate as exc:  # the same person joined through a second invitation at the same moment
        raise Conflict("You are on this application's team already.") from exc


async def _accept(actor: Actor, user: Principal, token: str, public_url: str) -> int:
    async with write_transaction():
        invitation = await team_queries.find_invitation(token)
        state = team_queries.invitation_state(invitation)
        if invitation is None:
            raise NotFound()
        if state != "pending":
            raise Conflict(f"This invitation was {state} and cannot be used again. Ask the application's owner "
                           "for a new one.")
        if invitation.email != user.email.lower():
            raise Forbidden(f"This invitation was sent to {invitation.email}, and you are signed in as "
                            f"{user.email}. Sign out, then sign in or create an account with {invitation.email}.")
        application_id = invitation.application
        claimed = await TeamInvitation.update({TeamInvitation.accepted_at: clock.now(),
                                               TeamInvitation.accepted_by: user.id}).where(
            (TeamInvitation.id == invitation.id) & TeamInvitation.accepted_at.is_null()
            & TeamInvitation.revoked_at.is_null()).returning(TeamInvitation.id)
        if not claimed:
            raise Conflict("This invitation was already used. Ask the application's owner for a new one.")
        application = await _application(application_id)
        if application.created_by == user.id:
            raise Conflict("You own this application already.")
        existing = await team_queries.get_member(application_id, user.id)
        if existing is None:
            await TeamMember.insert(TeamMember(application=application_id, user=user.id, role=invitation.role,
                                               is_signer=False, added_by=invitation.invited_by,
                                               created_at=clock.now()))
        else:
            await _set_role(invitation.role, existing)
        await audit.record(actor, "team.joined", "application", application_id, invitation_id=invitation.id,
                           user_id=user.id, role=invitation.role)
        owner = await team_queries.get_user(application.created_by)
        if owner is not None:
            await queue_email(owner.email, "team_invitation_accepted", {
                "owner": owner.name, "member": user.name, "email": user.email,
                "role": ROLE_LABELS[invitation.role].lower(), "program": invitation.program_title,
                "city": invitation.city_name, "link": f"{public_url}/applications/{application_id}/team",
            }, program=application.program, application=application_id)
    return application_id


async def _application(application_id: int) -> ApplicationWithCity:
    application = await load_application(application_id)
    if application is None:
        raise NotFound()
    return application


async def _set_role(role: str, member: TeamMemberRecord) -> bool:
    """Set a member's role; a signer who becomes a viewer stops being the signer. True if that happened."""
    unsign = member.is_signer and role == "viewer"
    await TeamMember.update({TeamMember.role: role, TeamMember.is_signer: member.is_signer and not unsign}).where(
        TeamMember.id == member.id)
    return unsign


async def change_role(actor: Actor, application_id: int, user_id: int, role: str) -> bool:
    """Make a member an editor or a viewer. A signer made viewer is no longer the signer (the owner signs
    again); returns True if so. Side effects: the member's role (and signer flag); one audit row
    `team.role_changed`. Raises NotFound if the user is not on the team."""
    assert role in TEAM_ROLES
    async with write_transaction():
        member = await team_queries.get_member(application_id, user_id)
        if member is None:
            raise NotFound()
        unsigned = await _set_role(role, member)
        await audit.record(actor, "team.role_changed", "application", application_id, user_id=user_id,
                           old_role=member.role, role=role, signer_cleared=unsigned)
    return unsigned


async def remove_member(actor: Actor, application_id: int, user_id: int) -> None:
    """Take someone off the team (if they were the signer, the owner signs again). Their city membership, if
    any, is untouched. Side effects: the application_member row deleted; one audit row `team.member_removed`.
    Raises NotFound if the user is not on the team."""
    async with write_transaction():
        member = await team_queries.get_member(application_id, user_id)
        if member is None:
            raise NotFound()
        await TeamMember.delete().where(TeamMember.id == member.id)
        await audit.record(actor, "team.member_removed", "application", application_id, user_id=user_id,
                           role=member.role, was_signer=member.is_signer)


async def name_signer(actor: Actor, application: ApplicationForUser, user_id: int) -> None:
    """Name the authorised signer: the owner, or an editor on the team. Side effects: the signer flag moved
    (none set when the owner signs); one audit row `team.signer_named`. Raises Invalid for anyone else."""
    application_id = application.id
    async with write_transaction():
        if user_id != application.created_by:
            member = await team_queries.get_member(application_id, user_id)
            if member is None or member.role != "editor":
                raise Invalid({"signer": "Choose the owner or an editor on the team: the signer must be able to "
                                         "edit the application."})
        await TeamMember.update({TeamMember.is_signer: False}).where(
            (TeamMember.application == application_id) & (TeamMember.is_signer == True))  # noqa: E712
        if user_id != application.created_by:
            await TeamMember.update({TeamMember.is_signer: True}).where(
                (TeamMember.application == application_id) & (TeamMember.user == user_id))
        await audit.record(actor, "team.signer_named", "application", application_id, user_id=user_id)


async def record_signature(actor: Actor, application_id: int, attestation: Attestation, receipt: str) -> Signed:
    """Keep the signer's attestation with a submission. Call inside the submission's transaction (its audit
    row records the signature too). Side effects: an application_signature row. Returns what was recorded."""
    signed = Signed(user_id=actor.user_id, typed_name=attestation.typed_name, attestation=attestation.text,
                    signed_at=clock.now(), ip_address=actor.ip[:64])
    await Signature.insert(Signature(application=application_id, user=actor.user_id, typed_name=attestation.typed_name,
                                     attestation=attestation.text, signed_at=signed.signed_at,
                                     ip_address=signed.ip_address, receipt_number=receipt))
    return signed

