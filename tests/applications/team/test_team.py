"""Application teams: invitations (accept, expired, reused, revoked, wrong account), roles, removing, the signer.

City B's draft (`application_b`, owned by the world's stranger@shelbyville.gov, whose name is "Stranger") is the
application the owner builds a team on; people invited are from outside city B unless said otherwise.
"""

from __future__ import annotations

import re
from datetime import timedelta

from portal.applications.tables import TeamMember
from portal.applications.team.tables import TeamInvitation
from portal.core import clock
from portal.core.audit import list_for
from portal.core.tables import OutboundEmail
from tests.factories import PASSWORD, VALID_ANSWERS, add_member, make_user
from tests.factories.applications import VALID_FORM, application_row
from tests.factories.teams import add_team_member

LINK_RE = re.compile(r"http://testserver(/team-invitations/[A-Za-z0-9_-]+)")


async def invite(owner, app_id: int, email: str, role: str = "editor"):
    return await owner.post(f"/applications/{app_id}/team/invitations", {"email": email, "role": role})


async def invitation_link(email: str) -> str:
    row = await OutboundEmail.select(OutboundEmail.body_text).where(OutboundEmail.to_address == email).order_by(
        OutboundEmail.id, ascending=False).first()
    return LINK_RE.search(row["body_text"]).group(1)


async def client_as(make_client, email: str, name: str = ""):
    await make_user(email, name)
    client = await make_client()
    await client.login(email, PASSWORD)
    return client


async def joined(world, as_persona, make_client, email: str, role: str):
    """Invite `email` to city B's draft as `role` and accept as that person; returns (owner, member) clients."""
    owner = await as_persona("stranger")
    assert (await invite(owner, world["application_b"], email, role)).status_code == 303
    link = await invitation_link(email)
    member = await client_as(make_client, email)
    assert (await member.get(link)).status_code == 200
    response = await member.post(link)
    assert response.status_code == 303
    assert response.headers["location"] == f"/applications/{world['application_b']}?done=joined"
    return owner, member


# --- invitations ------------------------------------------------------------------------------------------

async def test_invite_emails_a_link_lists_it_pending_and_stores_only_a_hash(world, as_persona):
    owner = await as_persona("stranger")
    response = await invite(owner, world["application_b"], "Ann.Lee@Partner.org", "viewer")
    assert response.status_code == 303
    link = await invitation_link("ann.lee@partner.org")
    token = link.rsplit("/", 1)[1]
    row = await TeamInvitation.select().where(TeamInvitation.email == "ann.lee@partner.org").first()
    assert (row["role"], len(row["token_hash"]), token in row["token_hash"]) == ("viewer", 64, False)
    page = await owner.get(f"/applications/{world['application_b']}/team")
    assert 'data-testid="pending-invitations"' in page.text and "ann.lee@partner.org" in page.text
    assert [e["action"] for e in await list_for("application", world["application_b"])] == ["team.invited"]


async def test_accept_makes_an_editor_who_can_edit_and_tells_the_owner(world, as_persona, make_client, mailbox):
    owner, editor = await joined(world, as_persona, make_client, "ed@partner.org", "editor")
    app_id = world["application_b"]
    assert (await editor.get(f"/applications/{app_id}?done=joined")).status_code == 200
    response = await editor.post(f"/applications/{app_id}", {"version": "1", **VALID_FORM})
    assert response.status_code == 303
    assert (await application_row(app_id))["answers"]["project_title"] == VALID_ANSWERS["project_title"]
    message = await mailbox.wait_for("stranger@shelbyville.gov", "joined the team")
    assert "ed@partner.org" in message.get_payload()
    team = await owner.get(f"/applications/{app_id}/team")
    assert 'data-testid="pending-invitations"' not in team.text and "ed@partner.org" in team.text
    assert "Editor" in team.text
    # Joining the team is not joining the city: no other application of city B becomes visible.
    assert (await editor.get("/applications")).text.count('data-testid="application-row-') == 1


async def test_invitation_link_works_once(world, as_persona, make_client):
    owner = await as_persona("stranger")
    await invite(owner, world["application_b"], "once@partner.org")
    link = await invitation_link("once@partner.org")
    member = await client_as(make_client, "once@partner.org")
    assert (await member.post(link)).status_code == 303
    again = await member.post(link)
    assert again.status_code == 409
    page = await member.get(link)
    assert (page.status_code, "already used" in page.text) == (404, True)
    assert await TeamMember.count().where(TeamMember.application == world["application_b"]) == 1


