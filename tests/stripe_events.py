"""Signing and delivering Stripe webhook events to the portal in tests, as Stripe does: the raw JSON body and
a `Stripe-Signature: t=<unix time>,v1=<HMAC-SHA256 of "t.body">` header."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import stripe

from tests.stripe_servers import STRIPE_WEBHOOK_SECRET

WEBHOOK = "/webhooks/stripe"


def sign(body: bytes, secret: str = STRIPE_WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    return stripe.WebhookSignature.generate_signature_header(body.decode(), secret, timestamp)


def body_of(event: dict[str, Any]) -> bytes:
    return json.dumps(event, indent=2).encode()


async def deliver(client: Any, body: bytes, signature: str | None) -> httpx.Response:
    """POST a webhook body to the portal, with the given signature header (none if None)."""
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return await client.http.post(WEBHOOK, content=body, headers=headers)


async def deliver_event(client: Any, event: dict[str, Any]) -> httpx.Response:
    """Sign the event now with the portal's secret and deliver it."""
    body = body_of(event)
    return await deliver(client, body, sign(body, timestamp=int(time.time())))
