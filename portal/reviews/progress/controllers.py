"""Staff page of a panel's review progress, with reminders. Access as the staff program page."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath

from portal.core import clock
from portal.core.errors import Invalid
from portal.programs.records import ProgramRecord
from portal.reviews.assignment.controllers import _require_panel, form_id
from portal.reviews.assignment.queries import get_panel_for_staff
from portal.reviews.progress import queries, services
from portal.reviews.records import PanelRecord
from portal.web.auth import actor, current_user
from portal.web.forms import read_form
from portal.web.render import redirect, render

TEMPLATE = "reviews/progress/progress.html"


async def _context(request: Request, program: ProgramRecord, panel: PanelRecord | None,
                   **extra: Any) -> dict[str, Any]:
    ctx: dict[str, Any] = {"program": program, "panel": panel, "rows": [], "errors": {}, "notice": ""}
    if panel is not None:
        now = clock.now()
        ctx["rows"] = await queries.list_progress(panel, now)
        ctx["past_due"] = panel.due_at is not None and now > clock.as_utc(panel.due_at)
        raw = request.query_params.get("reminded", "")[:6]
        if raw.isdigit():
            count = int(raw)
            ctx["notice"] = (f"{count} reminder{'s' if count != 1 else ''} emailed." if count
                             else "Nobody has a review due: no reminder was sent.")
    return ctx | extra


@get("/staff/programs/{program_id:int}/panel/progress", name="panel:progress")
async def progress_page(request: Request, program_id: FromPath[int]) -> Response:
    program, panel = await get_panel_for_staff(current_user(request), program_id)
    return render(request, TEMPLATE, await _context(request, program, panel))


@post("/staff/programs/{program_id:int}/panel/progress/remind", name="panel:remind")
async def remind(request: Request, program_id: FromPath[int]) -> Response:
    program, panel = await _require_panel(request, program_id)
    data = await read_form(request)
    try:
        reviewer_id = form_id(data, "reviewer", "Choose a reviewer to remind.")
        sent = await services.send_reminders(actor(request), panel, request.app.state.settings.public_url,
                                                      reviewer_id)
    except Invalid as exc:
        ctx = await _context(request, program, panel, errors=exc.errors)
        return render(request, TEMPLATE, ctx, block="progress", status_code=422)
    return redirect(request, f"/staff/programs/{program_id}/panel/progress?reminded={sent}")


@post("/staff/programs/{program_id:int}/panel/progress/remind-all", name="panel:remind_all")
async def remind_all(request: Request, program_id: FromPath[int]) -> Response:
    _, panel = await _require_panel(request, program_id)
    sent = await services.send_reminders(actor(request), panel, request.app.state.settings.public_url)
    return redirect(request, f"/staff/programs/{program_id}/panel/progress?reminded={sent}")


ROUTES = [progress_page, remind, remind_all]