async def test_expired_invitation_is_refused_and_explained(world, as_persona, make_client):
    owner = await as_persona("stranger")
    await invite(owner, world["application_b"], "late@partner.org")
    link = await invitation_link("late@partner.org")
    await TeamInvitation.update({TeamInvitation.expires_at: clock.now() - timedelta(seconds=1)}).where(
        TeamInvitation.email == "late@partner.org")
    member = await client_as(make_client, "late@partner.org")
    page = await member.get(link)
    assert (page.status_code, "has expired" in page.text) == (404, True)
    assert (await member.post(link)).status_code == 409
    assert (await member.get(f"/applications/{world['application_b']}")).status_code == 404


async def test_revoked_invitation_no_longer_works(world, as_persona, make_client):
    owner = await as_persona("stranger")
    await invite(owner, world["application_b"], "gone@partner.org")
    link = await invitation_link("gone@partner.org")
    invitation = await TeamInvitation.select(TeamInvitation.id).where(TeamInvitation.email == "gone@partner.org").first()
    response = await owner.post(f"/applications/{world['application_b']}/team/invitations/{invitation['id']}/revoke")
    assert response.status_code == 303
    member = await client_as(make_client, "gone@partner.org")
    assert (await member.post(link)).status_code == 409
    assert "was withdrawn" in (await member.get(link)).text


async def test_inviting_again_replaces_the_earlier_link(world, as_persona, make_client):
    owner = await as_persona("stranger")
    await invite(owner, world["application_b"], "twice@partner.org", "viewer")
    first = await invitation_link("twice@partner.org")
    await invite(owner, world["application_b"], "twice@partner.org", "editor")
    second = await invitation_link("twice@partner.org")
    member = await client_as(make_client, "twice@partner.org")
    assert (await member.post(first)).status_code == 409
    assert (await member.post(second)).status_code == 303
    assert (await TeamMember.select(TeamMember.role).first())["role"] == "editor"


async def test_invitation_for_another_address_is_403_and_nothing_joins(world, as_persona, make_client):
    owner = await as_persona("stranger")
    await invite(owner, world["application_b"], "meant@partner.org")
    link = await invitation_link("meant@partner.org")
    other = await client_as(make_client, "forwarded@partner.org")
    page = await other.get(link)
    assert 'data-testid="wrong-account"' in page.text
    response = await other.post(link)
    assert (response.status_code, "meant@partner.org" in response.text) == (403, True)
    assert await TeamMember.count() == 0
    # The right person can still use it.
    meant = await client_as(make_client, "meant@partner.org")
    assert (await meant.post(link)).status_code == 303


async def test_invitee_registers_then_accepts(world, as_persona, make_client):
    owner = await as_persona("stranger")
    await invite(owner, world["application_b"], "newcomer@partner.org")
    link = await invitation_link("newcomer@partner.org")
    visitor = await make_client()
    page = await visitor.get(link)
    assert f'href="/register?next={link}"' in page.text
    await visitor.get(f"/register?next={link}")
    response = await visitor.post("/register", {"name": "New Comer", "email": "newcomer@partner.org",
                                                "password": "a-long-password-1", "password_confirm": "a-long-password-1",
                                                "next": link})
    assert (response.status_code, response.headers["location"]) == (303, link)
    assert 'data-testid="accept-team-invitation"' in (await visitor.get(link)).text
    assert (await visitor.post(link)).status_code == 303


async def test_accept_anonymous_is_sent_to_sign_in(world, as_persona, make_client):
    owner = await as_persona("stranger")
    await invite(owner, world["application_b"], "anon@partner.org")
    link = await invitation_link("anon@partner.org")
    visitor = await make_client()
    response = await visitor.post(link)
    assert (response.status_code, response.headers["location"].startswith("/login")) == (303, True)


