"""The grantee's answer to an award (accept with signature, or decline) and its countersigned PDF."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath

from portal.awards.acceptance import services
from portal.awards.access import get_award_for
from portal.awards.records import AwardDetail
from portal.awards.tranches import services as tranches
from portal.core.errors import Invalid
from portal.web.auth import actor, current_user
from portal.web.forms import read_form, text
from portal.web.render import redirect, render


def _form(award: AwardDetail, values: dict[str, Any], errors: dict[str, str], form: str) -> dict[str, Any]:
    return {"award": award, "agreement": services.agreement_text(award), "values": values, "errors": errors,
            "form": form, "labels": services.LABELS}


@get("/awards/{award_id:int}/acceptance", name="awards:acceptance")
async def acceptance_page(request: Request, award_id: FromPath[int]) -> Response:
    user = current_user(request)
    award = await get_award_for(user, award_id, "view")
    ctx = _form(award, {}, {}, "")
    ctx |= {"acceptance": await services.get_acceptance(award_id),
            "can_sign": award.status == "offered" and await services.can_sign(user, award)}
    return render(request, "awards/acceptance/acceptance.html", ctx)


@post("/awards/{award_id:int}/acceptance", name="awards:accept")
async def answer(request: Request, award_id: FromPath[int]) -> Response:
    data = await read_form(request)
    user = current_user(request)
    award = await get_award_for(user, award_id, "view")
    settings = request.app.state.settings
    decision = text(data, "decision", 20)
    values: dict[str, Any] = {"typed_name": text(data, "typed_name", 400), "title": text(data, "title", 400),
              "agree": bool(text(data, "agree", 10)), "reason": text(data, "reason", 8000)}
    try:
        if decision == "decline":
            await services.decline_award(actor(request), award, values["reason"], settings.files_dir,
                                           settings.public_url)
        else:
            await services.accept_award(actor(request), award, values["typed_name"], values["title"],
                                          values["agree"], settings.files_dir, settings.public_url)
            await tranches.release_on_acceptance(actor(request), award_id, tranches.gateway_or_none(settings))
    except Invalid as exc:
        ctx = _form(award, values, exc.errors, "decline" if decision == "decline" else "accept")
        ctx |= {"acceptance": None, "can_sign": True}
        return render(request, "awards/acceptance/acceptance.html", ctx, status_code=422)
    return redirect(request, f"/awards/{award_id}")


@get("/awards/{award_id:int}/countersigned.pdf", name="awards:countersigned")
async def countersigned(request: Request, award_id: FromPath[int]) -> Response:
    award = await get_award_for(current_user(request), award_id, "view")
    path = await services.countersigned_path(actor(request), award.id, request.app.state.settings.files_dir)
    return Response(content=path.read_bytes(), media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="award-{int(award_id)}-countersigned.pdf"',
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
    })


ROUTES = [acceptance_page, answer, countersigned]
