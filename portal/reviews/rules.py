"""Score arithmetic and conflict rules of review (pure functions, no database).

The method, as named in the UI (SCORING_METHOD):

- a review's weighted score = Σ(score × weight) / Σ(weight) over the rubric's criteria, so it stays on the
  rubric's own scale (e.g. 1–5) whatever the weights add up to;
- an application's weighted mean = the plain mean of its submitted reviews' weighted scores, and its rank
  (best first in the rubric's direction, ties 1, 2, 2, 4): portal/reviews/ranking/, which also leaves out
  the reviews of conflicted reviewers; applications without a submitted review have no score and no rank, and
  are listed after every ranked one (`rank_order_key`).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any, Iterable, Mapping

SCORING_METHOD = "Weighted mean of reviewers' rubric scores (Σ score × weight / Σ weights)"


def review_score(values: Mapping[int, float | None], criteria: Iterable[Mapping[str, Any]]) -> float | None:
    """The weighted score of one review: Σ(value × weight) / Σ(weight) over the criteria it scored.

    It stays on the rubric's own scale and in its own direction: on an NIH-style rubric (every criterion
    lower_is_better) a lower weighted score is better. A rubric mixing both directions has no meaningful
    weighted score: `rubric_problem` says so, and submitting a review refuses it (docs/reviews.md, "Scoring").

    `values` maps criterion id -> score; `criteria` are rows with `id` and `weight`. None when nothing is
    scored or the scored criteria weigh nothing.
    """
    total = 0.0
    weights = 0
    for criterion in criteria:
        value = values.get(criterion["id"])
        if value is None:
            continue
        total += float(value) * criterion["weight"]
        weights += criterion["weight"]
    if weights <= 0:
        return None
    return total / weights


def rank_order_key(rank_value: int | None, title: str = "") -> tuple[int, int, str]:
    """Sort key: ranked first (by rank), then unranked; by title within."""
    return (1, 0, title.lower()) if rank_value is None else (0, rank_value, title.lower())


def missing_or_invalid(values: Mapping[int, float | None], criteria: Iterable[Mapping[str, Any]],
                       require_all: bool) -> dict[int, str]:
    """Errors per criterion id: a score outside the criterion's scale, or (with `require_all`) no score."""
    errors: dict[int, str] = {}
    for criterion in criteria:
        value = values.get(criterion["id"])
        low, high = criterion["scale_min"], criterion["scale_max"]
        if value is None:
            if require_all:
                errors[criterion["id"]] = f"Choose a score for “{criterion['name']}” from {low} to {high}."
        elif not low <= value <= high:
            errors[criterion["id"]] = f"The score for “{criterion['name']}” must be from {low} to {high}."
        elif not on_grid(value, criterion):
            errors[criterion["id"]] = (f"The score for “{criterion['name']}” must be one of "
                                       f"{', '.join(plain(p) for p in scale_points(criterion))}.")
    return errors


# --- Scales: whole or half points, either direction ---------------------------------------------------------

GRID_TOLERANCE = 1e-9


def _step(criterion: Mapping[str, Any]) -> float:
    step = float(criterion.get("scale_step") or 1.0)
    return step if step > 0 else 1.0


def scale_points(criterion: Mapping[str, Any]) -> list[float]:
    """Every score the criterion allows: scale_min to scale_max in steps of scale_step (0, 0.5, 1, … 5)."""
    low, high, step = float(criterion["scale_min"]), float(criterion["scale_max"]), _step(criterion)
    count = int((high - low) / step + GRID_TOLERANCE)
    return [round(low + i * step, 6) for i in range(count + 1)]


def on_grid(value: float, criterion: Mapping[str, Any]) -> bool:
    """Whether `value` is one of the scale's steps (4.5 on a half-point scale; 4.25 is not)."""
    offset = (float(value) - float(criterion["scale_min"])) / _step(criterion)
    return abs(offset - round(offset)) < GRID_TOLERANCE


def plain(value: float | None) -> str:
    """3.0 -> "3", 3.5 -> "3.5", None -> "" (the form's radio values)."""
    if value is None:
        return ""
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:g}"


def scale_description(criterion: Mapping[str, Any]) -> str:
    """What the legend's hint says about the scale, e.g. "1 (exceptional) to 9 (poor): lower is better"."""
    low, high = plain(criterion["scale_min"]), plain(criterion["scale_max"])
    halves = "; half points allowed" if _step(criterion) != 1.0 else ""
    if criterion.get("lower_is_better"):
        return f"Score from {low} (exceptional) to {high} (poor): lower is better{halves}."
    return f"Score from {low} (lowest) to {high} (highest): higher is better{halves}."


def threshold_text(criterion: Mapping[str, Any]) -> str:
    """"Threshold: 3 or better (3 or higher)", or "" without a threshold."""
    if criterion.get("threshold") is None:
        return ""
    t = plain(criterion["threshold"])
    return f"Threshold: {t} or better ({t} or {'lower' if criterion.get('lower_is_better') else 'higher'})."


def meets_threshold(value: float | None, criterion: Mapping[str, Any]) -> bool | None:
    """Whether a score reaches the criterion's threshold (None: no threshold or no score)."""
    if value is None or criterion.get("threshold") is None:
        return None
    if criterion.get("lower_is_better"):
        return float(value) <= float(criterion["threshold"])
    return float(value) >= float(criterion["threshold"])


def rubric_problem(criteria: Iterable[Mapping[str, Any]]) -> str | None:
    """Why no weighted score can be formed from this rubric, or None.

    The criteria of one rubric must share a direction: a weighted mean of a 1–9 "lower is better" score and a
    1–5 "higher is better" one rewards nothing in particular. We refuse such a rubric rather than silently
    flipping one scale (which would change what reviewers were told the numbers mean).
    """
    directions = {bool(c.get("lower_is_better")) for c in criteria}
    if len(directions) > 1:
        return ("This rubric mixes criteria where lower is better with criteria where higher is better, so no "
                "weighted score can be formed. Program staff must give every criterion the same direction.")
    return None


# --- A reviewer's queue ---------------------------------------------------------------------------------------

def queue_key(secret: str, reviewer_id: int, assignment_id: int) -> str:
    """A reviewer's own stable shuffle of their queue: HMAC-SHA256 keyed with the app secret over (reviewer,
    assignment). Two reviewers get different orders (so the same application is not always read first, or
    tired-last, by everyone); one reviewer always gets the same order; without the secret the order cannot be
    predicted from the ids."""
    message = f"review-queue:{reviewer_id}:{assignment_id}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


# Stored in review_assignment.recommendation and review_revision.recommendation, both VARCHAR(16): the key for
# "fund with changes" is `fund_changes` because "fund_with_changes" (17 characters) does not fit.
RECOMMENDATIONS = {"fund": "Fund", "fund_changes": "Fund with changes", "do_not_fund": "Do not fund"}


def email_domain(email: str) -> str:
    return email.rsplit("@", 1)[-1].strip().lower() if "@" in email else ""
