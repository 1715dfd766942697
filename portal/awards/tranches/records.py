"""Tranches as the rest of the portal sees them: typed, immutable records (the pattern of portal/payments/records.py).

`TrancheRecord` holds every column of `tranche`; `TrancheWithPayment` is a line of an award's payment schedule as
the award page shows it, with what its payment says (nothing before the tranche is released)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Self

import msgspec

from portal import db


class TrancheRecord(msgspec.Struct, frozen=True):
    """Every column of `tranche` (portal/awards/tranches/tables.py)."""

    id: int
    award: int
    position: int
    amount_cents: int
    trigger: str  # on_acceptance | on_report_approval | on_date
    report_kind: str  # interim | final, for on_report_approval
    due_date: date | None  # for on_date
    status: str  # scheduled | released | paid | failed | reversed
    payment: int | None
    released_at: datetime | None

    @classmethod
    def of(cls, row: dict[str, Any]) -> Self:
        """The record of a row as Piccolo or raw SQL (`SELECT *`) returns it (`db.to_date` and `db.to_datetime`
        take a value or its stored text alike, whichever the engine hands back)."""
        return cls(**(row | {"due_date": db.to_date(row["due_date"]),
                             "released_at": db.to_datetime(row["released_at"])}))


class TrancheWithPayment(TrancheRecord, frozen=True):
    """A tranche with its payment's status, rail, reference, Stripe id, failure and send state (`list_tranches`);
    all None while the tranche has no payment."""

    payment_status: str | None
    payment_rail: str | None
    payment_reference: str | None
    payment_stripe_id: str | None
    payment_failure: str | None
    payment_send_error: str | None
    payment_retry_at: datetime | None
    payment_attention_at: datetime | None
