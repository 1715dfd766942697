"""The decision form: award (amount in dollars, conditions, dates) or decline (a note)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from portal.awards.terms import PAID_KINDS
from portal.core.errors import Invalid
from portal.core.templating import money

MAX_CONDITIONS_CHARS = 8000
MAX_NOTE_CHARS = 4000
_DOLLARS = re.compile(r"^\d{1,13}(\.\d{1,2})?$")

MAX_HOURS = 100_000
LABELS = {"amount": "Amount", "ta_hours": "Hours of technical assistance", "conditions": "Conditions",
          "start_date": "Start date", "end_date": "End date", "note": "Note to the city"}


@dataclass(frozen=True)
class AwardInput:
    amount_cents: int
    conditions: str
    start_date: date | None
    end_date: date | None
    ta_hours: int = 0  # hours of technical assistance, alone or beside the amount (portal/awards/terms.py)


def _text(data: dict[str, Any], key: str, limit: int) -> str:
    value = data.get(key, "")
    if isinstance(value, list):
        value = value[-1] if value else ""
    return value.replace("\r\n", "\n").strip()[:limit + 1] if isinstance(value, str) else ""


def dollars_to_cents(raw: str) -> int | None:
    """`1,234.5` or `$1234.50` -> 123450; None if it is not an amount of dollars and cents."""
    cleaned = raw.strip().removeprefix("$").replace(",", "").replace(" ", "")
    if not _DOLLARS.match(cleaned):
        return None
    whole, _, frac = cleaned.partition(".")
    return int(whole) * 100 + int((frac + "00")[:2])


def amount_to_award(raw: str) -> tuple[int | None, str | None]:
    """The amount typed on an award form, in cents, or why it is not one (nothing typed, not dollars and cents,
    not more than $0). Limits that depend on the form (budget left, largest award) are the caller's."""
    if not raw:
        return None, "Enter the amount to award, in dollars."
    cents = dollars_to_cents(raw)
    if cents is None:
        return None, "Enter the amount in dollars, like 25000 or 25,000.50."
    if cents <= 0:
        return None, "The amount must be more than $0."
    return cents, None


def value_to_award(raw: str) -> tuple[int | None, str | None]:
    """The value of a seat or of hours (counted against the budget, never paid), in cents: blank is $0."""
    if not raw:
        return 0, None
    cents = dollars_to_cents(raw)
    if cents is None:
        return None, "Enter the value in dollars, like 5000, or leave it blank."
    return cents, None


def _date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw) else None
    except ValueError:
        return None


def hours_input(raw: str, required: bool) -> tuple[int, str | None]:
    """Hours of technical assistance typed on the form: (hours, None), or (0, why not)."""
    if not raw:
        return 0, "Enter the hours of technical assistance." if required else None
    if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) <= MAX_HOURS:
        return 0, f"Enter the hours as a whole number from 1 to {MAX_HOURS:,}."
    return int(raw), None


def award_input(data: dict[str, Any], budget_left_cents: int, offer_kind: str = "cash") -> AwardInput:
    """Validate the award form; Invalid with every error at once.

    For a cash grant or travel stipend the amount is money, more than $0. For a cohort seat or technical
    assistance nothing is paid: the amount is the value counted against the budget and may be 0 or left blank.
    Hours of technical assistance are optional beside cash, required for a technical-assistance program."""
    errors: dict[str, str] = {}
    raw_amount = _text(data, "amount", 40)
    cents, problem = amount_to_award(raw_amount) if offer_kind in PAID_KINDS else value_to_award(raw_amount)
    ta_hours, hours_problem = hours_input(_text(data, "ta_hours", 20), required=offer_kind == "ta_hours")
    if hours_problem:
        errors["ta_hours"] = hours_problem
    if cents is None:  # amount_to_award and value_to_award give a problem with no amount
        errors["amount"] = problem or ""
    elif cents > budget_left_cents:
        errors["amount"] = f"The amount is more than the program's budget left ({money(max(budget_left_cents, 0))})."
    conditions = _text(data, "conditions", MAX_CONDITIONS_CHARS)
    if len(conditions) > MAX_CONDITIONS_CHARS:
        errors["conditions"] = f"Keep the conditions under {MAX_CONDITIONS_CHARS:,} characters."
    start_raw, end_raw = _text(data, "start_date", 20), _text(data, "end_date", 20)
    start, end = _date(start_raw), _date(end_raw)
    if not start_raw:
        errors["start_date"] = "Enter the date the award starts."
    elif start is None:
        errors["start_date"] = "Enter the start date as a real date (YYYY-MM-DD)."
    if not end_raw:
        errors["end_date"] = "Enter the date the award ends."
    elif end is None:
        errors["end_date"] = "Enter the end date as a real date (YYYY-MM-DD)."
    elif start is not None and end < start:
        errors["end_date"] = "The end date must be on or after the start date."
    if errors:
        raise Invalid(errors)
    assert cents is not None
    return AwardInput(amount_cents=cents, conditions=conditions, start_date=start, end_date=end, ta_hours=ta_hours)


def decline_input(data: dict[str, Any]) -> str:
    """The note sent with a decline; Invalid if missing or too long."""
    note = _text(data, "note", MAX_NOTE_CHARS)
    if not note:
        raise Invalid({"note": "Write a short note to the city: it is sent with the decision."})
    if len(note) > MAX_NOTE_CHARS:
        raise Invalid({"note": f"Keep the note under {MAX_NOTE_CHARS:,} characters."})
    return note


def kept_values(data: dict[str, Any]) -> dict[str, str]:
    """What the user typed (the fields the form sent), to show again beside the errors."""
    return {key: _text(data, key, MAX_CONDITIONS_CHARS) for key in LABELS if key in data}
