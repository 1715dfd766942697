"""The decision board's forms: one application's draft decision, the bulk actions and the release."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from portal.awards.forms import amount_to_award
from portal.core.errors import Invalid
from portal.core.templating import money
from portal.web.forms import text

OUTCOMES = ("award", "decline", "waitlist")
BULK_ACTIONS = {"award_above": "award", "decline_below": "decline", "waitlist_below": "waitlist"}
MAX_NOTE_CHARS = 4000
MAX_HOURS = 100_000

LABELS = {"outcome": "Decision", "amount": "Amount", "hours": "Hours of technical assistance",
          "tie_break_note": "Tie-break rule", "note": "Note to the city", "action": "Bulk action",
          "confirm_over_budget": "Over budget", "confirm_before_deadline": "Before the deadline",
          "confirm_few_reviews": "Too few reviews"}
CONFIRMATIONS = ("confirm_over_budget", "confirm_before_deadline", "confirm_few_reviews")


@dataclass(frozen=True)
class DraftInput:
    """One application's draft decision as the row form sent it (the `decision` row's values)."""

    outcome: str  # award | decline | waitlist
    amount_cents: int
    quantity: int
    tie_break_note: str
    note: str


def _limited(data: dict[str, Any], key: str, limit: int, errors: dict[str, str], what: str) -> str:
    value = text(data, key, limit + 1).replace("\r\n", "\n").strip()
    if len(value) > limit:
        errors[key] = f"Keep the {what} under {limit:,} characters."
    return value


def tie_break(data: dict[str, Any], required: bool, errors: dict[str, str]) -> str:
    note = _limited(data, "tie_break_note", MAX_NOTE_CHARS, errors, "tie-break rule")
    if required and not note and "tie_break_note" not in errors:
        errors["tie_break_note"] = ("Tied applications fall on both sides of the funding line: record the "
                                    "tie-break rule used.")
    return note


def _hours(data: dict[str, Any], required: bool, most: int, errors: dict[str, str]) -> int:
    hours = text(data, "hours", 20).strip()
    if not hours:
        if required:
            errors["hours"] = "Enter the hours of technical assistance."
        return 0
    if not (hours.isascii() and hours.isdigit()) or not 0 < int(hours) <= most:
        errors["hours"] = f"Enter the hours as a whole number from 1 to {most:,}{'' if required else ', or none'}."
        return 0
    return int(hours)


def decision_input(data: dict[str, Any], *, offer_kind: str, max_award_cents: int, needs_tie_break: bool,
                   max_ta_hours: int = 0) -> DraftInput | None:
    """The draft decision the row form sent (None: clear the draft); Invalid with every error at once.

    What an award gives follows the program: a cohort seat is one seat (no amount); technical assistance is
    hours (required) and their value; cash and travel an amount, plus optional hours of technical assistance
    where the program offers them (`max_ta_hours`)."""
    errors: dict[str, str] = {}
    outcome = text(data, "outcome", 20)
    if outcome == "clear":
        return None
    if outcome not in OUTCOMES:
        errors["outcome"] = "Choose award, decline or waitlist."
    amount_cents, quantity = 0, 0
    if outcome == "award" and offer_kind == "cohort_seat":
        quantity = 1
    elif outcome == "award":
        cents, problem = amount_to_award(text(data, "amount", 40))
        if cents is None:  # amount_to_award gives a problem with no amount
            errors["amount"] = problem or ""
        elif max_award_cents > 0 and cents > max_award_cents:
            errors["amount"] = f"The amount is more than the program's largest award ({money(max_award_cents)})."
        else:
            amount_cents = cents
        if offer_kind == "ta_hours" or max_ta_hours > 0:
            quantity = _hours(data, offer_kind == "ta_hours", max_ta_hours or MAX_HOURS, errors)
    note = _limited(data, "note", MAX_NOTE_CHARS, errors, "note")
    tie_note = tie_break(data, needs_tie_break, errors)
    if errors:
        raise Invalid(errors)
    return DraftInput(outcome=outcome, amount_cents=amount_cents, quantity=quantity, tie_break_note=tie_note,
                      note=note if outcome != "award" else "")


def bulk_input(data: dict[str, Any], needs_tie_break: bool) -> tuple[str, str]:
    """(action, tie-break rule) of a bulk action; Invalid with every error at once."""
    errors: dict[str, str] = {}
    action = text(data, "action", 40)
    if action not in BULK_ACTIONS:
        errors["action"] = "Choose what to do: award above the line, or decline or waitlist below it."
    note = tie_break(data, needs_tie_break, errors)
    if errors:
        raise Invalid(errors)
    return action, note


def kept(data: dict[str, Any]) -> dict[str, str]:
    return {key: text(data, key, MAX_NOTE_CHARS + 1) for key in ("outcome", "amount", "hours", "tie_break_note", "note")
            if key in data}
