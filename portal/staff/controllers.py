"""Program staff pages: my programs, a program's ranked applications, one application with its reviews and
reviewer assignment, invitations, the grace period, and an application's deadline (the mail pages: mail/)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath

from portal.applications import forms as application_forms
from portal.applications import lifecycle
from portal.applications import queries as application_queries
from portal.applications import rules as application_rules
from portal.applications.access import get_application_for
from portal.core import clock
from portal.core.errors import Invalid
from portal.core.actor import Principal
from portal.programs.access import get_program_for_staff, require_staff
from portal.reviews import queries as review_queries
from portal.reviews import ranking
from portal.reviews import services as review_services
from portal.reviews.rules import SCORING_METHOD
from portal.staff import forms, queries, services
from portal.staff.mail import queries as mail_queries
from portal.web.auth import actor, current_user
from portal.web.forms import read_form, text
from portal.web.render import redirect, render


@get("/staff", name="staff:home")
async def staff_home(request: Request) -> Response:
    user = current_user(request)
    require_staff(user)
    programs = await queries.list_staff_programs(user)
    return render(request, "staff/index.html", {"programs": programs})


async def _program_page(program: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "program": program,
        "applications": await queries.list_program_applications(program["id"]),
        "funders": await queries.list_program_funders(program["id"]),
        "reviewers": await review_queries.list_program_reviewers(program["id"]),
        "method": SCORING_METHOD, "roles": forms.INVITABLE_ROLES,
        "values": {}, "errors": {}, "invited": "",
        "drafts": await application_queries.list_program_drafts(program["id"]),
        "withdrawn": await application_queries.list_program_withdrawn(program["id"]),
        "grace_errors": {}, "grace_value": str(program["grace_minutes"]),
        "mail_trouble": await mail_queries.count_program_mail_trouble(program["id"]),
    } | extra


@get("/staff/programs/{program_id:int}", name="staff:program")
async def staff_program(request: Request, program_id: FromPath[int]) -> Response:
    program = await get_program_for_staff(current_user(request), program_id)
    ctx = await _program_page(program, invited=request.query_params.get("invited", "")[:320])
    return render(request, "staff/program.html", ctx)


@post("/staff/programs/{program_id:int}/invitations", name="staff:invite")
async def staff_invite(request: Request, program_id: FromPath[int]) -> Response:
    program = await get_program_for_staff(current_user(request), program_id)
    data = await read_form(request)
    funders = await queries.list_program_funders(program_id)
    try:
        values = forms.invitation(data, [f["id"] for f in funders])
    except Invalid as exc:
        kept = {k: text(data, k, 320) for k in ("email", "role", "funder_id")}
        ctx = await _program_page(program, values=kept, errors=exc.errors)
        return render(request, "staff/program.html", ctx, block="invite", status_code=422)
    await services.invite_to_program(actor(request), program, values["email"], values["role"],
                                           values["funder_id"], request.app.state.settings.public_url)
    return redirect(request, f"/staff/programs/{program_id}?invited={values['email']}#invite")


@post("/staff/programs/{program_id:int}/grace", name="staff:grace")
async def staff_grace(request: Request, program_id: FromPath[int]) -> Response:
    program = await get_program_for_staff(current_user(request), program_id)
    data = await read_form(request)
    try:
        minutes = forms.grace_period(data)
    except Invalid as exc:
        ctx = await _program_page(program, grace_errors=exc.errors, grace_value=text(data, "grace_minutes", 12))
        return render(request, "staff/program.html", ctx, block="grace", status_code=422)
    await services.set_grace_period(actor(request), program_id, minutes)
    return redirect(request, f"/staff/programs/{program_id}?grace=saved#grace")


async def _application_page(user: Principal, application: dict[str, Any], **extra: Any) -> dict[str, Any]:
    criteria = await review_queries.list_criteria(application["program"])
    scores = await ranking.scores_for_program(application["program"])
    return {
        "application": application, "criteria": criteria,
        "reviews": await review_queries.reviews_of_application(application["id"], criteria),
        "reviewers": await queries.reviewer_choices(application["program"], application),
        "summary": scores.get(application["id"], {}), "method": SCORING_METHOD, "errors": {}, "values": {},
    } | extra


@get("/staff/applications/{application_id:int}", name="staff:application")
async def staff_application(request: Request, application_id: FromPath[int]) -> Response:
    user = current_user(request)
    application = await queries.get_application_for_staff(user, application_id)
    return render(request, "staff/application.html", await _application_page(user, application))


@post("/staff/applications/{application_id:int}/assignments", name="staff:assign")
async def staff_assign(request: Request, application_id: FromPath[int]) -> Response:
    user = current_user(request)
    application = await queries.get_application_for_staff(user, application_id)
    data = await read_form(request)
    try:
        reviewer_id = forms.assignment(data)
        await review_services.assign_reviewer(actor(request), application_id, reviewer_id,
                                              request.app.state.settings.public_url)
    except Invalid as exc:
        ctx = await _application_page(user, application, errors=exc.errors, values={"reviewer": text(data, "reviewer", 20)})
        return render(request, "staff/application.html", ctx, block="assignments", status_code=422)
    return redirect(request, f"/staff/applications/{application_id}#assignments")


@post("/staff/assignments/{assignment_id:int}/delete", name="staff:unassign")
async def staff_unassign(request: Request, assignment_id: FromPath[int]) -> Response:
    await queries.get_assignment_for_staff(current_user(request), assignment_id)
    application_id = await review_services.remove_assignment(actor(request), assignment_id)
    return redirect(request, f"/staff/applications/{application_id}#assignments")


DEADLINE_NOTICES = {"extended": "The new deadline is set and the city's team is told.",
                    "reopened": "The application is a draft again and the city's team is told.",
                    "restored": "The withdrawal is undone and the city's team is told."}


async def _deadline_page(application: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """The staff page of one application's deadline and status: its extension, reopening, and history."""
    program = application["program"]
    extended = application["extended_deadline_at"]
    return {
        "application": application, "program": program,
        "deadline": application_rules.effective_deadline(program, extended),
        "accepting": application_rules.may_submit_at(program, extended, clock.now()),
        "can_reopen": application_rules.can_transition(application["status"], "draft"),
        "can_extend": application["status"] in lifecycle.EXTENDABLE,
        "can_restore": application["status"] == "withdrawn",
        "restores_to": application_rules.restored_status(application),
        "history": await application_queries.list_status_history(application["id"]),
        "errors": {}, "values": {}, "reopen_errors": {}, "reopen_reason": "", "notice": "",
        "restore_errors": {}, "restore_reason": "",
    } | extra


