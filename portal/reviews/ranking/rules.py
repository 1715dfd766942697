"""The panel ranking (issue 4, "Aggregation, shown with its method named"): every application of a panel with
its reviews' statistics, computed from the database in a fixed number of queries (no query per application).

Which reviews count: the submitted reviews (assignment status "submitted") of the program's applications that
have left the draft stage (queries.REVIEWABLE_STATUSES), except reviews by a reviewer who is conflicted on
that application (found or declared: conflicts.conflicts), which are left out of every figure here.

A review's score is its weighted score over the rubric (rules.review_score). Per application, with
aggregation.py: n, mean, median and sample standard deviation; the calibrated score; the disagreement flag;
threshold pass or fail; rank (competition ranking 1, 2, 2, 4 from the best: the highest mean on a normal
scale, the lowest on a lower-is-better one); and on a lower-is-better (NIH-style) rubric the impact score
(10 × mean) and percentile (100 × (rank − 0.5) / N, ties averaged). Applications without a counted review are
"unscored": no rank, listed after the ranked ones.

This module is the arithmetic, pure (the unit tests call `build_ranking` on worked examples); the reads that
feed it are in queries.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Hashable, Iterable, Mapping, Sequence

from portal.reviews import rules
from portal.reviews.ranking import aggregation
from portal.reviews.records import PanelRecord, RankingRow, ReviewerStatsRow

RANK_PLACES = 9  # means are compared rounded to this many decimals, so float noise does not split a tie
THRESHOLD_METHOD = ("Threshold: the application passes when its mean reaches the panel's overall threshold and "
                    "each criterion's mean (over the same reviews) reaches that criterion's threshold; on a "
                    "lower-is-better scale “reaches” means at or below it")
RANK_METHOD = ("Rank: by mean, the best first (highest on a higher-is-better scale, lowest on a lower-is-better "
               "one); tied means share a rank (1, 2, 2, 4)")
IMPACT_METHOD = "Impact score: 10 × mean, rounded half up (NIH, 10 best … 90 worst)"
PERCENTILE_METHOD = ("Percentile: 100 × (rank − 0.5) ÷ N over the N scored applications, tied applications "
                     "sharing the average of the ranks they span (NIH; low is good)")
DISAGREEMENT_METHOD = (f"Disputed: the reviews' standard deviation exceeds {aggregation.DISAGREEMENT_SHARE:.0%} "
                       "of the scale's range")
CONFLICT_METHOD = "Reviews by a reviewer conflicted on the application (found or declared) are left out"
# A reviewer whose mean offset from the other reviewers of the same applications is at least this share of the
# scale's range is called harsh or lenient; closer than that, "in line with the panel".
OFFSET_SHARE = 0.1


@dataclass(frozen=True)
class Scale:
    """The rubric's scale as a whole: the widest range of its criteria, the finest step, and its direction
    (lower is better only when every criterion says so)."""

    low: float
    high: float
    step: float
    lower_is_better: bool

    @property
    def span(self) -> float:
        return self.high - self.low

    def better(self, a: float, b: float) -> bool:
        """Is `a` at least as good as `b`?"""
        return a <= b if self.lower_is_better else a >= b

    def allows(self, value: float) -> bool:
        """On the scale and on a step from its low end (0.5 steps: 1, 1.5, 2 …)."""
        if not self.low <= value <= self.high:
            return False
        steps = (value - self.low) / self.step
        return math.isclose(steps, round(steps), abs_tol=1e-9)


def scale_of(criteria: Iterable[Mapping[str, Any]]) -> Scale:
    criteria = list(criteria)
    if not criteria:
        return Scale(1.0, 5.0, 1.0, False)
    return Scale(float(min(c["scale_min"] for c in criteria)), float(max(c["scale_max"] for c in criteria)),
                 float(min((c.get("scale_step") or 1.0) for c in criteria)),
                 all(bool(c.get("lower_is_better")) for c in criteria))


def competition_ranks(means: Mapping[Hashable, float], lower_is_better: bool,
                      places: int = RANK_PLACES) -> dict[Hashable, int]:
    """Rank 1 = best; ties share the best rank of those they span and the next rank skips (1, 2, 2, 4)."""
    ordered = sorted(means.items(), key=lambda item: round(item[1], places) * (1 if lower_is_better else -1))
    ranks: dict[Hashable, int] = {}
    previous: float | None = None
    current = 0
    for position, (key, mean) in enumerate(ordered, start=1):
        rounded = round(mean, places)
        if rounded != previous:
            current, previous = position, rounded
        ranks[key] = current
    return ranks


def threshold_failures(mean: float, criterion_means: Mapping[int, float], overall: float | None,
                       criteria: Iterable[Mapping[str, Any]], scale: Scale) -> list[str]:
    """What an application fails: "Overall" and/or criterion names; empty when it passes everything."""
    failures = []
    if overall is not None and not scale.better(mean, overall):
        failures.append("Overall")
    for criterion in criteria:
        threshold = criterion.get("threshold")
        value = criterion_means.get(criterion["id"])
        if threshold is None or value is None:
            continue
        direction = Scale(0, 0, 1, bool(criterion.get("lower_is_better")))
        if not direction.better(value, threshold):
            failures.append(criterion["name"])
    return failures


def has_thresholds(overall: float | None, criteria: Iterable[Mapping[str, Any]]) -> bool:
    return overall is not None or any(c.get("threshold") is not None for c in criteria)


def offset_verdict(offset: float | None, scale: Scale) -> str:
    """"harsh", "lenient" or "in line" (or "" without an offset), in the rubric's own direction: a reviewer
    scoring below the others on a higher-is-better scale is harsh, above them on a lower-is-better one too."""
    if offset is None:
        return ""
    if abs(offset) < OFFSET_SHARE * scale.span:
        return "in line"
    harsher = offset > 0 if scale.lower_is_better else offset < 0
    return "harsh" if harsher else "lenient"


@dataclass
class Ranking:
    program_id: int
    panel: PanelRecord | None
    criteria: Sequence[Mapping[str, Any]]
    scale: Scale
    rows: list[RankingRow]  # ranked first (by rank, then title), then unscored (by title)
    reviewers: list[ReviewerStatsRow]  # reviewer statistics, harshest first
    excluded: int  # submitted reviews left out because the reviewer is conflicted
    thresholds: bool = False  # the panel or a criterion has a threshold
    by_id: dict[int, RankingRow] = field(default_factory=dict)

    @property
    def scored(self) -> list[RankingRow]:
        return [r for r in self.rows if r.rank is not None]

    @property
    def unscored(self) -> list[RankingRow]:
        return [r for r in self.rows if r.rank is None]

    @property
    def nih(self) -> bool:
        return self.scale.lower_is_better


def build_ranking(program_id: int, overall: float | None, criteria: Sequence[Mapping[str, Any]],
                  applications: Iterable[Mapping[str, Any]], reviews: list[aggregation.Review],
                  per_criterion: Mapping[int, Mapping[int, list[float]]], names: Mapping[Hashable, str],
                  excluded: int = 0, panel: PanelRecord | None = None) -> Ranking:
    """The ranking from rows already loaded (pure: the unit tests call it on worked examples).

    `overall`: the panel's overall threshold (None: none); `applications`: rows with id and title, and the
    city (organisation_name, organisation_state) and status the pages show; `reviews`: the counted reviews'
    weighted scores; `per_criterion`: application -> criterion -> the counted reviews' values; `names`: reviewer
    names; `panel`: the panel, kept on the ranking for its pages."""
    scale = scale_of(criteria)
    by_app: dict[Hashable, list[float]] = {}
    for review in reviews:
        by_app.setdefault(review.application, []).append(review.score)
    summaries = {app: aggregation.summarise(scores) for app, scores in by_app.items()}
    means = {app: s.mean for app, s in summaries.items() if s.mean is not None}
    ranks = competition_ranks(means, scale.lower_is_better)
    percentiles = (aggregation.percentiles({k: round(v, RANK_PLACES) for k, v in means.items()}, True)
                   if scale.lower_is_better and means else {})
    calibrated = aggregation.calibrated_scores(reviews, scale.low, scale.high)
    thresholds = has_thresholds(overall, criteria)
    unscored = aggregation.Summary(0, None, None, None)
    rows = []
    for application in applications:
        app_id = application["id"]
        summary = summaries.get(app_id, unscored)
        criterion_means = {c: sum(v) / len(v) for c, v in per_criterion.get(app_id, {}).items() if v}
        failures: list[str] = []
        passes: bool | None = None
        if summary.mean is not None and thresholds:
            failures = threshold_failures(summary.mean, criterion_means, overall, criteria, scale)
            passes = not failures
        rows.append(RankingRow(
            id=app_id, title=application["title"], status=application.get("status", ""),
            organisation_name=application.get("organisation_name", ""),
            organisation_state=application.get("organisation_state", ""),
            n=summary.n, mean=summary.mean, median=summary.median, stdev=summary.stdev,
            calibrated=calibrated.get(app_id), rank=ranks.get(app_id),
            disputed=aggregation.disagrees(summary.stdev, scale.low, scale.high),
            impact=aggregation.nih_impact(summary.mean) if scale.lower_is_better else None,
            percentile=percentiles.get(app_id), criterion_means=criterion_means, passes=passes, failures=failures))
    rows.sort(key=lambda r: rules.rank_order_key(r.rank, r.title or ""))
    reviewers = [ReviewerStatsRow(id=stats.reviewer, name=names.get(stats.reviewer, ""),
                                  count=stats.count, mean=stats.mean, stdev=stats.stdev, offset=stats.offset,
                                  verdict=offset_verdict(stats.offset, scale))
                 for stats in aggregation.reviewer_stats(reviews)]
    # The harshest first in the rubric's own direction (aggregation sorts for a higher-is-better scale).
    if scale.lower_is_better:
        reviewers.sort(key=lambda s: (s.offset is None, -(s.offset or 0.0), str(s.name)))
    return Ranking(program_id, panel, criteria, scale, rows, reviewers, excluded, thresholds,
                   {r.id: r for r in rows})


def methods(ranking: Ranking) -> list[str]:
    """Every method the ranking page uses, in words, in the order of its columns."""
    named = [f"Mean: {rules.SCORING_METHOD}, averaged over the application's submitted reviews",
             "Median and standard deviation (sample, n − 1) of the same reviews' weighted scores",
             aggregation.CALIBRATION_METHOD, DISAGREEMENT_METHOD, RANK_METHOD, CONFLICT_METHOD]
    if ranking.thresholds:
        named.append(THRESHOLD_METHOD)
    if ranking.nih:
        named += [IMPACT_METHOD, PERCENTILE_METHOD]
    return named
