"""The payment as the rest of the portal sees it: a typed, immutable record with every column of `payment`
(portal/payments/tables.py), built once from a row as Piccolo or raw SQL hands it back. The pattern for the
other core entities (docs/architecture.md, "Types"): a frozen `msgspec.Struct` named `<Entity>Record` (three
to eight times as fast to build as a frozen dataclass: bench/bench_records.py), one field per column, and
`of(row)` that makes a row into one; a change is a new record (`msgspec.structs.replace`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from portal import db

_TIMES = ("retry_at", "retry_since", "attention_at", "created_at", "updated_at", "paid_at")
"""Timestamps: SQLite hands them back to raw SQL as their stored text, PostgreSQL as datetimes."""


class PaymentRecord(msgspec.Struct, frozen=True):
    id: int
    kind: str  # transfer | payment_intent
    rail: str  # stripe | ach | cheque
    status: str  # scheduled | released | paid | failed | reversed (portal/payments/rules.py)
    program: int
    funder: int | None
    award_id: int | None
    tranche_id: int | None
    amount_cents: int
    amount_reversed_cents: int
    currency: str
    destination: str
    stripe_id: str | None
    idempotency_key: str | None
    attempt: int
    stripe_created: int | None
    reference: str
    failure_message: str
    retry_at: datetime | None
    retry_since: datetime | None
    send_attempts: int | None
    send_error: str | None
    attention_at: datetime | None
    created_at: datetime
    updated_at: datetime
    paid_at: datetime | None

    @classmethod
    def of(cls, row: dict[str, Any]) -> PaymentRecord:
        """The record of a `payment` row (every column, as `SELECT *` or `Payment.select()` returns it)."""
        if isinstance(row["created_at"], datetime):
            return cls(**row)
        return cls(**(row | {name: db.to_datetime(row[name]) for name in _TIMES}))
