"""The funder's pledge page (pay a pledge by card: a PaymentIntent confirmed in the browser with Stripe.js, see
docs/payments.md)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.plugins.htmx import HTMXRequest

from portal.core.errors import Conflict, Invalid
from portal.payments import services
from portal.payments.gateway import gateway_for
from portal.payments.pledges import access, queries, rules
from portal.payments.records import PaymentRecord
from portal.web.auth import actor, current_user
from portal.web.forms import read_form, text
from portal.web.headers import page_policy
from portal.web.render import redirect, render


def _pledge_page(request: Request, ctx: dict[str, Any], checkout: queries.Checkout | None = None, *,
                 payment: PaymentRecord | None = None, errors: dict[str, str] | None = None,
                 polling: bool = False, status_code: int = 200) -> Response:
    """The pledge page (for htmx, its figures only); with card payments on, its Content-Security-Policy also
    allows Stripe.js and Stripe's API (this page only)."""
    stripe = request.app.state.settings.stripe
    headers = {}
    if stripe.card_payments:
        headers["Content-Security-Policy"] = page_policy(stripe, **rules.stripe_js_sources(stripe))
    return render(request, "payments/pledges/pledge.html", ctx | {
        "errors": errors or {}, "payment": payment, "checkout": checkout, "polling": polling,
        "card_payments": stripe.card_payments,
        "publishable_key": stripe.publishable_key, "stripe_js_url": stripe.js_url,
    }, block="figures", status_code=status_code, headers=headers)


async def _open_checkout(request: Request, ctx: dict[str, Any]) -> queries.Checkout | None:
    stripe = request.app.state.settings.stripe
    if not stripe.card_payments:
        return None
    return await queries.open_checkout(ctx["program"]["id"], ctx["funder_id"], ctx["outstanding_cents"],
                                       gateway_for(stripe))


@get("/funder/programs/{program_id:int}/pledge", name="payments:pledge")
async def pledge_page(request: Request, program_id: FromPath[int]) -> Response:
    """The pledge; a card payment started earlier and not finished is offered again. For htmx (the page polls
    while Stripe's confirmation is awaited), only the figures, without asking Stripe."""
    ctx = await access.get_pledge_for(current_user(request), program_id)
    polling = isinstance(request, HTMXRequest) and bool(request.htmx)
    if polling:
        return _pledge_page(request, ctx, polling=True)
    return _pledge_page(request, ctx, await _open_checkout(request, ctx))


@post("/funder/programs/{program_id:int}/pledge", name="payments:pay-pledge")
async def pay_pledge(request: Request, program_id: FromPath[int]) -> Response:
    """Create the pledge's PaymentIntent for what is outstanding, then 303 to the pledge page, which finds it and
    shows the card form with its client secret for Stripe.js (so reloading that page never posts again). A
    payment started earlier and not finished is offered again instead (never a second charge). A saved payment
    method (`payment_method`, pm_...: the tests) confirms it at once and the answer is the page itself."""
    data = await read_form(request)
    ctx = await access.get_pledge_for(current_user(request), program_id)
    stripe = request.app.state.settings.stripe
    gateway = gateway_for(stripe)  # 503 without Stripe
    method = text(data, "payment_method", 100)
    method = method if method.startswith("pm_") else ""
    page_url = f"/funder/programs/{program_id}/pledge"
    checkout = await _open_checkout(request, ctx)
    if checkout is not None and checkout.client_secret:
        return redirect(request, page_url)
    if ctx["outstanding_cents"] <= 0:
        raise Conflict("Nothing is outstanding on this pledge: it is paid or a payment is under way.")
    if not method and not stripe.card_payments:
        raise Conflict("Paying by card is not available in the portal: please contact the program's staff.")
    try:
        payment, _client_secret = await services.record_pledge_payment(
            program_id=program_id, funder_id=ctx["funder_id"], amount_cents=ctx["outstanding_cents"],
            gateway=gateway, payment_method=method or None, actor=actor(request))
    except Invalid as exc:
        return _pledge_page(request, ctx, errors=exc.errors, status_code=422)
    # The client secret is dropped: the page asks Stripe for it again, so it is never stored or redirected.
    if payment.status == "failed":
        return _pledge_page(request, await access.get_pledge_for(current_user(request), program_id), payment=payment,
                            status_code=422)
    if method:
        return _pledge_page(request, await access.get_pledge_for(current_user(request), program_id), payment=payment)
    return redirect(request, page_url)


ROUTES = [pledge_page, pay_pledge]
