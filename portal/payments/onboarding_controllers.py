"""The grantee city's owner sets up Stripe payouts from their award page: to Stripe's hosted onboarding and
back, where the account's flags are read again."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.params import FromPath

from portal.awards.access import get_award_for
from portal.awards.rules import can_set_up_payouts
from portal.core.errors import Conflict, Forbidden
from portal.payments import onboarding
from portal.payments.gateway import gateway_for
from portal.web.auth import actor, current_user
from portal.web.render import render


@post("/awards/{award_id:int}/payouts/onboard", name="payouts:onboard")
async def onboard(request: Request, award_id: FromPath[int]) -> Response:
    user = current_user(request)
    award = await get_award_for(user, award_id, "view")
    if user.org_roles.get(award.city_id) != "owner":
        raise Forbidden("Only an owner of the city can set up payouts.")
    if not can_set_up_payouts(user, award):
        raise Conflict("This award pays no money: there is nothing to pay out.")
    settings = request.app.state.settings
    base = f"{settings.public_url}/awards/{award_id}"
    link = await onboarding.onboarding_link(actor(request), award.city_id, user.email, gateway_for(settings.stripe),
                                            refresh_url=base, return_url=f"{base}/payouts/return")
    return Response(content="", status_code=303, headers={"Location": link})


@get("/awards/{award_id:int}/payouts/return", name="payouts:return")
async def returned(request: Request, award_id: FromPath[int]) -> Response:
    """Where Stripe sends the grantee back: the account's flags are read again, then the award page shows."""
    from portal.awards.controllers import award_page_context

    user = current_user(request)
    award = await get_award_for(user, award_id, "view")
    if await onboarding.get_payout(award.city_id) is not None:
        await onboarding.refresh(actor(request), award.city_id, gateway_for(request.app.state.settings.stripe))
    return render(request, "awards/detail.html", await award_page_context(user, award))


ROUTES = [onboard, returned]
