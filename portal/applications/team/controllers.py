"""The team page of an application (members, invitations, the signer) and the invitation link."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath

from portal.applications.team import forms as team_forms, queries as team_queries, services as team_services
from portal.applications.access import get_application_for
from portal.applications.records import ApplicationForUser
from portal.core.errors import Invalid
from portal.web.auth import actor, current_user, optional_user
from portal.web.forms import read_form, text
from portal.web.render import redirect, render
from portal.web.sessions import state_of

MESSAGES = {
    "invited": "The invitation is sent.", "revoked": "The invitation is revoked: its link no longer works.",
    "role": "The role is changed.", "unsigned": "The role is changed. A viewer cannot sign, so the owner is the "
    "authorised signer again.", "removed": "The person is removed from the team.",
    "signer": "The authorised signer is named.", "joined": "Welcome to the team.",
}


async def team_context(request: Request[Any, Any, Any], application: ApplicationForUser,
                       **overrides: Any) -> dict[str, Any]:
    owner = await team_queries.get_user(application.created_by)
    members = await team_queries.list_members(application.id)
    manage = "manage" in application.rights
    return {
        "application": application, "program": application.program, "owner": owner, "members": members,
        "invitations": await team_queries.list_pending_invitations(application.id) if manage else [],
        "signer_id": application.team.signer_id, "can_manage": manage, "errors": {}, "values": {},
        "editors": [m for m in members if m.role == "editor"], "roles": team_services.ROLE_LABELS,
        "notice": MESSAGES.get(request.query_params.get("done", ""), ""),
    } | overrides


def back_to_team(request: Request[Any, Any, Any], application_id: int, done: str) -> Response[str]:
    return redirect(request, f"/applications/{application_id}/team?done={done}")


@get("/applications/{application_id:int}/team", name="team:page")
async def team_page(request: Request[Any, Any, Any], application_id: FromPath[int]) -> Response[str]:
    application = await get_application_for(current_user(request), application_id, "team")
    return render(request, "applications/team/team.html", await team_context(request, application))


@post("/applications/{application_id:int}/team/invitations", name="team:invite")
async def invite(request: Request[Any, Any, Any], application_id: FromPath[int]) -> Response[str]:
    data = await read_form(request)
    application = await get_application_for(current_user(request), application_id, "manage")
    try:
        email, role = team_forms.invitation_input(data)
        await team_services.invite_member(actor(request), application, email, role,
                                          request.app.state.settings.public_url)
    except Invalid as exc:
        ctx = await team_context(request, application, errors=exc.errors,
                                 values={"email": text(data, "email", 320), "role": text(data, "role", 20)})
        return render(request, "applications/team/team.html", ctx, block="invite", status_code=422)
    return back_to_team(request, application_id, "invited")


@post("/applications/{application_id:int}/team/invitations/{invitation_id:int}/revoke", name="team:revoke")
async def revoke(request: Request[Any, Any, Any], application_id: FromPath[int],
                 invitation_id: FromPath[int]) -> Response[str]:
    await get_application_for(current_user(request), application_id, "manage")
    await team_services.revoke_invitation(actor(request), application_id, invitation_id)
    return back_to_team(request, application_id, "revoked")


@post("/applications/{application_id:int}/team/members/{user_id:int}/role", name="team:role")
async def change_role(request: Request[Any, Any, Any], application_id: FromPath[int],
                      user_id: FromPath[int]) -> Response[str]:
    data = await read_form(request)
    application = await get_application_for(current_user(request), application_id, "manage")
    try:
        unsigned = await team_services.change_role(actor(request), application_id, user_id,
                                                   team_forms.role_input(data))
    except Invalid as exc:
        ctx = await team_context(request, application, errors=exc.errors)
        return render(request, "applications/team/team.html", ctx, status_code=422)
    return back_to_team(request, application_id, "unsigned" if unsigned else "role")


@post("/applications/{application_id:int}/team/members/{user_id:int}/remove", name="team:remove")
async def remove(request: Request[Any, Any, Any], application_id: FromPath[int],
                 user_id: FromPath[int]) -> Response[str]:
    await get_application_for(current_user(request), application_id, "manage")
    await team_services.remove_member(actor(request), application_id, user_id)
    return back_to_team(request, application_id, "removed")


@post("/applications/{application_id:int}/team/signer", name="team:signer")
async def name_signer(request: Request[Any, Any, Any], application_id: FromPath[int]) -> Response[str]:
    data = await read_form(request)
    application = await get_application_for(current_user(request), application_id, "manage")
    try:
        await team_services.name_signer(actor(request), application, team_forms.user_id_input(data, "signer"))
    except Invalid as exc:
        ctx = await team_context(request, application, errors=exc.errors)
        return render(request, "applications/team/team.html", ctx, block="signer", status_code=422)
    return back_to_team(request, application_id, "signer")


@get("/team-invitations/{token:str}", name="team:invitation")
async def invitation_page(request: Request[Any, Any, Any], token: FromPath[str]) -> Response[str]:
    invitation = await team_queries.find_invitation(token)
    state = team_queries.invitation_state(invitation)
    return render(request, "applications/team/invitation.html", {
        "invitation": invitation if state == "pending" else None, "state": state, "token": token,
        "user": optional_user(request), "roles": team_services.ROLE_LABELS,
    }, status_code=200 if state == "pending" else 404)


@post("/team-invitations/{token:str}", name="team:accept")
async def accept(request: Request[Any, Any, Any], token: FromPath[str]) -> Response[str]:
    user = current_user(request)
    application_id = await team_services.accept_invitation(actor(request), token,
                                                           request.app.state.settings.public_url)
    await state_of(request).sign_in(user.id)  # a privilege change: a fresh session id
    return redirect(request, f"/applications/{application_id}?done=joined")


ROUTES = [team_page, invite, revoke, change_role, remove, name_signer, invitation_page, accept]