async def test_invite_bad_input_is_422_with_every_error(world, as_persona):
    owner = await as_persona("stranger")
    for data, keys in [({"email": "<script>alert(1)</script>", "role": "owner"}, {"email", "role"}),
                       ({"email": "", "role": ""}, {"email", "role"}),
                       ({"email": ["a@b.org", "c@d.org"], "role": ["viewer", "admin"]}, {"role"}),
                       ({"email": "x" * 5000 + "@partner.org", "role": "viewer"}, {"email"}),
                       ({"email": "stranger@shelbyville.gov", "role": "viewer"}, {"email"})]:
        response = await invite(owner, world["application_b"], data["email"], data["role"])
        assert response.status_code == 422, data
        assert {k for k in ("email", "role") if f'id="error-{k}"' in response.text} == keys, data
        assert "<script>alert(1)" not in response.text
    assert await TeamInvitation.count() == 0


async def test_invite_someone_already_on_the_team_is_422(world, as_persona, make_client):
    owner, _ = await joined(world, as_persona, make_client, "dup@partner.org", "viewer")
    response = await invite(owner, world["application_b"], "dup@partner.org", "editor")
    assert (response.status_code, "on the team already" in response.text) == (422, True)


async def test_hostile_tokens_are_404_never_500(world, as_persona):
    client = await as_persona("stranger")
    for token in ["x", "0" * 64, "a" * 199, "%00", "..%2F..%2Fetc", "<script>", "' OR 1=1 --"]:
        assert (await client.get(f"/team-invitations/{token}")).status_code == 404, token
        assert (await client.post(f"/team-invitations/{token}")).status_code == 404, token


# --- roles ------------------------------------------------------------------------------------------------

async def test_viewer_reads_but_cannot_edit_or_submit(world, as_persona, make_client):
    _, viewer = await joined(world, as_persona, make_client, "vi@partner.org", "viewer")
    app_id = world["application_b"]
    page = await viewer.get(f"/applications/{app_id}")
    assert page.status_code == 200 and 'data-testid="application-form"' not in page.text
    assert 'data-testid="signer-note"' in page.text and "Stranger" in page.text
    save = await viewer.post(f"/applications/{app_id}", {"version": "1", **VALID_FORM})
    assert (save.status_code, "owner and editors" in save.text) == (403, True)
    assert (await viewer.post(f"/applications/{app_id}/submit")).status_code == 403
    assert (await viewer.post(f"/applications/{app_id}/team/invitations", {"email": "x@y.org", "role": "viewer"})
            ).status_code == 403


async def test_city_colleague_off_the_team_may_only_read(world, as_persona, portal):
    await add_member(world["colleague"], world["city_b"], "member")
    colleague = await as_persona("colleague")
    app_id = world["application_b"]
    assert (await colleague.get(f"/applications/{app_id}")).status_code == 200
    assert (await colleague.get(f"/applications/{app_id}/team")).status_code == 200
    save = await colleague.post(f"/applications/{app_id}", {"version": "1", **VALID_FORM})
    assert save.status_code == 403


async def test_owner_changes_a_role_and_removes_a_member(world, as_persona, make_client):
    owner, member = await joined(world, as_persona, make_client, "mo@partner.org", "editor")
    app_id = world["application_b"]
    user_id = (await TeamMember.select(TeamMember.user).first())["user"]
    response = await owner.post(f"/applications/{app_id}/team/members/{user_id}/role", {"role": "viewer"})
    assert response.status_code == 303
    assert (await member.post(f"/applications/{app_id}", {"version": "1", **VALID_FORM})).status_code == 403
    assert (await owner.post(f"/applications/{app_id}/team/members/{user_id}/remove")).status_code == 303
    assert (await member.get(f"/applications/{app_id}")).status_code == 404
    actions = [e["action"] for e in await list_for("application", app_id)]
    assert actions[-2:] == ["team.role_changed", "team.member_removed"]


async def test_team_changes_with_bad_input_are_422_or_404(world, as_persona, make_client):
    owner, _ = await joined(world, as_persona, make_client, "bad@partner.org", "editor")
    app_id = world["application_b"]
    user_id = (await TeamMember.select(TeamMember.user).first())["user"]
    for role in ["owner", "", "<b>x</b>", "editor' --"]:
        response = await owner.post(f"/applications/{app_id}/team/members/{user_id}/role", {"role": role})
        assert response.status_code == 422, role
    assert (await owner.post(f"/applications/{app_id}/team/members/{world['colleague']}/role",
                             {"role": "viewer"})).status_code == 404
    assert (await owner.post(f"/applications/{app_id}/team/members/{world['colleague']}/remove")).status_code == 404
    assert (await owner.post(f"/applications/{app_id}/team/invitations/999999/revoke")).status_code == 404
    for signer in ["", "abc", "-1", "99999999999999", str(world["colleague"])]:
        response = await owner.post(f"/applications/{app_id}/team/signer", {"signer": signer})
        assert response.status_code == 422, signer


