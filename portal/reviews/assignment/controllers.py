"""Staff pages of a panel's assignment: compute a proposal, preview and adjust it, publish it.

Access as the staff program page: non-staff get 403, staff of another network 404, anonymous visitors are sent
to sign in.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath

from portal.core.audit import list_for
from portal.core.errors import Conflict, Invalid
from portal.programs.records import ProgramRecord
from portal.reviews.assignment import queries as aq
from portal.reviews.assignment import services
from portal.reviews.records import PanelRecord
from portal.web.auth import actor, current_user
from portal.web.forms import read_form, text
from portal.web.render import redirect, render

TEMPLATE = "reviews/assignment/assignment.html"
NOTICES = {
    "computed": "A new proposal is ready: check it below, adjust it, then publish it.",
    "added": "The pair is added to the proposal.",
    "removed": "The pair is taken out of the proposal.",
    "nothing": "Nothing to publish: the proposal was already published, or none was computed.",
}


def _int_param(request: Request, key: str) -> int:
    raw = request.query_params.get(key, "")[:9]
    return int(raw) if raw.isdigit() else 0


def form_id(data: dict[str, Any], key: str, message: str) -> int:
    raw = text(data, key, 12)
    if not raw.isdigit() or not 0 < int(raw) < 2**31:
        raise Invalid({key: message})
    return int(raw)


async def _require_panel(request: Request, program_id: int) -> tuple[ProgramRecord, PanelRecord]:
    program, panel = await aq.get_panel_for_staff(current_user(request), program_id)
    if panel is None:
        raise Conflict("This program has no review panel yet.")
    return program, panel


async def _context(request: Request, program: ProgramRecord, panel: PanelRecord | None,
                   **extra: Any) -> dict[str, Any]:
    ctx: dict[str, Any] = {"program": program, "panel": panel, "errors": {}, "values": {}, "notice": "",
                           "warning": "", "skipped": []}
    if panel is None:
        return ctx | extra
    inputs = await aq.load_inputs(panel)
    ctx |= aq.build_preview(inputs, _int_param(request, "page") or 1)
    done = request.query_params.get("done", "")
    if done == "published":
        created, reviewers = _int_param(request, "created"), _int_param(request, "reviewers")
        ctx["notice"] = (f"Published: {created} assignment{'s' if created != 1 else ''} made, "
                         f"{reviewers} reviewer{'s' if reviewers != 1 else ''} notified by email.")
        events = [e for e in await list_for("review_panel", panel.id) if e["action"] == "panel.assignment_published"]
        if events:
            names = {m.user: m.name for m in inputs.members}
            titles = {a.id: a.title for a in inputs.applications}
            ctx["skipped"] = [{**s, "name": names.get(s["reviewer"], f"Reviewer {s['reviewer']}"),
                               "title": titles.get(s["application"], f"Application {s['application']}")}
                              for s in events[-1]["detail"].get("skipped", [])]
    else:
        ctx["notice"] = NOTICES.get(done, "")
    warn = _int_param(request, "over")
    over = next((r for r in ctx["reviewers"] if r["user"] == warn and r["over"]), None)
    if over:
        ctx["warning"] = (f"{over['name']} now has {over['load']} applications, more than their capacity of "
                          f"{over['capacity']}.")
    return ctx | extra


@get("/staff/programs/{program_id:int}/panel/assignment", name="panel:assignment")
async def assignment_page(request: Request, program_id: FromPath[int]) -> Response:
    program, panel = await aq.get_panel_for_staff(current_user(request), program_id)
    return render(request, TEMPLATE, await _context(request, program, panel))


@post("/staff/programs/{program_id:int}/panel/assignment/compute", name="panel:compute")
async def compute(request: Request, program_id: FromPath[int]) -> Response:
    _, panel = await _require_panel(request, program_id)
    await services.compute_proposal(actor(request), panel)
    return redirect(request, f"/staff/programs/{program_id}/panel/assignment?done=computed")


@post("/staff/programs/{program_id:int}/panel/assignment/pairs", name="panel:add_pair")
async def add_pair(request: Request, program_id: FromPath[int]) -> Response:
    program, panel = await _require_panel(request, program_id)
    data = await read_form(request)
    try:
        errors: dict[str, str] = {}
        ids = {}
        for key, message in (("application", "Choose an application."), ("reviewer", "Choose a reviewer.")):
            try:
                ids[key] = form_id(data, key, message)
            except Invalid as exc:
                errors |= exc.errors
        if errors:
            raise Invalid(errors)
        edit = await services.add_pair(actor(request), panel.id, ids["application"], ids["reviewer"])
    except Invalid as exc:
        values = {k: text(data, k, 12) for k in ("application", "reviewer")}
        ctx = await _context(request, program, panel, errors=exc.errors, values=values)
        return render(request, TEMPLATE, ctx, block="adjust", status_code=422)
    over = f"&over={ids['reviewer']}" if edit.warning else ""
    return redirect(request, f"/staff/programs/{program_id}/panel/assignment?done=added{over}#adjust")


@post("/staff/programs/{program_id:int}/panel/assignment/pairs/remove", name="panel:remove_pair")
async def remove_pair(request: Request, program_id: FromPath[int]) -> Response:
    program, panel = await _require_panel(request, program_id)
    data = await read_form(request)
    try:
        application_id = form_id(data, "application", "Choose a proposed pair to remove.")
        reviewer_id = form_id(data, "reviewer", "Choose a proposed pair to remove.")
        await services.remove_pair(actor(request), panel.id, application_id, reviewer_id)
    except Invalid as exc:
        errors = {"pair": next(iter(exc.errors.values()))}
        ctx = await _context(request, program, panel, errors=errors)
        return render(request, TEMPLATE, ctx, block="adjust", status_code=422)
    page = _int_param(request, "page")
    return redirect(request, f"/staff/programs/{program_id}/panel/assignment?done=removed"
                             f"{f'&page={page}' if page else ''}#applications")


@post("/staff/programs/{program_id:int}/panel/assignment/publish", name="panel:publish")
async def publish(request: Request, program_id: FromPath[int]) -> Response:
    _, panel = await _require_panel(request, program_id)
    outcome = await services.publish_proposal(actor(request), panel.id,
                                                         request.app.state.settings.public_url)
    if not outcome.done:
        return redirect(request, f"/staff/programs/{program_id}/panel/assignment?done=nothing")
    return redirect(request, f"/staff/programs/{program_id}/panel/assignment?done=published"
                             f"&created={outcome.created}&reviewers={outcome.reviewers}")


ROUTES = [assignment_page, compute, add_pair, remove_pair, publish]
