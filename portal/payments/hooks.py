"""What other domains hang on a payment's status: one hook, "a payment's status moved", called inside the
transaction that moved it.

Why a hook and not a call: awards depends on payments (a tranche points at its payment and asks payments to
schedule, disburse and record it), and payments must not import awards. Yet a tranche's stored status has to
follow its payment however the payment moves - a release, a manual payment, and above all Stripe's webhooks,
which reach only `payments.services.apply_event`. So payments announces every status change here, and the module
that owns tranches (`portal.awards.tranches.services`) registers its listener when it is imported. The app and the
`portal` command import that module before they touch the database (`portal/app.py`, `portal/cli.py`).

Listeners run in the payment's write transaction, in the order they were registered: what they write commits
or rolls back with the payment's change and, for a webhook, with its `stripe_event` row. A listener that raises
rolls all of it back (the webhook answers 500 and Stripe delivers the event again later). Listeners must not call
Stripe or send mail: they run while the payment row is locked.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from portal.payments.records import PaymentRecord


@dataclass(frozen=True)
class StatusMoved:
    """A payment's status changed from `old` to `new` (see `portal.payments.rules.TRANSITIONS`)."""

    payment_id: int
    kind: str  # transfer | payment_intent
    old: str
    new: str
    tranche_id: int | None  # the tranche a transfer pays, if any
    award_id: int | None

    @classmethod
    def of(cls, row: PaymentRecord, new: str) -> StatusMoved:
        """From the payment as it was before the change."""
        return cls(payment_id=row.id, kind=row.kind, old=row.status, new=new, tranche_id=row.tranche_id,
                   award_id=row.award_id)


StatusListener = Callable[[StatusMoved], Awaitable[None]]

_listeners: dict[str, StatusListener] = {}
"""Registered listeners by `module.qualname`: importing a module twice (or registering again) keeps one."""


class NoListener(RuntimeError):
    """A tranche's payment moved while nothing follows payment statuses: its tranche would silently drift."""


def on_status_moved(listener: StatusListener) -> StatusListener:
    """Register `listener` for every payment status change (usable as a decorator); returns it."""
    _listeners[f"{listener.__module__}.{listener.__qualname__}"] = listener
    return listener


def remove_listener(listener: StatusListener) -> None:
    _listeners.pop(f"{listener.__module__}.{listener.__qualname__}", None)


def listeners() -> list[StatusListener]:
    return list(_listeners.values())


async def status_moved(moved: StatusMoved) -> None:
    """Call every listener, inside the caller's write transaction (payments.services calls this right after
    each status update). A transfer that pays a tranche with no listener registered is refused (NoListener,
    so the transaction rolls back) rather than leaving the tranche behind: import portal.awards.tranches.services."""
    if not _listeners and moved.tranche_id is not None:
        raise NoListener(f"payment {moved.payment_id} of tranche {moved.tranche_id} moved to {moved.new}, but no "
                         "listener follows payment statuses: import portal.awards.tranches.services first")
    for listener in list(_listeners.values()):
        await listener(moved)
