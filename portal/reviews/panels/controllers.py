"""Review panel pages.

Staff (of the network that runs the program, and administrators): the panel's settings and rubric at
/staff/programs/{id}/panel, its members, invitations and conflicts at /staff/programs/{id}/panel/members.
Members of a panel: /panels (their panels), /panels/{id}/profile (capacity, expertise, home city) and
/panels/{id}/applications (preferences and declared conflicts). Everyone else gets 404 for a panel.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath

from portal.applications import blind as blinding
from portal.core import clock
from portal.core.errors import Invalid, NotFound
from portal.programs.access import get_program_for_staff
from portal.programs.records import ProgramRecord
from portal.reviews.panels import forms, queries, services
from portal.reviews.records import CriterionRow, MemberProfile, PanelDetail
from portal.web.auth import actor, current_user
from portal.web.forms import read_form, text
from portal.web.render import redirect, render

PANEL_NOTICES = {"created": "The panel is set up. Invite its reviewers from the members page.",
                 "saved": "The panel's settings are saved.", "rubric": "The rubric is saved.",
                 "closed": "The panel is closed: reviews can no longer be changed.",
                 "reopened": "The panel is open again: reviewers can revise their reviews."}
MEMBER_NOTICES = {"invited": "Invitation sent.", "resent": "Invitation sent again, with a new link.",
                  "revoked": "Invitation withdrawn: its link no longer works.", "saved": "Member saved.",
                  "removed": "Member removed from the panel.", "conflict": "Conflict of interest recorded.",
                  "conflict-unassigned": "Conflict of interest recorded, and the reviewer's unsubmitted "
                                         "assignment to the application removed."}
REVIEWER_NOTICES = {"preference": "Preference saved.",
                    "conflict": "Conflict declared. The application is no longer listed for you and staff are told.",
                    "profile": "Saved. Thank you."}


def _notice(request: Request, notices: dict[str, str]) -> str:
    return notices.get(request.query_params.get("done", "")[:40], "")


# ---------------------------------------------------------------------------------------------------------
# Staff: the panel and its rubric


def _local_input(value: Any, timezone: str) -> str:
    """A stored UTC time as the value of an <input type="datetime-local"> in the program's time zone."""
    return clock.as_utc(value).astimezone(clock.zone(timezone)).strftime("%Y-%m-%dT%H:%M") if value else ""


