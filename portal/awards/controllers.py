"""Award decisions (staff), the award page (with what it shows of the acceptance, tranches, payouts and the
ledger), the award letter download, and the award page's payment schedule forms: staff define the schedule, send a
released tranche through Stripe, record a manual payment, and approve a report (which releases the tranches waiting
for it). The tranche routes are here, not in tranches/, because they re-render the award page, which shows the
acceptance too, and the acceptance releases tranches: tranches/ cannot import the page without a cycle.

The city's owner also sets up Stripe payouts from the award page: to Stripe's hosted onboarding and back, where the
account's flags are read again and the award page shows. Payments keeps the connected account
(portal/payments/onboarding/); the routes are here because they start from an award and end on its page, and
payments must not import awards."""

from __future__ import annotations

import re
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath

from portal.applications.access import get_application_for
from portal.applications.records import ApplicationForUser
from portal.awards import forms, queries, rules, services
from portal.awards.acceptance import services as acceptance
from portal.awards.access import get_award_for
from portal.awards.records import AwardDetail
from portal.awards.tranches import services as tranches
from portal.awards.tranches.tables import Tranche
from portal.core.actor import Principal
from portal.core.errors import Conflict, Forbidden, Invalid, NotFound
from portal.payments.gateway import gateway_for
from portal.payments.ledger import queries as ledger
from portal.payments.onboarding import queries as onboarding
from portal.payments.onboarding import services as onboarding_services
from portal.programs.records import ProgramRecord
from portal.reporting.access import get_report_for
from portal.reporting.queries import list_reports_for_award
from portal.reviews.ranking.queries import scores_for_program
from portal.web.auth import actor, current_user
from portal.web.forms import read_form, text
from portal.web.render import redirect, render

DECIDABLE = "submitted"
UNDECIDABLE_ANYWAY = {"draft", "withdrawn"}  # nothing to show: refuse the page too


async def decision_context(application: ApplicationForUser) -> dict[str, Any]:
    program = application.program
    committed = await queries.committed_cents(program.id)
    scores = await scores_for_program(program.id)
    return {
        "application": application, "program": program, "score": scores.get(application.id),
        "committed_cents": committed, "budget_left_cents": program.budget_cents - committed,
        "award": await queries.award_for_application(application.id),
    }


def award_defaults(program: ProgramRecord) -> dict[str, str]:
    return {"amount": "", "ta_hours": "", "conditions": program.letter_conditions or "", "note": "",
            "start_date": program.award_start.isoformat() if program.award_start else "",
            "end_date": program.award_end.isoformat() if program.award_end else ""}


def refuse_undecidable(application: ApplicationForUser, allow_decided: bool) -> None:
    status = application.status
    if status != DECIDABLE and (status in UNDECIDABLE_ANYWAY or not allow_decided):
        raise Conflict(services.undecidable_message(status))


