"""The panel meeting page and its actions: the not-discussed share, consensus per application, pulling an
application back into discussion, and finalising the panel ranking."""

from __future__ import annotations

import math
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.plugins.htmx import HTMXRequest

from portal.core.errors import Invalid, NotFound
from portal.reviews.meetings import forms, queries, rules, services
from portal.reviews.ranking.queries import panel_ranking
from portal.reviews.queries import list_criteria
from portal.reviews.ranking.rules import scale_of
from portal.reviews.panels.access import get_meeting_application, get_program_for_panel_staff
from portal.reviews.records import PanelOutcomeRecord, PanelProgram, PanelRecord
from portal.web.auth import actor, current_user
from portal.web.forms import read_form, text
from portal.web.render import redirect, render

ITEM_TEMPLATE = "reviews/meetings/meeting_item.html"


PAGE_SIZE = 50  # applications per page of the discussion order (the meeting walks through them in turn)


def _page_number(raw: str) -> int:
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 6 else 1


async def meeting_context(program: PanelProgram, *, page: int = 1, focus: int | None = None,
                          errors: dict[int, dict[str, str]] | None = None,
                          values: dict[int, dict[str, str]] | None = None, share_errors: dict[str, str] | None = None,
                          share_value: str | None = None, only: int | None = None) -> dict[str, Any]:
    """Everything the meeting page shows: one page of the discussion order (the page holding `focus` if given),
    or with `only` just that application's item; the share form; the final ranking."""
    panel = program.panel
    result = await panel_ranking(program.id)
    ctx: dict[str, Any] = {"program": program, "panel": panel, "ranking": result, "scale": result.scale,
                           "rules": [rules.DISCUSSION_ORDER, rules.NOT_DISCUSSED_RULE, rules.FINAL_RULE],
                           "labels": rules.STATUS_LABELS, "share_errors": share_errors or {},
                           "max_share": rules.MAX_SHARE, "max_note": forms.MAX_NOTE_CHARS, "saved": False}
    if panel is None:
        return ctx
    outcomes = await queries.outcomes_of(panel.id)
    statuses = {app_id: o.status for app_id, o in outcomes.items()}
    order = rules.discussion_order(result.rows, statuses)
    pages = max(1, math.ceil(len(order) / PAGE_SIZE))
    if focus in result.by_id:
        page = order.index(focus) // PAGE_SIZE + 1
    page = min(max(1, page), pages)
    window = [only] if only is not None else order[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]
    positions = {app_id: position for position, app_id in enumerate(order, start=1)}
    away = await queries.out_of_room(panel.id, window)
    items = []
    for app_id in window:
        outcome = outcomes.get(app_id) or _pending(panel.id, app_id)
        score = outcome.consensus_score
        kept = (values or {}).get(app_id) or {
            "consensus_score": "" if score is None else forms.format_value(score),
            "consensus_note": outcome.consensus_note, "minority_view": outcome.minority_view}
        items.append({"row": result.by_id[app_id], "outcome": outcome, "position": positions[app_id],
                      "away": away.get(app_id, []), "errors": (errors or {}).get(app_id, {}), "kept": kept})
    final = []
    for entry in rules.final_order(result.rows, outcomes, result.scale):
        saved_outcome = outcomes.get(entry.id)
        saved = saved_outcome.final_rank if saved_outcome is not None else None
        final.append(msgspec.structs.asdict(entry) | {
            "title": result.by_id[entry.id].title or "Untitled application",
            "saved": "—" if saved is None else str(saved), "score_text": f"{entry.score:.2f}"})
    ctx |= {"items": items, "item": items[0] if only is not None and items else None, "final": final,
            "page": page, "pages": pages, "count": len(order), "page_size": PAGE_SIZE,
            "counts": {label: sum(1 for a in order if statuses.get(a, "pending") == key)
                       for key, label in rules.STATUS_LABELS.items()},
            "finalised": any(o.final_rank is not None for o in outcomes.values()),
            "share_value": share_value if share_value is not None else str(panel.not_discussed_percent)}
    return ctx


def _pending(panel_id: int, application_id: int) -> PanelOutcomeRecord:
    """The outcome of an application the meeting has recorded nothing about yet (not stored: id 0)."""
    return PanelOutcomeRecord(id=0, panel=panel_id, application=application_id, discussion_position=None,
                              status="pending", consensus_score=None, consensus_note="", minority_view="",
                              final_rank=None, updated_by=None, updated_at=None)


