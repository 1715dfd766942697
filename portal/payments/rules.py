"""The payment state machine, in one place.

    scheduled ──► released ──► paid ──► reversed
        │            │  ▲
        │            ▼  │ (retry under a new key)
        └────────► failed

- scheduled: planned, nothing asked of Stripe yet.
- released: the portal committed the idempotency key and asked Stripe (or is about to). A crash here is
  repaired by asking again with the same key, or by the transfer's own webhook.
- paid: Stripe confirmed it (a transfer exists: the money is in the grantee's Stripe balance; a PaymentIntent
  succeeded), or staff recorded a manual ACH/cheque payment.
- failed: Stripe refused it, or a PaymentIntent failed.
- reversed: the transfer was reversed in full (a partial reversal keeps it paid, with the amount reversed).

Webhook events can arrive in any order and more than once, so an event never moves a payment backwards: the
state an event implies is computed from the Stripe object it carries (its status, `reversed`,
`amount_reversed`), and applied only if it is a step forward in `TRANSITIONS`.
"""

from __future__ import annotations

from typing import Any

STATUSES = ("scheduled", "released", "paid", "failed", "reversed")

TRANSITIONS: dict[str, frozenset[str]] = {
    "scheduled": frozenset({"released", "paid", "failed"}),
    "released": frozenset({"paid", "failed", "reversed"}),
    "paid": frozenset({"reversed"}),
    "failed": frozenset({"released", "paid"}),
    "reversed": frozenset(),
}
"""status -> the statuses it may move to. `paid` from scheduled/failed: a manual payment, or a webhook that
reports a transfer the portal never saw answered."""


def can_move(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def transfer_status(obj: dict[str, Any]) -> str:
    """The status a transfer object implies: reversed in full, else paid (a transfer that exists has moved
    the money)."""
    amount = int(obj.get("amount") or 0)
    reversed_cents = int(obj.get("amount_reversed") or 0)
    if obj.get("reversed") or (amount > 0 and reversed_cents >= amount):
        return "reversed"
    return "paid"


PAYMENT_INTENT_STATUS = {
    "succeeded": "paid",
    "canceled": "failed",
}
"""A PaymentIntent's status -> ours. Other statuses (requires_payment_method, processing, ...) are on the way."""


def payment_intent_status(obj: dict[str, Any], event_type: str) -> str | None:
    """The status a PaymentIntent event implies, or None if it implies no change."""
    if event_type == "payment_intent.payment_failed":
        return "failed"
    return PAYMENT_INTENT_STATUS.get(str(obj.get("status", "")))