@get("/staff/applications/{application_id:int}/decision", name="awards:decision")
async def decision_page(request: Request, application_id: FromPath[int]) -> Response:
    application = await get_application_for(current_user(request), application_id, "staff")
    refuse_undecidable(application, allow_decided=True)
    ctx = await decision_context(application)
    return render(request, "awards/decision.html", ctx | {"values": award_defaults(application.program),
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
        program = application.program
        award = forms.award_input(data, await queries.budget_left_cents(program.id), program.offer_kind)
        award_id = await services.decide_award(actor(request), application_id, award, settings.public_url,
                                               settings.files_dir)
    except Invalid as exc:
        ctx = await decision_context(application)
        kept = award_defaults(application.program) | forms.kept_values(data)
        return render(request, "awards/decision.html", ctx | {"values": kept, "errors": exc.errors, "form": decision},
                      status_code=422)
    return redirect(request, f"/awards/{award_id}")


async def award_extras(user: Principal, award: AwardDetail) -> dict[str, Any]:
    """What the award page shows beside the award: the acceptance, whether `user` signs, the tranches, the
    payout account (for the city's owner), the ledger (for staff)."""
    manage = rules.can_manage_award(user, award)
    answer = await acceptance.get_acceptance(award.id)
    return {
        "acceptance": answer,
        "shown_status": rules.shown_status(award, answer),
        "can_sign": award.status == "offered" and await acceptance.can_sign(user, award),
        "tranches": await tranches.list_tranches(award.id),
        "triggers": tranches.TRIGGERS,
        "tranche_statuses": tranches.STATUSES,
        "payout": await onboarding.get_payout(award.city_id),
        "can_set_up_payouts": rules.can_set_up_payouts(user, award),
        "award_ledger": await ledger.award_ledger(award.id) if manage else None,
    }


async def award_page_context(user: Principal, award: AwardDetail) -> dict[str, Any]:
    return {"award": award, "reports": await list_reports_for_award(award.id),
            "can_manage": rules.can_manage_award(user, award), "schedule_values": {}, "schedule_errors": {},
            "manual_errors": {}, "manual_tranche": None,
            **await award_extras(user, award)}


@get("/awards/{award_id:int}", name="awards:detail")
async def award_page(request: Request, award_id: FromPath[int]) -> Response:
    user = current_user(request)
    award = await get_award_for(user, award_id, "view")
    return render(request, "awards/detail.html", await award_page_context(user, award))


def letter_filename(award: AwardDetail) -> str:
    """ASCII letters, digits and dashes only: safe in a header and on every file system."""
    slug = re.sub(r"[^a-z0-9]+", "-", f"{award.program_slug} {award.city_name}".lower()).strip("-")[:80]
    return f"award-letter-{slug or 'award'}-{int(award.id)}.pdf"


@get("/awards/{award_id:int}/letter.pdf", name="awards:letter")
async def letter(request: Request, award_id: FromPath[int]) -> Response:
    award = await get_award_for(current_user(request), award_id, "view")
    content = await services.letter_bytes(actor(request), award, request.app.state.settings.files_dir)
    return Response(content=content, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{letter_filename(award)}"',
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
    })


@post("/awards/{award_id:int}/payouts/onboard", name="payouts:onboard")
async def onboard(request: Request, award_id: FromPath[int]) -> Response:
    user = current_user(request)
    award = await get_award_for(user, award_id, "view")
    if user.org_roles.get(award.city_id) != "owner":
        raise Forbidden("Only an owner of the city can set up payouts.")
    if not rules.can_set_up_payouts(user, award):
        raise Conflict("This award pays no money: there is nothing to pay out.")
    settings = request.app.state.settings
    base = f"{settings.public_url}/awards/{award_id}"
    link = await onboarding_services.onboarding_link(actor(request), award.city_id, user.email,
                                                     gateway_for(settings.stripe),
                                                     refresh_url=base, return_url=f"{base}/payouts/return")
    return Response(content="", status_code=303, headers={"Location": link})


@get("/awards/{award_id:int}/payouts/return", name="payouts:return")
async def payouts_returned(request: Request, award_id: FromPath[int]) -> Response:
    """Where Stripe sends the grantee back: the account's flags are read again, then the award page shows."""
    user = current_user(request)
    award = await get_award_for(user, award_id, "view")
    if await onboarding.get_payout(award.city_id) is not None:
        await onboarding_services.refresh(actor(request), award.city_id,
                                          gateway_for(request.app.state.settings.stripe))
    return render(request, "awards/detail.html", await award_page_context(user, award))


@post("/awards/{award_id:int}/tranches", name="awards:tranches")
async def set_schedule(request: Request, award_id: FromPath[int]) -> Response:
    data = await read_form(request)
    user = current_user(request)
    award = await get_award_for(user, award_id, "manage")
    tranches.refuse_unpaid(award)
    try:
        rows = tranches.schedule_input(data, award.terms.cash_cents)
        await tranches.set_schedule(actor(request), award_id, rows)
    except Invalid as exc:
        ctx = await award_page_context(user, award)
        ctx |= {"schedule_values": {k: text(data, k, 40) for k in data if not k.startswith("_")},
                "schedule_errors": exc.errors}
        return render(request, "awards/detail.html", ctx, status_code=422)
    if award.status == "accepted":
        await tranches.release_on_acceptance(actor(request), award_id,
                                             tranches.gateway_or_none(request.app.state.settings))
    await services.remake_letter(actor(request), award, request.app.state.settings.files_dir)  # if offered
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
    return redirect(request, f"/awards/{report.award}#tranches")


ROUTES = [decision_page, decide, award_page, letter, onboard, payouts_returned, set_schedule, send, retry, manual,
          approve_report]
