"""The ranking and meeting helpers on worked examples (no database)."""

from __future__ import annotations

import pytest

from portal.core.errors import Invalid
from portal.reviews.meetings import forms as meeting_forms
from portal.reviews.meetings import rules as meeting
from portal.reviews.ranking.aggregation import Review
from portal.reviews.ranking.rules import Scale, build_ranking, competition_ranks, offset_verdict, scale_of
from portal.reviews.records import PanelOutcomeRecord, RankingRow

NIH = [{"id": 1, "name": "Impact", "weight": 1, "scale_min": 1, "scale_max": 9, "scale_step": 1.0,
        "lower_is_better": True, "threshold": None}]
FIVE = [{"id": 1, "name": "Need", "weight": 40, "scale_min": 1, "scale_max": 5, "scale_step": 1.0,
         "lower_is_better": False, "threshold": None},
        {"id": 2, "name": "Plan", "weight": 60, "scale_min": 1, "scale_max": 5, "scale_step": 1.0,
         "lower_is_better": False, "threshold": 3.5}]
APPS = [{"id": i, "title": t} for i, t in ((1, "Alpha"), (2, "Beta"), (3, "Gamma"), (4, "Delta"))]


def ranked(app_id: int, rank: int | None = None, disputed: bool = False,
           calibrated: float | None = None) -> RankingRow:
    """A ranking row with only what the meeting's rules read set."""
    return RankingRow(id=app_id, title=f"Application {app_id}", status="submitted", organisation_name="",
                      organisation_state="", n=0, mean=None, median=None, stdev=None, calibrated=calibrated,
                      rank=rank, disputed=disputed, impact=None, percentile=None, criterion_means={}, passes=None,
                      failures=[])


def outcome(app_id: int, consensus_score: float | None, status: str) -> PanelOutcomeRecord:
    return PanelOutcomeRecord(id=app_id, panel=1, application=app_id, discussion_position=None, status=status,
                              consensus_score=consensus_score, consensus_note="", minority_view="", final_rank=None,
                              updated_by=None, updated_at=None)


def test_competition_ranks_best_first_in_both_directions():
    means = {"a": 2.0, "b": 3.0, "c": 3.0, "d": 4.0}
    assert competition_ranks(means, lower_is_better=False) == {"d": 1, "b": 2, "c": 2, "a": 4}
    assert competition_ranks(means, lower_is_better=True) == {"a": 1, "b": 2, "c": 2, "d": 4}
    assert competition_ranks({"x": 0.1 + 0.2, "y": 0.3}, lower_is_better=False) == {"x": 1, "y": 1}


def test_lower_is_better_ranking_with_impact_and_tied_percentiles():
    # Means: Alpha 2.0, Beta 3.0, Gamma 3.0 (tied with Beta), Delta unscored.
    reviews = [Review("r1", 1, 2), Review("r2", 1, 2), Review("r1", 2, 3), Review("r2", 2, 3),
               Review("r1", 3, 4), Review("r2", 3, 2)]
    result = build_ranking(1, None, NIH, APPS, reviews, {}, {"r1": "Ann", "r2": "Bo"})
    assert [(r.title, r.rank, r.impact) for r in result.rows] == [
        ("Alpha", 1, 20), ("Beta", 2, 30), ("Gamma", 2, 30), ("Delta", None, None)]
    # N = 3; Beta and Gamma span ranks 2 and 3: average 2.5 → 100 × 2.0 / 3.
    assert [round(r.percentile, 2) for r in result.scored] == [16.67, 66.67, 66.67]
    assert result.by_id[4].percentile is None and result.unscored == [result.by_id[4]]
    assert result.by_id[3].disputed is False  # SD 1.41 is not above 25 % of 8 = 2
    assert result.nih


def test_thresholds_pass_and_fail_overall_and_per_criterion():
    reviews = [Review("r1", 1, 4.6), Review("r1", 2, 3.0), Review("r1", 3, 2.0)]
    per_criterion = {1: {1: [4.0], 2: [5.0]}, 2: {1: [3.0], 2: [3.0]}, 3: {1: [2.0], 2: [2.0]}}
    result = build_ranking(1, 2.5, FIVE, APPS, reviews, per_criterion, {})  # overall threshold 2.5
    assert {r.id: (r.passes, r.failures) for r in result.rows} == {
        1: (True, []), 2: (False, ["Plan"]), 3: (False, ["Overall", "Plan"]), 4: (None, [])}


