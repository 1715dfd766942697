"""An application's deadline and status for the program staff: its extension, reopening, restoring a
withdrawal, and its history."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Response, get, post
from litestar.params import FromPath

from portal.applications import forms as application_forms
from portal.applications import lifecycle
from portal.applications import queries as application_queries
from portal.applications import rules as application_rules
from portal.applications.access import get_application_for
from portal.applications.records import ApplicationForUser
from portal.core import clock
from portal.core.errors import Invalid
from portal.staff.deadline import forms
from portal.web.auth import actor, current_user
from portal.web.forms import read_form, text
from portal.web.render import redirect, render
from portal.web.sessions import PortalRequest


DEADLINE_NOTICES = {"extended": "The new deadline is set and the city's team is told.",
                    "reopened": "The application is a draft again and the city's team is told.",
                    "restored": "The withdrawal is undone and the city's team is told."}


async def _deadline_page(application: ApplicationForUser, **extra: Any) -> dict[str, Any]:
    """The staff page of one application's deadline and status: its extension, reopening, and history."""
    program = application.program
    extended = application.extended_deadline_at
    return {
        "application": application, "program": program,
        "deadline": application_rules.effective_deadline(program, extended),
        "accepting": application_rules.may_submit_at(program, extended, clock.now()),
        "can_reopen": application_rules.can_transition(application.status, "draft"),
        "can_extend": application.status in lifecycle.EXTENDABLE,
        "can_restore": application.status == "withdrawn",
        "restores_to": application_rules.restored_status(application.receipt_number),
        "history": await application_queries.list_status_history(application.id),
        "errors": {}, "values": {}, "reopen_errors": {}, "reopen_reason": "", "notice": "",
        "restore_errors": {}, "restore_reason": "",
    } | extra


@get("/staff/applications/{application_id:int}/deadline", name="staff:deadline")
async def staff_deadline(request: PortalRequest, application_id: FromPath[int]) -> Response[str]:
    application = await get_application_for(current_user(request), application_id, "staff")
    notice = DEADLINE_NOTICES.get(request.query_params.get("done", ""), "")
    return render(request, "staff/deadline/deadline.html", await _deadline_page(application, notice=notice))


@post("/staff/applications/{application_id:int}/extension", name="staff:extend")
async def staff_extend(request: PortalRequest, application_id: FromPath[int]) -> Response[str]:
    application = await get_application_for(current_user(request), application_id, "staff")
    data = await read_form(request)
    try:
        deadline, reason = forms.extension(data, application.program.timezone, clock.now())
    except Invalid as exc:
        values = {"deadline": text(data, "deadline", 40), "reason": text(data, "reason", application_forms.MAX_REASON_CHARS)}
        ctx = await _deadline_page(application, errors=exc.errors, values=values)
        return render(request, "staff/deadline/deadline.html", ctx, status_code=422)
    await lifecycle.extend_deadline(actor(request), application_id, deadline, reason,
                                    request.app.state.settings.public_url)
    return redirect(request, f"/staff/applications/{application_id}/deadline?done=extended")


async def _act_with_reason(request: PortalRequest, application_id: int, action: str, noun: str,
                           service: Callable[..., Awaitable[Any]], done: str) -> Response[str]:
    """Reopen or restore: the reason checked (the deadline page again with its error, 422), then the service."""
    application = await get_application_for(current_user(request), application_id, "staff")
    data = await read_form(request)
    try:
        reason = application_forms.reason_input(data, noun)
    except Invalid as exc:
        ctx = await _deadline_page(application, **{
            f"{action}_errors": {f"{action}-reason": exc.errors["reason"]},
            f"{action}_reason": text(data, "reason", application_forms.MAX_REASON_CHARS)})
        return render(request, "staff/deadline/deadline.html", ctx, status_code=422)
    await service(actor(request), application_id, reason, request.app.state.settings.public_url)
    return redirect(request, f"/staff/applications/{application_id}/deadline?done={done}")


@post("/staff/applications/{application_id:int}/reopen", name="staff:reopen")
async def staff_reopen(request: PortalRequest, application_id: FromPath[int]) -> Response[str]:
    return await _act_with_reason(request, application_id, "reopen", "reopening", lifecycle.reopen_application,
                                  "reopened")


@post("/staff/applications/{application_id:int}/restore", name="staff:restore")
async def staff_restore(request: PortalRequest, application_id: FromPath[int]) -> Response[str]:
    return await _act_with_reason(request, application_id, "restore", "restoration", lifecycle.restore_application,
                                  "restored")


ROUTES = [staff_deadline, staff_extend, staff_reopen, staff_restore]