def _is_htmx(request: Request) -> bool:
    return isinstance(request, HTMXRequest) and bool(request.htmx)


def _meeting_url(program_id: int, anchor: str = "", focus: int | None = None) -> str:
    return (f"/staff/programs/{program_id}/panel/meeting" + (f"?focus={focus}" if focus else "")
            + (f"#{anchor}" if anchor else ""))


async def _panel_program(request: Request, program_id: int) -> tuple[PanelProgram, PanelRecord]:
    """The program and its panel, for the program's staff; NotFound without a panel."""
    program = await get_program_for_panel_staff(current_user(request), program_id)
    if program.panel is None:
        raise NotFound()
    return program, program.panel


@get("/staff/programs/{program_id:int}/panel/meeting", name="panel:meeting")
async def meeting_page(request: Request, program_id: FromPath[int]) -> Response:
    program = await get_program_for_panel_staff(current_user(request), program_id)
    query = request.query_params
    raw_focus = query.get("focus", "")
    focus = int(raw_focus) if raw_focus.isascii() and raw_focus.isdigit() and len(raw_focus) <= 10 else None
    ctx = await meeting_context(program, page=_page_number(query.get("page", "1")), focus=focus)
    return render(request, "reviews/meetings/meeting.html", ctx)


@post("/staff/programs/{program_id:int}/panel/meeting/share", name="panel:share")
async def meeting_share(request: Request, program_id: FromPath[int]) -> Response:
    program, panel = await _panel_program(request, program_id)
    data = await read_form(request)
    try:
        percent = forms.not_discussed_share(data)
    except Invalid as exc:
        ctx = await meeting_context(program, share_errors=exc.errors, share_value=text(data, "not_discussed_percent", 12))
        return render(request, "reviews/meetings/meeting.html", ctx, block="share", status_code=422)
    await services.set_not_discussed_share(actor(request), panel.id, percent,
                                          await panel_ranking(program_id))
    return redirect(request, _meeting_url(program_id, "share"))


@post("/staff/programs/{program_id:int}/panel/meeting/applications/{application_id:int}", name="panel:consensus")
async def meeting_consensus(request: Request, program_id: FromPath[int], application_id: FromPath[int]) -> Response:
    program, panel = await _panel_program(request, program_id)
    await get_meeting_application(program, application_id)
    data = await read_form(request)
    result_scale = scale_of(await list_criteria(program_id))
    try:
        values = forms.consensus(data, result_scale)
    except Invalid as exc:
        kept = {k: text(data, k, forms.MAX_NOTE_CHARS + 1) for k in ("consensus_score", "consensus_note",
                                                                             "minority_view")}
        kept["consensus_score"] = kept["consensus_score"][:20]
        if _is_htmx(request):
            ctx = await meeting_context(program, errors={application_id: exc.errors}, values={application_id: kept},
                                        only=application_id)
            return render(request, ITEM_TEMPLATE, ctx, status_code=422)
        ctx = await meeting_context(program, errors={application_id: exc.errors}, values={application_id: kept},
                                    focus=application_id)
        return render(request, "reviews/meetings/meeting.html", ctx, status_code=422)
    await services.record_consensus(actor(request), panel.id, application_id, values)
    if _is_htmx(request):
        ctx = await meeting_context(program, only=application_id)
        return render(request, ITEM_TEMPLATE, ctx | {"saved": True})
    return redirect(request, _meeting_url(program_id, f"outcome-{application_id}", focus=application_id))


@post("/staff/programs/{program_id:int}/panel/meeting/applications/{application_id:int}/pull-back",
      name="panel:pull_back")
async def meeting_pull_back(request: Request, program_id: FromPath[int], application_id: FromPath[int]) -> Response:
    program, panel = await _panel_program(request, program_id)
    await get_meeting_application(program, application_id)
    await services.pull_back(actor(request), panel.id, application_id)
    return redirect(request, _meeting_url(program_id, f"outcome-{application_id}", focus=application_id))


@post("/staff/programs/{program_id:int}/panel/meeting/finalise", name="panel:finalise")
async def meeting_finalise(request: Request, program_id: FromPath[int]) -> Response:
    program, panel = await _panel_program(request, program_id)
    await services.finalise_ranking(actor(request), panel.id, await panel_ranking(program_id))
    return redirect(request, _meeting_url(program_id, "final"))


ROUTES = [meeting_page, meeting_share, meeting_consensus, meeting_pull_back, meeting_finalise]
