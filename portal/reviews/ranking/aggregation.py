"""Aggregating a panel's scores (pure functions, no database): the methods the ranking page names.

- Per application: n, mean, median, sample standard deviation of its reviews' weighted scores.
- NIH-style scales (1 best, 9 worst): impact score = round(10 × mean) (10–90); percentile = 100 × (rank − 0.5) / N
  where rank counts from the best and tied scores share the average of the ranks they span.
- Calibration: each reviewer's scores are turned into z-scores against that reviewer's own mean and standard
  deviation (a reviewer with one review, or with all scores equal, contributes z = 0: no information about
  harshness); an application's calibrated z is the mean of its reviews' z; it is mapped back onto the scale as
  panel mean + z × panel standard deviation, clipped to the scale. Harsh and lenient reviewers then count alike.
- Disagreement: flagged when an application's standard deviation exceeds a share (default a quarter) of the
  scale's range.
- Reviewer statistics: count, mean and standard deviation of each reviewer's scores, and their mean offset from
  the other reviewers of the same applications (negative: harsher than the panel on a higher-is-better scale).
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass
from typing import Hashable, Iterable, Mapping

CALIBRATION_METHOD = ("Calibrated: each reviewer's scores z-scored against their own mean and spread, averaged per "
                      "application, mapped back onto the scale (panel mean + z × panel spread)")
DISAGREEMENT_SHARE = 0.25


@dataclass(frozen=True)
class Review:
    reviewer: Hashable
    application: Hashable
    score: float


@dataclass(frozen=True)
class Summary:
    n: int
    mean: float | None
    median: float | None
    stdev: float | None  # sample standard deviation; None with fewer than two scores


def _spread(values: list[float], sample: bool) -> float:
    """Standard deviation in plain floats (two passes). `statistics.stdev` computes in exact fractions, which cost
    0.3 s over a 2,000-application panel; the difference is far below the two decimals shown."""
    mean = math.fsum(values) / len(values)
    return math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (len(values) - 1 if sample else len(values)))


def summarise(scores: Iterable[float]) -> Summary:
    values = [float(s) for s in scores]
    if not values:
        return Summary(0, None, None, None)
    return Summary(len(values), statistics.fmean(values), statistics.median(values),
                   _spread(values, sample=True) if len(values) > 1 else None)


def nih_impact(mean: float | None) -> int | None:
    """NIH overall impact score: 10 × the mean of the overall scores (1 best … 9 worst), rounded half up."""
    if mean is None:
        return None
    return int(10 * mean + 0.5)


def average_ranks(values: Mapping[Hashable, float], best_is_lowest: bool) -> dict[Hashable, float]:
    """Rank 1 = best; tied values share the mean of the ranks they span (e.g. two tied for 2nd: 2.5 each)."""
    ordered = sorted(values.items(), key=lambda item: item[1] if best_is_lowest else -item[1])
    ranks: dict[Hashable, float] = {}
    position = 0
    while position < len(ordered):
        end = position
        while end + 1 < len(ordered) and ordered[end + 1][1] == ordered[position][1]:
            end += 1
        shared = (position + 1 + end + 1) / 2
        for key, _ in ordered[position:end + 1]:
            ranks[key] = shared
        position = end + 1
    return ranks


def percentiles(values: Mapping[Hashable, float], best_is_lowest: bool = True) -> dict[Hashable, float]:
    """NIH percentile: 100 × (rank − 0.5) / N, ties averaged; a low percentile is a good one."""
    n = len(values)
    return {key: 100 * (rank - 0.5) / n for key, rank in average_ranks(values, best_is_lowest).items()}


def calibrated_scores(reviews: Iterable[Review], scale_min: float, scale_max: float) -> dict[Hashable, float]:
    """Each application's calibrated score on the scale (see the module's docstring)."""
    reviews = list(reviews)
    if not reviews:
        return {}
    by_reviewer: dict[Hashable, list[float]] = defaultdict(list)
    for review in reviews:
        by_reviewer[review.reviewer].append(review.score)
    centre = {r: (statistics.fmean(s), _spread(s, sample=False)) for r, s in by_reviewer.items()}
    z_by_application: dict[Hashable, list[float]] = defaultdict(list)
    for review in reviews:
        mean, spread = centre[review.reviewer]
        z_by_application[review.application].append((review.score - mean) / spread if spread > 0 else 0.0)
    all_scores = [review.score for review in reviews]
    panel_mean, panel_spread = statistics.fmean(all_scores), _spread(all_scores, sample=False)
    return {application: min(scale_max, max(scale_min, panel_mean + statistics.fmean(zs) * panel_spread))
            for application, zs in z_by_application.items()}


def disagrees(stdev: float | None, scale_min: float, scale_max: float, share: float = DISAGREEMENT_SHARE) -> bool:
    return stdev is not None and stdev > share * (scale_max - scale_min)


@dataclass(frozen=True)
class ReviewerStats:
    reviewer: Hashable
    count: int
    mean: float
    stdev: float | None
    offset: float | None  # mean of (own score − mean of the others' scores on the same application)


def reviewer_stats(reviews: Iterable[Review]) -> list[ReviewerStats]:
    """Per reviewer, sorted by offset (the harshest first on a higher-is-better scale)."""
    reviews = list(reviews)
    by_application: dict[Hashable, list[Review]] = defaultdict(list)
    by_reviewer: dict[Hashable, list[Review]] = defaultdict(list)
    for review in reviews:
        by_application[review.application].append(review)
        by_reviewer[review.reviewer].append(review)
    stats = []
    for reviewer, own in by_reviewer.items():
        offsets = []
        for review in own:
            others = [r.score for r in by_application[review.application] if r.reviewer != reviewer]
            if others:
                offsets.append(review.score - statistics.fmean(others))
        scores = [r.score for r in own]
        stats.append(ReviewerStats(reviewer, len(own), statistics.fmean(scores),
                                   _spread(scores, sample=True) if len(scores) > 1 else None,
                                   statistics.fmean(offsets) if offsets else None))
    return sorted(stats, key=lambda s: (s.offset is None, s.offset if s.offset is not None else 0.0, str(s.reviewer)))
