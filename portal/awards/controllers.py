"""Award decisions (staff), the award page and the award letter download."""

from __future__ import annotations

import re
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath

from portal.applications.access import get_application_for
from portal.awards import forms, queries, services
from portal.awards.access import get_award_for
from portal.core.errors import Conflict, Invalid
from portal.reviews.ranking.queries import scores_for_program
from portal.web.auth import actor, current_user
from portal.web.forms import read_form, text
from portal.web.render import redirect, render

DECIDABLE = "submitted"
UNDECIDABLE_ANYWAY = {"draft", "withdrawn"}  # nothing to show: refuse the page too


async def decision_context(application: dict[str, Any]) -> dict[str, Any]:
    program = application["program"]
    committed = await queries.committed_cents(program["id"])
    scores = await scores_for_program(program["id"])
    return {
        "application": application, "program": program, "score": scores.get(application["id"]),
        "committed_cents": committed, "budget_left_cents": int(program["budget_cents"]) - committed,
        "award": await queries.award_for_application(application["id"]),
    }


def award_defaults(program: dict[str, Any]) -> dict[str, str]:
    return {"amount": "", "ta_hours": "", "conditions": program["letter_conditions"] or "", "note": "",
            "start_date": program["award_start"].isoformat() if program["award_start"] else "",
            "end_date": program["award_end"].isoformat() if program["award_end"] else ""}


def refuse_undecidable(application: dict[str, Any], allow_decided: bool) -> None:
    status = application["status"]
    if status != DECIDABLE and (status in UNDECIDABLE_ANYWAY or not allow_decided):
        raise Conflict(services.undecidable_message(status))


@get("/staff/applications/{application_id:int}/decision", name="awards:decision")
async def decision_page(request: Request, application_id: FromPath[int]) -> Response:
    application = await get_application_for(current_user(request), application_id, "staff")
    refuse_undecidable(application, allow_decided=True)
    ctx = await decision_context(application)
    return render(request, "awards/decision.html", ctx | {"values": award_defaults(application["program"]),
                                                          "errors": {}, "form": ""})


@post("/staff/applications/{application_id:int}/decision", name="awards:decide")
async def decide(request: Request, application_id: FromPath[int]) -> Response:
    data = await read_form(request)
    application = await get_application_for(current_user(request), application_id, "staff")
    refuse_undecidable(application, allow_decided=False)
    settings = request.app.state.settings
    decision = "decline" if text(data, "decision", 20) == "decline" else "award"
    try:
        if decision == "decline":
            await services.decline_application(actor(request), application_id, forms.decline_input(data),
                                               settings.public_url)
            return redirect(request, f"/staff/applications/{application_id}/decision")
        program = application["program"]
        award = forms.award_input(data, await queries.budget_left_cents(program["id"]), program["offer_kind"])
        award_id = await services.decide_award(actor(request), application_id, award, settings.public_url,
                                               settings.files_dir)
    except Invalid as exc:
        ctx = await decision_context(application)
        kept = award_defaults(application["program"]) | forms.kept_values(data)
        return render(request, "awards/decision.html", ctx | {"values": kept, "errors": exc.errors, "form": decision},
                      status_code=422)
    return redirect(request, f"/awards/{award_id}")


@get("/awards/{award_id:int}", name="awards:detail")
async def award_page(request: Request, award_id: FromPath[int]) -> Response:
    user = current_user(request)
    award = await get_award_for(user, award_id, "view")
    from portal.awards.acceptance_controllers import award_page_context  # acceptance, tranches, ledger (i5)

    return render(request, "awards/detail.html", await award_page_context(user, award))


def letter_filename(award: dict[str, Any]) -> str:
    """ASCII letters, digits and dashes only: safe in a header and on every file system."""
    slug = re.sub(r"[^a-z0-9]+", "-", f"{award['program_slug']} {award['city_name']}".lower()).strip("-")[:80]
    return f"award-letter-{slug or 'award'}-{int(award['id'])}.pdf"


@get("/awards/{award_id:int}/letter.pdf", name="awards:letter")
async def letter(request: Request, award_id: FromPath[int]) -> Response:
    award = await get_award_for(current_user(request), award_id, "view")
    content = await services.letter_bytes(actor(request), award, request.app.state.settings.files_dir)
    return Response(content=content, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{letter_filename(award)}"',
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
    })


ROUTES = [decision_page, decide, award_page, letter]