async def test_invitation_of_another_application_cannot_be_revoked_through_mine(world, as_persona):
    applicant = await as_persona("applicant")
    await invite(applicant, world["application_a"], "a@partner.org")
    invitation = await TeamInvitation.select(TeamInvitation.id).first()
    owner_b = await as_persona("stranger")
    response = await owner_b.post(f"/applications/{world['application_b']}/team/invitations/{invitation['id']}/revoke")
    assert response.status_code == 404
    assert (await TeamInvitation.select(TeamInvitation.revoked_at).first())["revoked_at"] is None


# --- the signer -------------------------------------------------------------------------------------------

async def test_named_signer_alone_may_submit(world, as_persona, make_client):
    owner, _ = await joined(world, as_persona, make_client, "mayor@partner.org", "editor")
    app_id = world["application_b"]
    mayor_id = (await TeamMember.select(TeamMember.user).first())["user"]
    assert (await owner.post(f"/applications/{app_id}/team/signer", {"signer": str(mayor_id)})).status_code == 303
    team = await owner.get(f"/applications/{app_id}/team")
    assert 'data-testid="signer-tag"' in team.text.split(f'data-testid="member-{mayor_id}"')[1].split("</tr>")[0]
    page = await owner.get(f"/applications/{app_id}?step=review")
    assert 'data-testid="signer-note"' in page.text and 'data-testid="signature"' not in page.text
    refused = await owner.post(f"/applications/{app_id}/submit", {"signature_name": "Stranger"})
    assert (refused.status_code, "the authorised signer" in refused.text) == (403, True)


async def test_signer_made_viewer_hands_signing_back_to_the_owner(world, as_persona, make_client):
    owner, _ = await joined(world, as_persona, make_client, "sv@partner.org", "editor")
    app_id = world["application_b"]
    signer_id = (await TeamMember.select(TeamMember.user).first())["user"]
    await owner.post(f"/applications/{app_id}/team/signer", {"signer": str(signer_id)})
    response = await owner.post(f"/applications/{app_id}/team/members/{signer_id}/role", {"role": "viewer"})
    assert response.headers["location"].endswith("done=unsigned")
    assert (await TeamMember.select(TeamMember.is_signer).first())["is_signer"] is False
    page = await owner.get(f"/applications/{app_id}?step=review")
    assert 'data-testid="signature"' in page.text


async def test_a_viewer_cannot_be_named_signer(world, as_persona, make_client):
    owner, _ = await joined(world, as_persona, make_client, "nv@partner.org", "viewer")
    viewer_id = (await TeamMember.select(TeamMember.user).first())["user"]
    response = await owner.post(f"/applications/{world['application_b']}/team/signer", {"signer": str(viewer_id)})
    assert (response.status_code, 'id="error-signer"' in response.text) == (422, True)


async def test_signer_may_be_named_back_to_the_owner(world, as_persona):
    editor_id = await make_user("back@partner.org")
    await add_team_member(world["application_b"], editor_id, "editor", signer=True)
    owner = await as_persona("stranger")
    response = await owner.post(f"/applications/{world['application_b']}/team/signer", {"signer": str(world["stranger"])})
    assert response.status_code == 303
    assert await TeamMember.count().where(TeamMember.is_signer == True) == 0  # noqa: E712


async def test_dashboard_shows_team_applications_and_waiting_invitations(world, as_persona, make_client):
    owner = await as_persona("stranger")
    await invite(owner, world["application_b"], "dash@partner.org", "viewer")
    invitee = await client_as(make_client, "dash@partner.org")
    page = await invitee.get("/dashboard")
    assert "Shelbyville" in page.text.split('data-testid="dashboard-team-invitations"')[1]
    assert (await invitee.post(await invitation_link("dash@partner.org"))).status_code == 303
    page = await invitee.get("/dashboard")
    assert 'data-testid="dashboard-team-invitations"' not in page.text
    assert f'data-testid="dashboard-application-{world["application_b"]}"' in page.text
