"""Score arithmetic and conflict rules of review (pure functions, no database).

The method, as named in the UI (SCORING_METHOD):

- a review's weighted score = Σ(score × weight) / Σ(weight) over the rubric's criteria, so it stays on the
  rubric's own scale (e.g. 1–5) whatever the weights add up to;
- an application's weighted mean = the plain mean of its submitted reviews' weighted scores;
- rank: by weighted mean, highest first, with competition ranking for ties (1, 2, 2, 4); applications without
  a submitted review have no score and no rank, and are listed after every ranked one.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

SCORING_METHOD = "Weighted mean of reviewers' rubric scores (Σ score × weight / Σ weights)"


def review_score(values: Mapping[int, float | None], criteria: Iterable[Mapping[str, Any]]) -> float | None:
    """The weighted score of one review: Σ(value × weight) / Σ(weight) over the criteria it scored.

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


def weighted_mean(review_scores: Iterable[float | None]) -> float | None:
    """The mean of the reviews' weighted scores (reviews without a score are left out); None if none."""
    scores = [s for s in review_scores if s is not None]
    if not scores:
        return None
    return sum(scores) / len(scores)


def rank(means: Mapping[int, float | None], places: int = 9) -> dict[int, int | None]:
    """Competition ranking (1, 2, 2, 4) by mean, highest first; None for those without a mean.

    Means are compared rounded to `places` decimals, so that float noise (e.g. 3.4000000001 against 3.4)
    does not split a tie.
    """
    scored = sorted(((round(m, places), key) for key, m in means.items() if m is not None), reverse=True)
    ranks: dict[int, int | None] = {key: None for key, m in means.items() if m is None}
    previous: float | None = None
    current = 0
    for position, (mean, key) in enumerate(scored, start=1):
        if mean != previous:
            current = position
            previous = mean
        ranks[key] = current
    return ranks


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
    return errors


def email_domain(email: str) -> str:
    return email.rsplit("@", 1)[-1].strip().lower() if "@" in email else ""


def is_conflicted(reviewer_email: str, reviewer_city_ids: Iterable[int], applicant_org_id: int,
                  applicant_email_domain: str) -> bool:
    """A reviewer is conflicted on a city they belong to, or whose email domain they share."""
    if applicant_org_id in set(reviewer_city_ids):
        return True
    domain = (applicant_email_domain or "").strip().lower()
    return bool(domain) and email_domain(reviewer_email) == domain