def test_thresholds_on_a_lower_is_better_scale_pass_at_or_below():
    criteria = [dict(NIH[0], threshold=3.0)]
    reviews = [Review("r1", 1, 3.0), Review("r1", 2, 3.5)]
    result = build_ranking(1, 3.0, criteria, APPS[:2], reviews, {1: {1: [3.0]}, 2: {1: [3.5]}}, {})
    assert {r.id: r.failures for r in result.rows} == {1: [], 2: ["Overall", "Impact"]}


def test_no_threshold_column_without_thresholds():
    result = build_ranking(1, None, [dict(c, threshold=None) for c in FIVE], APPS, [Review("r1", 1, 3.0)], {}, {})
    assert result.thresholds is False and result.by_id[1].passes is None


def test_reviewer_verdicts_follow_the_scale_direction():
    high, low = Scale(1, 5, 1, False), Scale(1, 9, 1, True)
    assert [offset_verdict(o, high) for o in (-0.5, 0.5, 0.1, None)] == ["harsh", "lenient", "in line", ""]
    assert [offset_verdict(o, low) for o in (1.0, -1.0, 0.5)] == ["harsh", "lenient", "in line"]


def test_scale_of_rubric_and_steps():
    scale = scale_of([dict(FIVE[0], scale_min=0, scale_step=0.5), FIVE[1]])
    assert (scale.low, scale.high, scale.step, scale.lower_is_better) == (0, 5, 0.5, False)
    assert [scale.allows(v) for v in (0, 2.5, 5, 2.25, 5.5, -0.5)] == [True, True, True, False, False, False]
    assert scale_of(NIH).lower_is_better and not scale_of([NIH[0], FIVE[0]]).lower_is_better


def test_bottom_share_rounds_down():
    ids = [10, 11, 12, 13, 14, 15, 16]
    assert meeting.bottom_share(ids, 0) == []
    assert meeting.bottom_share(ids, 14) == []  # 0.98 of one
    assert meeting.bottom_share(ids, 15) == [16]
    assert meeting.bottom_share(ids, 50) == [14, 15, 16]
    assert meeting.bottom_share(ids, 100) == ids[1:]  # capped at 90 %: ⌊6.3⌋ = 6


def test_discussion_order_puts_disputed_top_half_first():
    rows = [ranked(i, rank=r, disputed=d) for i, r, d in
            ((1, 1, False), (2, 2, True), (3, 3, False), (4, 4, True), (5, None, False))]
    # Top half of 4 scored: 1 and 2; 2 is disputed. 4 is disputed but in the bottom half.
    assert meeting.discussion_order(rows, {}) == [2, 1, 3, 4, 5]
    assert meeting.discussion_order(rows, {2: "not_discussed"}) == [1, 3, 4, 2, 5]


def test_final_order_uses_consensus_then_calibrated_and_puts_not_discussed_last():
    rows = [ranked(1, calibrated=4.0), ranked(2, calibrated=3.0), ranked(3, calibrated=4.5),
            ranked(4, calibrated=None)]
    outcomes = {2: outcome(2, consensus_score=5.0, status="discussed"),
                3: outcome(3, consensus_score=None, status="not_discussed")}
    order = meeting.final_order(rows, outcomes, Scale(1, 5, 1, False))
    assert [(e.id, e.rank, e.basis) for e in order] == [(2, 1, "consensus"), (1, 2, "calibrated"),
                                                        (3, 3, "calibrated")]
    order = meeting.final_order([ranked(1, calibrated=2.0), ranked(2, calibrated=2.0)], {},
                                Scale(1, 9, 1, True))
    assert [e.rank for e in order] == [1, 1]


def test_consensus_form_checks_scale_and_step():
    scale = Scale(1, 5, 0.5, False)
    assert meeting_forms.consensus({"consensus_score": "4.5", "discussed": "yes"}, scale) == {
        "score": 4.5, "note": "", "minority": "", "discussed": True}
    assert meeting_forms.consensus({}, scale)["score"] is None
    for bad in ("4.25", "5.5", "0.5", "inf", "nan", "four", "1" * 30):
        with pytest.raises(Invalid) as exc:
            meeting_forms.consensus({"consensus_score": bad}, scale)
        assert set(exc.value.errors) == {"consensus_score"}, bad
    with pytest.raises(Invalid) as exc:
        meeting_forms.consensus({"consensus_score": "9", "minority_view": "x" * 5001}, scale)
    assert set(exc.value.errors) == {"consensus_score", "minority_view"}


def test_share_form_accepts_zero_to_ninety():
    assert meeting_forms.not_discussed_share({"not_discussed_percent": " 90 "}) == 90
    for bad in ("91", "-5", "", "1e2", "٣"):
        with pytest.raises(Invalid):
            meeting_forms.not_discussed_share({"not_discussed_percent": bad})
