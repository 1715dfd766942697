"""The portal's only door to Stripe: Connect accounts and onboarding links for grantees, transfers to them,
PaymentIntents for funders' pledges, and retrieval of each.

It uses Stripe's own SDK (async calls over httpx). Production talks to https://api.stripe.com; the tests set
`STRIPE_API_BASE` to a loopback server (tests/stripe_servers.py) and run this same code. Results come back as
small frozen records, so callers never handle SDK objects (which are not dicts since stripe 15).

Errors: `StripeNotConfigured` when no secret key is set; `StripeRefused` when Stripe answered that the request
cannot succeed as sent (a 4xx: nothing happened, e.g. insufficient balance); `StripeUnavailable` when the
outcome is unknown (no answer, a 5xx, a timeout): repeat the same call with the same idempotency key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import stripe

from portal.core.errors import DomainError
from portal.settings import StripeSettings

STRIPE_API = "https://api.stripe.com"
NETWORK_RETRIES = 2
"""The SDK retries a connection failure itself, with the same idempotency key (so at most one effect)."""


class StripeNotConfigured(DomainError):
    status_code = 503
    title = "Stripe is not configured"


class StripeRefused(DomainError):
    """Stripe refused the request; nothing was done. `code` is Stripe's error code (e.g. balance_insufficient)."""

    status_code = 502
    title = "Stripe refused the payment"

    def __init__(self, message: str, code: str = "", http_status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.http_status = http_status


class StripeUnavailable(DomainError):
    """No usable answer from Stripe: the request may or may not have taken effect. Retry with the same key."""

    status_code = 503
    title = "Stripe could not be reached"


@dataclass(frozen=True)
class Account:
    id: str
    charges_enabled: bool
    payouts_enabled: bool
    details_submitted: bool

    @property
    def ready(self) -> bool:
        """The grantee finished onboarding and can receive payouts."""
        return self.details_submitted and self.payouts_enabled


@dataclass(frozen=True)
class Transfer:
    id: str
    amount: int
    currency: str
    destination: str
    created: int
    amount_reversed: int
    reversed: bool
    metadata: dict[str, str] = field(default_factory=dict)
    replayed: bool = False
    """Stripe answered with the stored result of an earlier request with the same idempotency key."""


@dataclass(frozen=True)
class PaymentIntent:
    id: str
    amount: int
    currency: str
    status: str
    created: int
    client_secret: str
    metadata: dict[str, str] = field(default_factory=dict)


def _replayed(obj: Any) -> bool:
    response = getattr(obj, "last_response", None)
    headers = getattr(response, "headers", None) or {}
    return str(headers.get("Idempotent-Replayed", headers.get("idempotent-replayed", ""))).lower() == "true"


def _metadata(obj: Any) -> dict[str, str]:
    meta: Any = obj["metadata"] if "metadata" in obj else None
    return {str(k): str(v) for k, v in (meta.to_dict() if hasattr(meta, "to_dict") else (meta or {})).items()}


def transfer_from(obj: Any) -> Transfer:
    """A transfer record from an SDK object or from the `data.object` of a webhook event (a dict)."""
    destination = obj["destination"]
    return Transfer(
        id=obj["id"], amount=int(obj["amount"]), currency=obj["currency"],
        destination=destination if isinstance(destination, str) else destination["id"],
        created=int(obj["created"]), amount_reversed=int(obj["amount_reversed"] or 0),
        reversed=bool(obj["reversed"]), metadata=_metadata(obj), replayed=_replayed(obj))


def payment_intent_from(obj: Any) -> PaymentIntent:
    return PaymentIntent(
        id=obj["id"], amount=int(obj["amount"]), currency=obj["currency"], status=obj["status"],
        created=int(obj["created"]), client_secret=(obj["client_secret"] if "client_secret" in obj else "") or "",
        metadata=_metadata(obj))


def account_from(obj: Any) -> Account:
    return Account(id=obj["id"], charges_enabled=bool(obj["charges_enabled"]),
                   payouts_enabled=bool(obj["payouts_enabled"]), details_submitted=bool(obj["details_submitted"]))


class StripeGateway:
    """Stripe calls, each translated into a record or one of this module's errors."""

    def __init__(self, settings: StripeSettings) -> None:
        if not settings.secret_key:
            raise StripeNotConfigured()
        self.settings = settings
        self.client = stripe.StripeClient(
            settings.secret_key,
            base_addresses={"api": (settings.api_base or STRIPE_API).rstrip("/")},
            http_client=stripe.HTTPXClient(timeout=settings.timeout_seconds),
            max_network_retries=NETWORK_RETRIES,
        )

    async def _call(self, method: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return await method(*args, **kwargs)
        except stripe.APIConnectionError as exc:
            raise StripeUnavailable(exc.user_message or str(exc)) from exc
        except stripe.IdempotencyError as exc:
            if exc.http_status == 409:  # a request with this key is still in progress (another send): outcome unknown
                raise StripeUnavailable(exc.user_message or str(exc)) from exc
            raise  # the same key with other parameters: a bug of ours, not the payee's problem
        except stripe.StripeError as exc:
            status = exc.http_status
            if status is not None and 400 <= status < 500 and status not in (401, 403, 409, 429):
                raise StripeRefused(exc.user_message or str(exc), exc.code or "", status) from exc
            raise StripeUnavailable(exc.user_message or str(exc)) from exc

    # -- Connect: the grantee's account ---------------------------------------------------------------------

    async def create_account(self, *, email: str, organisation_id: int, country: str = "US") -> Account:
        """An Express-style connected account for a grantee: Stripe hosts onboarding and the dashboard."""
        params: dict[str, Any] = {
            "country": country,
            "email": email,
            "controller": {
                "fees": {"payer": "application"},
                "losses": {"payments": "application"},
                "stripe_dashboard": {"type": "express"},
            },
            "capabilities": {"transfers": {"requested": True}},
            "metadata": {"organisation": str(organisation_id)},
        }
        obj = await self._call(self.client.v1.accounts.create_async, params,
                               {"idempotency_key": f"organisation-{organisation_id}-account-v1"})
        return account_from(obj)

    async def onboarding_link(self, account_id: str, *, refresh_url: str, return_url: str) -> str:
        """The single-use address where the grantee completes onboarding (it expires within minutes)."""
        obj = await self._call(self.client.v1.account_links.create_async, {
            "account": account_id, "refresh_url": refresh_url, "return_url": return_url,
            "type": "account_onboarding"})
        url: str = obj["url"]
        return url

    async def retrieve_account(self, account_id: str) -> Account:
        return account_from(await self._call(self.client.v1.accounts.retrieve_async, account_id))

    # -- transfers to grantees ------------------------------------------------------------------------------

    async def create_transfer(self, *, amount_cents: int, destination: str, idempotency_key: str,
                              metadata: dict[str, str], currency: str = "usd") -> Transfer:
        """Move `amount_cents` from the platform's balance to the connected account. The same key with the
        same parameters returns the first transfer again (no second one)."""
        params: dict[str, Any] = {"amount": amount_cents, "currency": currency, "destination": destination,
                                  "metadata": metadata}
        if metadata.get("award"):
            params["transfer_group"] = f"award-{metadata['award']}"
        obj = await self._call(self.client.v1.transfers.create_async, params, {"idempotency_key": idempotency_key})
        return transfer_from(obj)

    async def retrieve_transfer(self, transfer_id: str) -> Transfer:
        return transfer_from(await self._call(self.client.v1.transfers.retrieve_async, transfer_id))

    async def list_transfers(self, *, destination: str | None = None, limit: int = 100) -> list[Transfer]:
        params: dict[str, Any] = {"limit": limit}
        if destination:
            params["destination"] = destination
        page = await self._call(self.client.v1.transfers.list_async, params)
        return [transfer_from(t) for t in page["data"]]

    # -- funders' pledges -----------------------------------------------------------------------------------

    async def create_payment_intent(self, *, amount_cents: int, idempotency_key: str, metadata: dict[str, str],
                                    currency: str = "usd", payment_method: str | None = None) -> PaymentIntent:
        """A PaymentIntent for a pledge; with `payment_method` it is confirmed at once (tests, saved cards),
        otherwise the funder completes it in the browser with its client secret."""
        params: dict[str, Any] = {"amount": amount_cents, "currency": currency, "metadata": metadata,
                                  "payment_method_types": ["card"]}
        if payment_method:
            params |= {"payment_method": payment_method, "confirm": True}
        obj = await self._call(self.client.v1.payment_intents.create_async, params,
                               {"idempotency_key": idempotency_key})
        return payment_intent_from(obj)

    async def retrieve_payment_intent(self, payment_intent_id: str) -> PaymentIntent:
        return payment_intent_from(await self._call(self.client.v1.payment_intents.retrieve_async, payment_intent_id))


@lru_cache(maxsize=4)
def gateway_for(settings: StripeSettings) -> StripeGateway:
    """The gateway for these settings (one HTTP connection pool each); `StripeNotConfigured` without a key."""
    return StripeGateway(settings)


def verify_event(payload: bytes, signature_header: str | None, webhook_secret: str) -> Any:
    """The decoded JSON body, if `signature_header` signs `payload` with the secret and a timestamp within 300
    seconds of now; else `stripe.SignatureVerificationError` (ValueError for a body that is not JSON).

    The signature is checked by the SDK's `WebhookSignature` before the body is parsed at all; the caller then
    checks the event's shape (the SDK's own `construct_event` fails with AttributeError on a JSON list)."""
    if not webhook_secret:
        raise StripeNotConfigured("Stripe is not configured: no webhook signing secret")
    if not signature_header:
        raise stripe.SignatureVerificationError(  # type: ignore[no-untyped-call]  # the SDK leaves it untyped
            "No signature header", signature_header, payload)
    text = payload.decode("utf-8")  # UnicodeDecodeError is a ValueError
    stripe.WebhookSignature.verify_header(text, signature_header, webhook_secret, tolerance=300)
    return json.loads(text)
