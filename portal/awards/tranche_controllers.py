"""Staff define an award's payment schedule, send a released tranche through Stripe, record a manual payment,
and approve a report (which releases the tranches waiting for it)."""

from __future__ import annotations

from litestar import Request, Response, post
from litestar.params import FromPath

from portal.awards import services as award_services
from portal.awards import tranches
from portal.awards.controllers import award_page_context
from portal.awards.access import get_award_for
from portal.awards.tranche_tables import Tranche
from portal.core.errors import Invalid, NotFound
from portal.payments.gateway import gateway_for
from portal.reporting.access import get_report_for
from portal.web.auth import actor, current_user
from portal.web.forms import read_form, text
from portal.web.render import redirect, render


@post("/awards/{award_id:int}/tranches", name="awards:tranches")
async def set_schedule(request: Request, award_id: FromPath[int]) -> Response:
    data = await read_form(request)
    user = current_user(request)
    award = await get_award_for(user, award_id, "manage")
    tranches.refuse_unpaid(award)
    try:
        rows = tranches.schedule_input(data, award["terms"].cash_cents)
        await tranches.set_schedule(actor(request), award_id, rows)
    except Invalid as exc:
        ctx = await award_page_context(user, award)
        ctx |= {"schedule_values": {k: text(data, k, 40) for k in data if not k.startswith("_")},
                "schedule_errors": exc.errors}
        return render(request, "awards/detail.html", ctx, status_code=422)
    if award["status"] == "accepted":
        await tranches.release_on_acceptance(actor(request), award_id,
                                             tranches.gateway_or_none(request.app.state.settings))
    await award_services.remake_letter(actor(request), award, request.app.state.settings.files_dir)  # if offered
    return redirect(request, f"/awards/{award_id}#tranches")


async def _tranche_of(award_id: int, tranche_id: int) -> None:
    if not await Tranche.exists().where((Tranche.id == tranche_id) & (Tranche.award == award_id)):
        raise NotFound()


@post("/awards/{award_id:int}/tranches/{tranche_id:int}/send", name="awards:tranche-send")
async def send(request: Request, award_id: FromPath[int], tranche_id: FromPath[int]) -> Response:
    await get_award_for(current_user(request), award_id, "manage")
    await _tranche_of(award_id, tranche_id)
    await tranches.send_through_stripe(actor(request), tranche_id,
                                       tranches.gateway_or_none(request.app.state.settings))
    return redirect(request, f"/awards/{award_id}#tranches")


@post("/awards/{award_id:int}/tranches/{tranche_id:int}/retry", name="awards:tranche-retry")
async def retry(request: Request, award_id: FromPath[int], tranche_id: FromPath[int]) -> Response:
    """Send a transfer Stripe did not answer again (the same idempotency key; audited)."""
    await get_award_for(current_user(request), award_id, "manage")
    await _tranche_of(award_id, tranche_id)
    await tranches.retry_send(actor(request), tranche_id, gateway_for(request.app.state.settings.stripe))
    return redirect(request, f"/awards/{award_id}#tranches")


@post("/awards/{award_id:int}/tranches/{tranche_id:int}/manual", name="awards:tranche-manual")
async def manual(request: Request, award_id: FromPath[int], tranche_id: FromPath[int]) -> Response:
    data = await read_form(request)
    user = current_user(request)
    award = await get_award_for(user, award_id, "manage")
    await _tranche_of(award_id, tranche_id)
    try:
        await tranches.pay_manually(actor(request), tranche_id, text(data, "rail", 10), text(data, "reference", 400))
    except Invalid as exc:
        ctx = await award_page_context(user, award)
        ctx |= {"manual_errors": exc.errors, "manual_tranche": tranche_id}
        return render(request, "awards/detail.html", ctx, status_code=422)
    return redirect(request, f"/awards/{award_id}#tranches")


@post("/staff/reports/{report_id:int}/approve", name="awards:report-approve")
async def approve_report(request: Request, report_id: FromPath[int]) -> Response:
    report = await get_report_for(current_user(request), report_id, "staff")
    await tranches.approve_report(actor(request), report, tranches.gateway_or_none(request.app.state.settings))
    return redirect(request, f"/awards/{report['award']}#tranches")


ROUTES = [set_schedule, send, retry, manual, approve_report]
