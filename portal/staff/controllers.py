"""Program staff pages: my programs, a program's ranked applications, one application with its reviews and
reviewer assignment, invitations, and the grace period (an application's deadline: deadline/; the mail
pages: mail/)."""

from __future__ import annotations

from typing import Any

from litestar import Response, get, post
from litestar.params import FromPath

from portal.applications import queries as application_queries
from portal.core.errors import Invalid
from portal.core.actor import Principal
from portal.programs.access import get_program_for_staff, require_staff
from portal.programs.records import ProgramRecord
from portal.reviews import queries as review_queries
from portal.reviews.ranking import queries as ranking
from portal.reviews import services as review_services
from portal.reviews.records import ApplicationScores, ReviewedApplication
from portal.reviews.rules import SCORING_METHOD
from portal.staff import forms, queries, services
from portal.staff.mail import queries as mail_queries
from portal.web.auth import actor, current_user
from portal.web.forms import read_form, text
from portal.web.render import redirect, render
from portal.web.sessions import PortalRequest


@get("/staff", name="staff:home")
async def staff_home(request: PortalRequest) -> Response[str]:
    user = current_user(request)
    require_staff(user)
    programs = await queries.list_staff_programs(user)
    return render(request, "staff/index.html", {"programs": programs})


async def _program_page(program: ProgramRecord, **extra: Any) -> dict[str, Any]:
    return {
        "program": program,
        "applications": await queries.list_program_applications(program.id),
        "funders": await queries.list_program_funders(program.id),
        "reviewers": await review_queries.list_program_reviewers(program.id),
        "method": SCORING_METHOD, "roles": forms.INVITABLE_ROLES,
        "values": {}, "errors": {}, "invited": "",
        "drafts": await application_queries.list_program_drafts(program.id),
        "withdrawn": await application_queries.list_program_withdrawn(program.id),
        "grace_errors": {}, "grace_value": str(program.grace_minutes),
        "mail_trouble": await mail_queries.count_program_mail_trouble(program.id),
    } | extra


@get("/staff/programs/{program_id:int}", name="staff:program")
async def staff_program(request: PortalRequest, program_id: FromPath[int]) -> Response[str]:
    program = await get_program_for_staff(current_user(request), program_id)
    ctx = await _program_page(program, invited=request.query_params.get("invited", "")[:320])
    return render(request, "staff/program.html", ctx)


@post("/staff/programs/{program_id:int}/invitations", name="staff:invite")
async def staff_invite(request: PortalRequest, program_id: FromPath[int]) -> Response[str]:
    program = await get_program_for_staff(current_user(request), program_id)
    data = await read_form(request)
    funders = await queries.list_program_funders(program_id)
    try:
        values = forms.invitation(data, [f.id for f in funders])
    except Invalid as exc:
        kept = {k: text(data, k, 320) for k in ("email", "role", "funder_id")}
        ctx = await _program_page(program, values=kept, errors=exc.errors)
        return render(request, "staff/program.html", ctx, block="invite", status_code=422)
    await services.invite_to_program(actor(request), program, values["email"], values["role"],
                                     values["funder_id"], request.app.state.settings.public_url)
    return redirect(request, f"/staff/programs/{program_id}?invited={values['email']}#invite")


@post("/staff/programs/{program_id:int}/grace", name="staff:grace")
async def staff_grace(request: PortalRequest, program_id: FromPath[int]) -> Response[str]:
    program = await get_program_for_staff(current_user(request), program_id)
    data = await read_form(request)
    try:
        minutes = forms.grace_period(data)
    except Invalid as exc:
        ctx = await _program_page(program, grace_errors=exc.errors, grace_value=text(data, "grace_minutes", 12))
        return render(request, "staff/program.html", ctx, block="grace", status_code=422)
    await services.set_grace_period(actor(request), program_id, minutes)
    return redirect(request, f"/staff/programs/{program_id}?grace=saved#grace")


NOT_SCORED = ApplicationScores(weighted_mean=None, reviews_done=0, reviews_assigned=0, rank=None)


async def _application_page(user: Principal, application: ReviewedApplication, **extra: Any) -> dict[str, Any]:
    criteria = await review_queries.list_criteria(application.program)
    scores = await ranking.scores_for_program(application.program)
    return {
        "application": application, "criteria": criteria,
        "reviews": await review_queries.reviews_of_application(application.id, criteria),
        "reviewers": await queries.reviewer_choices(application.program, application),
        "summary": scores.get(application.id, NOT_SCORED), "method": SCORING_METHOD, "errors": {}, "values": {},
    } | extra


@get("/staff/applications/{application_id:int}", name="staff:application")
async def staff_application(request: PortalRequest, application_id: FromPath[int]) -> Response[str]:
    user = current_user(request)
    application = await queries.get_application_for_staff(user, application_id)
    return render(request, "staff/application.html", await _application_page(user, application))


@post("/staff/applications/{application_id:int}/assignments", name="staff:assign")
async def staff_assign(request: PortalRequest, application_id: FromPath[int]) -> Response[str]:
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
async def staff_unassign(request: PortalRequest, assignment_id: FromPath[int]) -> Response[str]:
    await queries.get_assignment_for_staff(current_user(request), assignment_id)
    application_id = await review_services.remove_assignment(actor(request), assignment_id)
    return redirect(request, f"/staff/applications/{application_id}#assignments")


ROUTES = [staff_home, staff_program, staff_invite, staff_application, staff_assign, staff_unassign, staff_grace]
