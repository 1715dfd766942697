"""Follow-up reports: the grantee fills one in and submits it; the program's staff read it."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath

from portal.core.errors import Invalid
from portal.programs import formdef
from portal.programs.queries import get_form_version
from portal.reporting import forms, services
from portal.reporting.access import get_report_for
from portal.web.auth import actor, current_user
from portal.web.forms import read_form
from portal.web.render import redirect, render

MESSAGES = {"saved": "Your draft is saved.", "submitted": "Your report is submitted. The program team has been told."}


async def page_context(request: Request, report: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    form = await get_form_version(report["form_version"])
    assert form is not None
    return {
        "report": report, "schema": form.schema, "labels": formdef.labels(form.schema),
        "editing": report["status"] == "draft" and "edit" in report["rights"], "answers": report["answers"],
        "errors": {}, "version": report["version"], "conflict": "",
        "notice": MESSAGES.get(request.query_params.get("done", ""), ""),
    } | overrides


@get("/reports/{report_id:int}", name="reporting:detail")
async def detail(request: Request, report_id: FromPath[int]) -> Response:
    report = await get_report_for(current_user(request), report_id, "view")
    return render(request, "reporting/detail.html", await page_context(request, report))


@post("/reports/{report_id:int}", name="reporting:save")
async def save(request: Request, report_id: FromPath[int]) -> Response:
    data = await read_form(request)
    report = await get_report_for(current_user(request), report_id, "edit")
    ctx = await page_context(request, report)
    try:
        version, answers = forms.draft_input(ctx["schema"], data)
        if forms.wants_submit(data):
            await services.submit_report(actor(request), report_id, request.app.state.settings.public_url,
                                         (version, answers))
        else:
            await services.save_report_draft(actor(request), report_id, version, answers)
    except Invalid as exc:
        typed = getattr(exc, "answers", None) or formdef.validate_draft(ctx["schema"], data)[0]
        return render(request, "reporting/detail.html", ctx | {"answers": typed, "errors": exc.errors},
                      block="form", status_code=422)
    except services.StaleReport as exc:
        return render(request, "reporting/detail.html", ctx | {
            "answers": exc.current["answers"], "version": exc.current["version"], "conflict": exc.message},
            block="form", status_code=409)
    done = "submitted" if forms.wants_submit(data) else "saved"
    return redirect(request, f"/reports/{report_id}?done={done}")


ROUTES = [detail, save]