def _plain(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


def _settings_values(panel: PanelDetail | None, program: ProgramRecord) -> dict[str, str]:
    if panel is None:
        return {"name": f"{program.title} review panel", "reviews_per_application": "3", "due_at": ""}
    return {"name": panel.name, "due_at": _local_input(panel.due_at, program.timezone),
            "blind": "yes" if panel.blind else "", "reviews_per_application": str(panel.reviews_per_application),
            "overall_threshold": _plain(panel.overall_threshold),
            "ask_recommendation": "yes" if panel.ask_recommendation else ""}


def _criterion_values(c: CriterionRow) -> dict[str, str]:
    return {"name": c["name"], "description": c["description"], "scale": forms.scale_of(c) or "",
            "weight": str(c["weight"]), "threshold": _plain(c["threshold"])}


def _kept(data: dict[str, Any], keys: tuple[str, ...], limit: int = 2000) -> dict[str, str]:
    return {k: text(data, k, limit) for k in keys}


async def _panel_page(program: ProgramRecord, **extra: Any) -> dict[str, Any]:
    panel = await queries.get_panel_of_program(program.id)
    rubric = await queries.list_criteria(program.id)
    criteria = [dict(c) | {"scale_label": forms.scale_label(c)} for c in rubric]
    return {
        "program": program, "panel": panel, "criteria": criteria,
        "locked": await queries.rubric_locked(program.id), "locked_reason": services.RUBRIC_LOCKED,
        "scales": forms.SCALES, "values": _settings_values(panel, program), "errors": {},
        "criterion_values": {str(c["id"]): _criterion_values(c) for c in rubric} | {"new": {"scale": "1-5"}},
        "criterion_errors": {}, "notice": "", "max_k": forms.MAX_REVIEWS_PER_APPLICATION,
        "total_weight": sum(c["weight"] for c in rubric),
        "identity_leaks": await blinding.list_identity_leaks(program.id),
    } | extra


@get("/staff/programs/{program_id:int}/panel", name="panels:staff")
async def panel_page(request: Request, program_id: FromPath[int]) -> Response:
    program = await get_program_for_staff(current_user(request), program_id)
    ctx = await _panel_page(program, notice=_notice(request, PANEL_NOTICES))
    return render(request, "reviews/panels/panel.html", ctx)


@post("/staff/programs/{program_id:int}/panel", name="panels:save")
async def panel_save(request: Request, program_id: FromPath[int]) -> Response:
    program = await get_program_for_staff(current_user(request), program_id)
    data = await read_form(request)
    try:
        values = forms.panel_settings(data, program.timezone)
    except Invalid as exc:
        kept = _kept(data, ("name", "due_at", "blind", "reviews_per_application", "overall_threshold",
                            "ask_recommendation"), 300)
        ctx = await _panel_page(program, values=kept, errors=exc.errors)
        return render(request, "reviews/panels/panel.html", ctx, status_code=422)
    panel = await queries.get_panel_of_program(program_id)
    if panel is None:
        await services.create_panel(actor(request), program_id, values)
        return redirect(request, f"/staff/programs/{program_id}/panel?done=created")
    await services.update_panel(actor(request), panel.id, values)
    return redirect(request, f"/staff/programs/{program_id}/panel?done=saved")


@post("/staff/programs/{program_id:int}/panel/close", name="panels:close")
async def panel_close(request: Request, program_id: FromPath[int]) -> Response:
    _, panel = await _staff_panel(request, program_id)
    await services.set_panel_open(actor(request), panel.id, is_open=False)
    return redirect(request, f"/staff/programs/{program_id}/panel?done=closed#status")


@post("/staff/programs/{program_id:int}/panel/reopen", name="panels:reopen")
async def panel_reopen(request: Request, program_id: FromPath[int]) -> Response:
    _, panel = await _staff_panel(request, program_id)
    await services.set_panel_open(actor(request), panel.id, is_open=True)
    return redirect(request, f"/staff/programs/{program_id}/panel?done=reopened#status")


async def _criterion_form(request: Request, program: ProgramRecord, key: str) -> dict[str, Any] | Response:
    """The criterion's values, or the page re-rendered with its errors (422)."""
    data = await read_form(request)
    try:
        return forms.criterion(data)
    except Invalid as exc:
        kept = _kept(data, ("name", "description", "scale", "weight", "threshold"))
        ctx = await _panel_page(program)
        ctx["criterion_values"][key] = kept
        ctx["criterion_errors"] = {key: exc.errors}
        return render(request, "reviews/panels/panel.html", ctx, status_code=422)


@post("/staff/programs/{program_id:int}/panel/criteria", name="panels:criterion-add")
async def criterion_add(request: Request, program_id: FromPath[int]) -> Response:
    program = await get_program_for_staff(current_user(request), program_id)
    values = await _criterion_form(request, program, "new")
    if isinstance(values, Response):
        return values
    await services.add_criterion(actor(request), program_id, values)
    return redirect(request, f"/staff/programs/{program_id}/panel?done=rubric#rubric")


@post("/staff/programs/{program_id:int}/panel/criteria/{criterion_id:int}", name="panels:criterion-save")
async def criterion_save(request: Request, program_id: FromPath[int], criterion_id: FromPath[int]) -> Response:
    program = await get_program_for_staff(current_user(request), program_id)
    await queries.get_criterion(program_id, criterion_id)
    values = await _criterion_form(request, program, str(criterion_id))
    if isinstance(values, Response):
        return values
    await services.update_criterion(actor(request), program_id, criterion_id, values)
    return redirect(request, f"/staff/programs/{program_id}/panel?done=rubric#criterion-{criterion_id}")


@post("/staff/programs/{program_id:int}/panel/criteria/{criterion_id:int}/delete", name="panels:criterion-delete")
async def criterion_delete(request: Request, program_id: FromPath[int], criterion_id: FromPath[int]) -> Response:
    await get_program_for_staff(current_user(request), program_id)
    await services.remove_criterion(actor(request), program_id, criterion_id)
    return redirect(request, f"/staff/programs/{program_id}/panel?done=rubric#rubric")


@post("/staff/programs/{program_id:int}/panel/criteria/{criterion_id:int}/move", name="panels:criterion-move")
async def criterion_move(request: Request, program_id: FromPath[int], criterion_id: FromPath[int]) -> Response:
    await get_program_for_staff(current_user(request), program_id)
    direction = text(await read_form(request), "direction", 10)
    if direction not in ("up", "down"):
        raise Invalid({"direction": "Move the criterion up or down."})
    await services.move_criterion(actor(request), program_id, criterion_id, direction)
    return redirect(request, f"/staff/programs/{program_id}/panel?done=rubric#criterion-{criterion_id}")


# ---------------------------------------------------------------------------------------------------------
# Staff: members, invitations, conflicts


async def _staff_panel(request: Request, program_id: int) -> tuple[ProgramRecord, PanelDetail]:
    """(program, panel) for staff of the program; NotFound while the program has no panel."""
    program = await get_program_for_staff(current_user(request), program_id)
    panel = await queries.get_panel_of_program(program_id)
    if panel is None:
        raise NotFound("This program has no review panel yet: set it up first.")
    return program, panel


async def _members_page(program: ProgramRecord, panel: PanelDetail, **extra: Any) -> dict[str, Any]:
    members = await queries.list_members(panel.id, program.id)
    return {
        "program": program, "panel": panel, "members": members,
        "invitations": await queries.list_pending_invitations(program.id),
        "applications": await queries.list_panel_applications(program.id),
        "conflicts": await queries.list_declared_conflicts(program.id),
        "invite_values": {}, "invite_errors": {}, "member_values": {}, "member_errors": {},
        "conflict_values": {}, "conflict_errors": {}, "notice": "",
    } | extra


@get("/staff/programs/{program_id:int}/panel/members", name="panels:members")
async def members_page(request: Request, program_id: FromPath[int]) -> Response:
    program, panel = await _staff_panel(request, program_id)
    ctx = await _members_page(program, panel, notice=_notice(request, MEMBER_NOTICES))
    return render(request, "reviews/panels/members.html", ctx)


def _members_url(program_id: int, done: str, anchor: str = "") -> str:
    return f"/staff/programs/{program_id}/panel/members?done={done}{anchor}"


@post("/staff/programs/{program_id:int}/panel/invitations", name="panels:invite")
async def panel_invite(request: Request, program_id: FromPath[int]) -> Response:
    program, panel = await _staff_panel(request, program_id)
    data = await read_form(request)
    from portal.accounts.forms import clean_email

    email = clean_email(text(data, "email", 400))
    if email is None:
        ctx = await _members_page(program, panel, invite_values={"email": text(data, "email", 320)},
                                  invite_errors={"email": "Enter an email address like name@example.org."})
        return render(request, "reviews/panels/members.html", ctx, status_code=422)
    await services.invite_reviewer(actor(request), program, email, request.app.state.settings.public_url)
    return redirect(request, _members_url(program_id, "invited", "#invitations"))


@post("/staff/programs/{program_id:int}/panel/invitations/{invitation_id:int}/resend", name="panels:invite-resend")
async def panel_invite_resend(request: Request, program_id: FromPath[int], invitation_id: FromPath[int]) -> Response:
    program, _ = await _staff_panel(request, program_id)
    await services.resend_invitation(actor(request), program, invitation_id,
                                           request.app.state.settings.public_url)
    return redirect(request, _members_url(program_id, "resent", "#invitations"))


@post("/staff/programs/{program_id:int}/panel/invitations/{invitation_id:int}/revoke", name="panels:invite-revoke")
async def panel_invite_revoke(request: Request, program_id: FromPath[int], invitation_id: FromPath[int]) -> Response:
    await _staff_panel(request, program_id)
    await services.revoke_invitation(actor(request), program_id, invitation_id)
    return redirect(request, _members_url(program_id, "revoked", "#invitations"))


@post("/staff/programs/{program_id:int}/panel/members/{user_id:int}", name="panels:member-save")
async def member_save(request: Request, program_id: FromPath[int], user_id: FromPath[int]) -> Response:
    program, panel = await _staff_panel(request, program_id)
    if not await queries.is_member(panel.id, user_id):
        raise NotFound()
    data = await read_form(request)
    try:
        values = forms.member_profile(data, with_home_city=False)
    except Invalid as exc:
        ctx = await _members_page(program, panel, member_values={user_id: _kept(data, ("capacity", "expertise"))},
                                  member_errors={user_id: exc.errors})
        return render(request, "reviews/panels/members.html", ctx, status_code=422)
    await services.set_member_profile(actor(request), panel.id, user_id, values)
    return redirect(request, _members_url(program_id, "saved", f"#member-{user_id}"))


@post("/staff/programs/{program_id:int}/panel/members/{user_id:int}/remove", name="panels:member-remove")
async def member_remove(request: Request, program_id: FromPath[int], user_id: FromPath[int]) -> Response:
    _, panel = await _staff_panel(request, program_id)
    await services.remove_member(actor(request), panel.id, program_id, user_id)
    return redirect(request, _members_url(program_id, "removed", "#members"))


@post("/staff/programs/{program_id:int}/panel/conflicts", name="panels:conflict-record")
async def conflict_record(request: Request, program_id: FromPath[int]) -> Response:
    program, panel = await _staff_panel(request, program_id)
    data = await read_form(request)
    applications = await queries.list_panel_applications(program_id)
    try:
        values = forms.staff_conflict(data, await queries.member_ids(panel.id),
                                            [a.id for a in applications])
        removed = await services.declare_conflict(actor(request), panel, values["reviewer"],
                                                        values["application"], values["reason"], "staff",
                                                        request.app.state.settings.public_url)
    except Invalid as exc:
        ctx = await _members_page(program, panel, conflict_values=_kept(data, ("reviewer", "application", "reason")),
                                  conflict_errors=exc.errors)
        return render(request, "reviews/panels/members.html", ctx, status_code=422)
    return redirect(request, _members_url(program_id, "conflict-unassigned" if removed else "conflict", "#conflicts"))


# ---------------------------------------------------------------------------------------------------------
# Members of a panel


@get("/panels", name="panels:mine")
async def my_panels(request: Request) -> Response:
    panels = await queries.list_panels_of_member(current_user(request).id)
    return render(request, "reviews/panels/index.html", {"panels": panels})


async def _profile_page(panel: PanelDetail, member: MemberProfile, **extra: Any) -> dict[str, Any]:
    values = {"capacity": str(member.capacity), "expertise": member.expertise, "home_city": member.home_city}
    return {"panel": panel, "member": member, "values": values, "errors": {}, "notice": "", "joined": False} | extra


@get("/panels/{panel_id:int}/profile", name="panels:profile")
async def profile_page(request: Request, panel_id: FromPath[int]) -> Response:
    user = current_user(request)
    panel = await queries.get_panel_for_member(user, panel_id)
    member = await queries.get_member(panel_id, user.id)
    assert member is not None
    ctx = await _profile_page(panel, member, joined=request.query_params.get("joined") == "1",
                              notice=_notice(request, REVIEWER_NOTICES))
    return render(request, "reviews/panels/profile.html", ctx)


@post("/panels/{panel_id:int}/profile", name="panels:profile-save")
async def profile_save(request: Request, panel_id: FromPath[int]) -> Response:
    user = current_user(request)
    panel = await queries.get_panel_for_member(user, panel_id)
    data = await read_form(request)
    try:
        values = forms.member_profile(data)
    except Invalid as exc:
        member = await queries.get_member(panel_id, user.id)
        assert member is not None
        ctx = await _profile_page(panel, member, values=_kept(data, ("capacity", "expertise", "home_city")),
                                  errors=exc.errors)
        return render(request, "reviews/panels/profile.html", ctx, status_code=422)
    await services.set_member_profile(actor(request), panel_id, user.id, values)
    return redirect(request, f"/panels/{panel_id}/applications?done=profile")


async def _applications_page(panel: PanelDetail, user_id: int, **extra: Any) -> dict[str, Any]:
    return {"panel": panel, "applications": await queries.list_applications_for_member(panel, user_id),
            "preferences": forms.PREFERENCES, "errors": {}, "values": {}, "notice": ""} | extra


@get("/panels/{panel_id:int}/applications", name="panels:applications")
async def applications_page(request: Request, panel_id: FromPath[int]) -> Response:
    user = current_user(request)
    panel = await queries.get_panel_for_member(user, panel_id)
    ctx = await _applications_page(panel, user.id, notice=_notice(request, REVIEWER_NOTICES))
    return render(request, "reviews/panels/applications.html", ctx)


@post("/panels/{panel_id:int}/applications/{application_id:int}/preference", name="panels:preference")
async def preference_save(request: Request, panel_id: FromPath[int], application_id: FromPath[int]) -> Response:
    user = current_user(request)
    panel = await queries.get_panel_for_member(user, panel_id)
    try:
        level = forms.preference(await read_form(request))
    except Invalid as exc:
        ctx = await _applications_page(panel, user.id, errors={application_id: exc.errors})
        if not any(a.id == application_id for a in ctx["applications"]):
            raise NotFound()
        return render(request, "reviews/panels/applications.html", ctx, status_code=422)
    await services.set_preference(actor(request), panel, user.id, application_id, level)
    return redirect(request, f"/panels/{panel_id}/applications?done=preference#application-{application_id}")


@post("/panels/{panel_id:int}/applications/{application_id:int}/conflict", name="panels:conflict")
async def conflict_declare(request: Request, panel_id: FromPath[int], application_id: FromPath[int]) -> Response:
    user = current_user(request)
    panel = await queries.get_panel_for_member(user, panel_id)
    data = await read_form(request)
    try:
        reason = forms.conflict_reason(data)
    except Invalid as exc:
        ctx = await _applications_page(panel, user.id, errors={application_id: exc.errors},
                                       values={application_id: {"reason": text(data, "reason", 2000)}})
        if not any(a.id == application_id for a in ctx["applications"]):
            raise NotFound()
        return render(request, "reviews/panels/applications.html", ctx, status_code=422)
    await services.declare_conflict(actor(request), panel, user.id, application_id, reason, "reviewer",
                                          request.app.state.settings.public_url)
    return redirect(request, f"/panels/{panel_id}/applications?done=conflict")


ROUTES = [panel_page, panel_save, panel_close, panel_reopen, criterion_add, criterion_save, criterion_delete, criterion_move, members_page,
          panel_invite, panel_invite_resend, panel_invite_revoke, member_save, member_remove, conflict_record,
          my_panels, profile_page, profile_save, applications_page, preference_save, conflict_declare]
