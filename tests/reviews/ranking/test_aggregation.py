"""Panel arithmetic against worked examples: summaries, NIH impact and percentiles with ties, calibration."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.reviews.ranking.aggregation import (
    Review,
    average_ranks,
    calibrated_scores,
    disagrees,
    nih_impact,
    percentiles,
    reviewer_stats,
    summarise,
)


def test_summary_of_three_scores():
    summary = summarise([3, 4, 5])
    assert (summary.n, summary.mean, summary.median, summary.stdev) == (3, 4.0, 4.0, 1.0)


def test_summary_of_one_and_of_none():
    assert (summarise([4]).stdev, summarise([4]).median) == (None, 4.0)
    assert summarise([]).mean is None


@pytest.mark.parametrize(("mean", "impact"), [(2.33, 23), (1.25, 13), (1.0, 10), (9.0, 90), (None, None)])
def test_nih_impact_is_ten_times_the_mean_rounded_half_up(mean, impact):
    assert nih_impact(mean) == impact


def test_percentiles_average_tied_ranks():
    # NIH: percentile = 100 × (rank − 0.5) / N; b and c tie for ranks 2 and 3, so both take rank 2.5.
    impacts = {"a": 20, "b": 30, "c": 30, "d": 40}
    assert average_ranks(impacts, best_is_lowest=True) == {"a": 1, "b": 2.5, "c": 2.5, "d": 4}
    assert percentiles(impacts) == {"a": 12.5, "b": 50.0, "c": 50.0, "d": 87.5}


def test_percentiles_when_higher_is_better():
    assert percentiles({"x": 4.5, "y": 3.0}, best_is_lowest=False) == {"x": 25.0, "y": 75.0}


def test_calibration_lifts_a_harsh_reviewers_application_above_a_lenient_ones():
    # Both P and Q got a raw 3; but 3 is the harsh reviewer's best and the lenient reviewer's worst score.
    reviews = [Review("harsh", "P", 3), Review("harsh", "R", 1), Review("lenient", "Q", 3), Review("lenient", "S", 5)]
    calibrated = calibrated_scores(reviews, 1, 5)
    assert calibrated["P"] > calibrated["Q"]
    # Worked: panel mean 3, panel spread sqrt(2); P has z = +1, Q has z = −1.
    assert math.isclose(calibrated["P"], 3 + math.sqrt(2))
    assert math.isclose(calibrated["Q"], 3 - math.sqrt(2))


def test_calibration_of_a_reviewer_with_one_score_is_the_panel_mean():
    calibrated = calibrated_scores([Review("r", "A", 5), Review("s", "B", 1), Review("s", "C", 3)], 1, 5)
    assert calibrated["A"] == 3.0  # panel mean; z = 0 for a single score


def test_calibration_stays_on_the_scale():
    reviews = [Review("r", "A", 5), Review("r", "B", 1), Review("s", "A", 5), Review("s", "B", 1)]
    calibrated = calibrated_scores(reviews, 1, 5)
    assert all(1 <= value <= 5 for value in calibrated.values())


@given(st.lists(st.tuples(st.sampled_from("rstu"), st.sampled_from("ABCDE"), st.integers(1, 5)), max_size=30))
def test_calibrated_scores_always_on_the_scale_and_one_per_application(rows):
    calibrated = calibrated_scores([Review(*row) for row in rows], 1, 5)
    assert set(calibrated) == {application for _, application, _ in rows}
    assert all(1 <= value <= 5 for value in calibrated.values())


def test_disagreement_beyond_a_quarter_of_the_range():
    assert (disagrees(1.2, 1, 5), disagrees(0.9, 1, 5), disagrees(None, 1, 5)) == (True, False, False)


def test_reviewer_statistics_show_the_harsh_one_first():
    reviews = [Review("harsh", "A", 2), Review("fair", "A", 4), Review("harsh", "B", 1), Review("fair", "B", 3)]
    stats = reviewer_stats(reviews)
    assert [(s.reviewer, s.count, s.mean, s.offset) for s in stats] == [("harsh", 2, 1.5, -2.0), ("fair", 2, 3.5, 2.0)]
