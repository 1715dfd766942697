"""The Stripe webhook. It is exempt from CSRF by its exact path (portal/web/sessions.py) because Stripe signs
it instead: an unsigned, tampered, stale (over 300 s) or wrongly signed request gets 400 and changes nothing."""

from __future__ import annotations

import logging

import stripe
from litestar import Request, Response, post

from portal.payments import services
from portal.payments.gateway import StripeNotConfigured, verify_event

log = logging.getLogger(__name__)
MAX_WEBHOOK_BYTES = 512 * 1024  # Stripe's events are a few kilobytes


def _refuse(message: str) -> Response:
    return Response({"error": message}, status_code=400)


@post("/webhooks/stripe", name="stripe-webhook", status_code=200)
async def stripe_webhook(request: Request) -> Response:
    """Verify Stripe's signature, then apply the event exactly once (services.apply_event)."""
    payload = await request.body()
    if len(payload) > MAX_WEBHOOK_BYTES:
        return _refuse("payload too large")
    secret = request.app.state.settings.stripe.webhook_secret
    try:
        event = verify_event(payload, request.headers.get("stripe-signature"), secret)
    except StripeNotConfigured:
        return _refuse("Stripe is not configured")
    except (stripe.SignatureVerificationError, ValueError):
        return _refuse("invalid signature")
    if not (isinstance(event, dict) and isinstance(event.get("id"), str) and isinstance(event.get("type"), str)
            and isinstance(event.get("data"), dict) and isinstance(event["data"].get("object"), dict)):
        return _refuse("not a Stripe event")
    try:
        outcome = await services.apply_event(event)
    except (TypeError, ValueError, KeyError, AttributeError):  # signed, yet not shaped like Stripe's objects
        log.warning("stripe event %s could not be applied", event["id"], exc_info=True)
        return _refuse("malformed event")  # its transaction rolled back: no row, no effect
    log.info("stripe event %s %s: %s", event["id"], event["type"], outcome)
    return Response({"received": True, "outcome": outcome}, status_code=200)


ROUTES = [stripe_webhook]
