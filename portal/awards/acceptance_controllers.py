"""The grantee's answer to an award (accept with signature, or decline), its countersigned PDF, and the extra
context the award page shows for acceptance, tranches, payouts and the ledger."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath

from portal.awards import acceptance, rules, tranches
from portal.awards.access import get_award_for
from portal.core.actor import Principal
from portal.core.errors import Invalid
from portal.payments import ledger, onboarding
from portal.reporting.queries import list_reports_for_award
from portal.web.auth import actor, current_user
from portal.web.forms import read_form, text
from portal.web.render import redirect, render


async def award_extras(user: Principal, award: dict[str, Any]) -> dict[str, Any]:
    """What the award page shows from this piece: the acceptance, whether `user` signs, the tranches, the
    payout account (for the city's owner), the ledger (for staff)."""
    manage = rules.can_manage_award(user, award)
    answer = await acceptance.get_acceptance(award["id"])
    return {
        "acceptance": answer,
        "shown_status": rules.shown_status(award, answer),
        "can_sign": award["status"] == "offered" and await acceptance.can_sign(user, award),
        "tranches": await tranches.list_tranches(award["id"]),
        "triggers": tranches.TRIGGERS,
        "tranche_statuses": tranches.STATUSES,
        "payout": await onboarding.get_payout(award["city_id"]),
        "can_set_up_payouts": rules.can_set_up_payouts(user, award),
        "award_ledger": await ledger.award_ledger(award["id"]) if manage else None,
    }


async def award_page_context(user: Principal, award: dict[str, Any]) -> dict[str, Any]:
    return {"award": award, "reports": await list_reports_for_award(award["id"]),
            "can_manage": rules.can_manage_award(user, award), "schedule_values": {}, "schedule_errors": {},
            "manual_errors": {}, "manual_tranche": None,
            **await award_extras(user, award)}


def _form(award: dict[str, Any], values: dict[str, Any], errors: dict[str, str], form: str) -> dict[str, Any]:
    return {"award": award, "agreement": acceptance.agreement_text(award), "values": values, "errors": errors,
            "form": form, "labels": acceptance.LABELS}


@get("/awards/{award_id:int}/acceptance", name="awards:acceptance")
async def acceptance_page(request: Request, award_id: FromPath[int]) -> Response:
    user = current_user(request)
    award = await get_award_for(user, award_id, "view")
    ctx = _form(award, {}, {}, "")
    ctx |= {"acceptance": await acceptance.get_acceptance(award_id),
            "can_sign": award["status"] == "offered" and await acceptance.can_sign(user, award)}
    return render(request, "awards/acceptance.html", ctx)


@post("/awards/{award_id:int}/acceptance", name="awards:accept")
async def answer(request: Request, award_id: FromPath[int]) -> Response:
    data = await read_form(request)
    user = current_user(request)
    award = await get_award_for(user, award_id, "view")
    settings = request.app.state.settings
    decision = text(data, "decision", 20)
    values = {"typed_name": text(data, "typed_name", 400), "title": text(data, "title", 400),
              "agree": bool(text(data, "agree", 10)), "reason": text(data, "reason", 8000)}
    try:
        if decision == "decline":
            await acceptance.decline_award(actor(request), award, values["reason"], settings.files_dir,
                                           settings.public_url)
        else:
            await acceptance.accept_award(actor(request), award, values["typed_name"], values["title"],
                                          values["agree"], settings.files_dir, settings.public_url)
            await tranches.release_on_acceptance(actor(request), award_id, tranches.gateway_or_none(settings))
    except Invalid as exc:
        ctx = _form(award, values, exc.errors, "decline" if decision == "decline" else "accept")
        ctx |= {"acceptance": None, "can_sign": True}
        return render(request, "awards/acceptance.html", ctx, status_code=422)
    return redirect(request, f"/awards/{award_id}")


@get("/awards/{award_id:int}/countersigned.pdf", name="awards:countersigned")
async def countersigned(request: Request, award_id: FromPath[int]) -> Response:
    award = await get_award_for(current_user(request), award_id, "view")
    path = await acceptance.countersigned_path(actor(request), award["id"], request.app.state.settings.files_dir)
    return Response(content=path.read_bytes(), media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="award-{int(award_id)}-countersigned.pdf"',
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
    })


ROUTES = [acceptance_page, answer, countersigned]
