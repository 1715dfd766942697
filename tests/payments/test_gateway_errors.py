"""How the gateway reads Stripe's errors: an answer that leaves the outcome unknown must never read as a refusal
(a refusal fails the payment, and a failed payment is released again with a new key: a second transfer)."""

from __future__ import annotations

import pytest
import stripe

from portal.payments.gateway import StripeGateway, StripeRefused, StripeUnavailable
from portal.settings import StripeSettings


def gateway() -> StripeGateway:
    return StripeGateway(StripeSettings(secret_key="sk_test_x", webhook_secret="whsec_x"))


def raising(exc: Exception):
    async def method(*args, **kwargs):
        raise exc
    return method


async def test_a_request_with_the_same_key_still_in_progress_is_unavailable_not_refused():
    error = stripe.IdempotencyError("There is currently another in-progress request using this Idempotent Key",
                                    http_status=409)
    with pytest.raises(StripeUnavailable):
        await gateway()._call(raising(error))


async def test_the_same_key_with_other_parameters_is_raised_as_our_bug():
    error = stripe.IdempotencyError("Keys for idempotent requests can only be used with the same parameters",
                                    http_status=400)
    with pytest.raises(stripe.IdempotencyError):
        await gateway()._call(raising(error))


async def test_a_card_error_is_a_refusal():
    error = stripe.InvalidRequestError("No such destination", param="destination", http_status=400,
                                       code="resource_missing")
    with pytest.raises(StripeRefused):
        await gateway()._call(raising(error))
