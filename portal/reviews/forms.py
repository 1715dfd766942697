"""Validation of the scoring form: a score and a comment per criterion, an optional recommendation, comments for
the applicant and comments for staff only, and the version of the review the page was rendered at."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from portal.core.errors import Invalid
from portal.reviews import rules
from portal.web.forms import text

MAX_COMMENT = 5000
MAX_VERSION = 2**31 - 1  # the column is a 32-bit integer on PostgreSQL


@dataclass
class ReviewInput:
    values: dict[int, float | None] = field(default_factory=dict)  # criterion id -> score (None: not scored)
    comments: dict[int, str] = field(default_factory=dict)  # criterion id -> comment
    overall: str = ""  # comments for staff only (Assignment.comment)
    applicant_comment: str = ""  # may be shared with the applicant
    recommendation: str = ""  # "" | fund | fund_with_changes | do_not_fund


def score_field(criterion_id: int) -> str:
    return f"score_{criterion_id}"


def comment_field(criterion_id: int) -> str:
    return f"comment_{criterion_id}"


def version(data: dict[str, Any]) -> int | None:
    """The review version the page was rendered at (None when missing or not a whole number)."""
    raw = text(data, "version", 12)
    return int(raw) if raw.isascii() and raw.isdigit() and int(raw) <= MAX_VERSION else None


def review(data: dict[str, Any], criteria: Sequence[Mapping[str, Any]], *, require_all: bool,
           ask_recommendation: bool = False) -> ReviewInput:
    """The review as entered; raises Invalid with every error (field names score_<id>) at once.

    A draft (`require_all=False`) may leave scores out; any score given must be a number on its scale's grid
    (4.5 on a half-point scale; 4.25 never).
    """
    result = ReviewInput(overall=text(data, "comment", MAX_COMMENT),
                         applicant_comment=text(data, "applicant_comment", MAX_COMMENT))
    errors: dict[str, str] = {}
    recommendation = text(data, "recommendation", 40)
    if recommendation and (not ask_recommendation or recommendation not in rules.RECOMMENDATIONS):
        errors["recommendation"] = "Choose fund, fund with changes, do not fund, or no recommendation."
    else:
        result.recommendation = recommendation
    for criterion in criteria:
        cid = criterion["id"]
        raw = text(data, score_field(cid), 20)
        result.comments[cid] = text(data, comment_field(cid), MAX_COMMENT)
        if not raw:
            result.values[cid] = None
            if result.comments[cid]:
                # A score row carries its comment: a comment alone would be lost, so say so instead.
                errors[score_field(cid)] = f"Choose a score for “{criterion['name']}” to save its comment."
            continue
        try:
            value = float(raw)
        except ValueError:
            errors[score_field(cid)] = f"The score for “{criterion['name']}” must be a number."
            result.values[cid] = None
            continue
        if value != value or value in (float("inf"), float("-inf")):  # NaN, infinities
            errors[score_field(cid)] = f"The score for “{criterion['name']}” must be a number."
            result.values[cid] = None
            continue
        result.values[cid] = value
    for cid, message in rules.missing_or_invalid(result.values, criteria, require_all).items():
        errors.setdefault(score_field(cid), message)
    if errors:
        raise Invalid(errors)
    return result


def entered(data: dict[str, Any], criteria: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """What the reviewer typed, to show again beside the errors."""
    kept: dict[str, Any] = {"comment": text(data, "comment", MAX_COMMENT),
                            "applicant_comment": text(data, "applicant_comment", MAX_COMMENT),
                            "recommendation": text(data, "recommendation", 40)}
    for criterion in criteria:
        kept[score_field(criterion["id"])] = text(data, score_field(criterion["id"]), 20)
        kept[comment_field(criterion["id"])] = text(data, comment_field(criterion["id"]), MAX_COMMENT)
    return kept