@get("/staff/applications/{application_id:int}/deadline", name="staff:deadline")
async def staff_deadline(request: Request, application_id: FromPath[int]) -> Response:
    application = await get_application_for(current_user(request), application_id, "staff")
    notice = DEADLINE_NOTICES.get(request.query_params.get("done", ""), "")
    return render(request, "staff/deadline.html", await _deadline_page(application, notice=notice))


@post("/staff/applications/{application_id:int}/extension", name="staff:extend")
async def staff_extend(request: Request, application_id: FromPath[int]) -> Response:
    application = await get_application_for(current_user(request), application_id, "staff")
    data = await read_form(request)
    try:
        deadline, reason = forms.extension(data, application["program"]["timezone"], clock.now())
    except Invalid as exc:
        values = {"deadline": text(data, "deadline", 40), "reason": text(data, "reason", application_forms.MAX_REASON_CHARS)}
        ctx = await _deadline_page(application, errors=exc.errors, values=values)
        return render(request, "staff/deadline.html", ctx, status_code=422)
    await lifecycle.extend_deadline(actor(request), application_id, deadline, reason,
                                    request.app.state.settings.public_url)
    return redirect(request, f"/staff/applications/{application_id}/deadline?done=extended")


async def _act_with_reason(request: Request, application_id: int, action: str, noun: str,
                           service: Callable[..., Awaitable[Any]], done: str) -> Response:
    """Reopen or restore: the reason checked (the deadline page again with its error, 422), then the service."""
    application = await get_application_for(current_user(request), application_id, "staff")
    data = await read_form(request)
    try:
        reason = application_forms.reason_input(data, noun)
    except Invalid as exc:
        ctx = await _deadline_page(application, **{
            f"{action}_errors": {f"{action}-reason": exc.errors["reason"]},
            f"{action}_reason": text(data, "reason", application_forms.MAX_REASON_CHARS)})
        return render(request, "staff/deadline.html", ctx, status_code=422)
    await service(actor(request), application_id, reason, request.app.state.settings.public_url)
    return redirect(request, f"/staff/applications/{application_id}/deadline?done={done}")


@post("/staff/applications/{application_id:int}/reopen", name="staff:reopen")
async def staff_reopen(request: Request, application_id: FromPath[int]) -> Response:
    return await _act_with_reason(request, application_id, "reopen", "reopening", lifecycle.reopen_application,
                                  "reopened")


@post("/staff/applications/{application_id:int}/restore", name="staff:restore")
async def staff_restore(request: Request, application_id: FromPath[int]) -> Response:
    return await _act_with_reason(request, application_id, "restore", "restoration", lifecycle.restore_application,
                                  "restored")


ROUTES = [staff_home, staff_program, staff_invite, staff_application, staff_assign, staff_unassign,
          staff_grace, staff_deadline, staff_extend, staff_reopen, staff_restore]
