"""Validating the panel meeting's forms: the not-discussed share and one application's consensus."""

from __future__ import annotations

import math
from typing import Any, TypedDict

from portal.core.errors import Invalid
from portal.reviews.meetings.rules import MAX_SHARE
from portal.reviews.ranking.rules import Scale

MAX_NOTE_CHARS = 5000


def _raw(data: dict[str, Any], key: str) -> str:
    value = data.get(key, "")
    if isinstance(value, list):
        value = value[-1] if value else ""
    return value.strip() if isinstance(value, str) else ""


def not_discussed_share(data: dict[str, Any]) -> int:
    """The share in whole percent, 0 to MAX_SHARE."""
    raw = _raw(data, "not_discussed_percent")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 3 or int(raw) > MAX_SHARE:
        raise Invalid({"not_discussed_percent": f"Enter a whole number of percent from 0 to {MAX_SHARE}."})
    return int(raw)


def format_value(value: float) -> str:
    return f"{value:g}"


class Consensus(TypedDict):
    score: float | None
    note: str
    minority: str
    discussed: bool


def consensus(data: dict[str, Any], scale: Scale) -> Consensus:
    """{"score": float | None, "note", "minority", "discussed": bool}; every error at once."""
    errors: dict[str, str] = {}
    raw = _raw(data, "consensus_score")
    score: float | None = None
    where = f"from {format_value(scale.low)} to {format_value(scale.high)}"
    step = f" in steps of {format_value(scale.step)}" if scale.step != 1 else " in whole points"
    if raw:
        try:
            score = float(raw.replace(",", ".")) if len(raw) <= 20 else math.nan
        except ValueError:
            score = math.nan
        if not math.isfinite(score):
            errors["consensus_score"] = f"Enter the consensus score as a number {where}{step}, or leave it empty."
            score = None
        elif not scale.allows(score):
            errors["consensus_score"] = f"The consensus score must be {where}{step}."
    note, minority = _raw(data, "consensus_note"), _raw(data, "minority_view")
    for key, value, label in (("consensus_note", note, "consensus note"), ("minority_view", minority, "minority view")):
        if len(value) > MAX_NOTE_CHARS:
            errors[key] = f"Shorten the {label} to {MAX_NOTE_CHARS:,} characters or fewer (it has {len(value):,})."
    if errors:
        raise Invalid(errors)
    return {"score": score, "note": note, "minority": minority, "discussed": _raw(data, "discussed") == "yes"}
