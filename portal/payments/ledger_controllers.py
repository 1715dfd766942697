"""The staff program ledger and the funder's pledge page (pay a pledge by PaymentIntent)."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.params import FromPath

from portal.core.errors import Conflict, Invalid, NotFound
from portal.dashboards.queries import get_funded_program_for
from portal.payments import ledger, services
from portal.payments.gateway import gateway_for
from portal.programs.staff_queries import get_program_for_staff
from portal.programs.tables import ProgramFunder
from portal.web.auth import actor, current_user
from portal.web.forms import read_form, text
from portal.web.render import render


@get("/staff/programs/{program_id:int}/ledger", name="payments:program-ledger")
async def program_ledger(request: Request, program_id: FromPath[int]) -> Response:
    await get_program_for_staff(current_user(request), program_id)
    return render(request, "payments/program_ledger.html", await ledger.program_ledger(program_id))


async def _pledge(request: Request, program_id: int) -> dict:
    user = current_user(request)
    program = await get_funded_program_for(user, program_id)
    row = await ProgramFunder.select(ProgramFunder.funder, ProgramFunder.pledged_cents).where(
        (ProgramFunder.program == program_id) & ProgramFunder.funder.is_in(user.funder_ids or [0])
    ).order_by(ProgramFunder.id).first()
    if row is None:
        raise NotFound()
    rows = await ledger.funder_rows(program_id=program_id, funder_id=row["funder"])
    return {"program": program, "pledge": rows[0], "funder_id": row["funder"],
            "figures": (await ledger.program_ledger(program_id))["totals"],
            "outstanding_cents": max(rows[0]["pledged_cents"] - rows[0]["received_cents"] - rows[0]["pending_cents"], 0)}


@get("/funder/programs/{program_id:int}/pledge", name="payments:pledge")
async def pledge_page(request: Request, program_id: FromPath[int]) -> Response:
    ctx = await _pledge(request, program_id)
    return render(request, "payments/pledge.html", ctx | {"errors": {}, "payment": None})


@post("/funder/programs/{program_id:int}/pledge", name="payments:pay-pledge")
async def pay_pledge(request: Request, program_id: FromPath[int]) -> Response:
    """Create the pledge's PaymentIntent for what is still outstanding. The browser confirms it with the client
    secret (Stripe.js); a saved payment method (`payment_method`, pm_...) confirms it at once."""
    data = await read_form(request)
    ctx = await _pledge(request, program_id)
    if ctx["outstanding_cents"] <= 0:  # paid, or a payment already under way: never a second charge
        raise Conflict("Nothing is outstanding on this pledge: it is paid or a payment is under way.")
    method = text(data, "payment_method", 100)
    try:
        payment = await services.record_pledge_payment(
            program_id=program_id, funder_id=ctx["funder_id"], amount_cents=ctx["outstanding_cents"],
            gateway=gateway_for(request.app.state.settings.stripe),
            payment_method=method if method.startswith("pm_") else None, actor=actor(request))
    except Invalid as exc:
        return render(request, "payments/pledge.html", ctx | {"errors": exc.errors, "payment": None}, status_code=422)
    if payment["status"] == "failed":
        return render(request, "payments/pledge.html", ctx | {"errors": {}, "payment": payment}, status_code=422)
    return render(request, "payments/pledge.html", ctx | {"errors": {}, "payment": payment})


ROUTES = [program_ledger, pledge_page, pay_pledge]
