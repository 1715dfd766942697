"""Scales, thresholds, rubric direction and the queue's order (portal/reviews/rules.py, queries.py)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from portal.reviews import rules
from portal.reviews.queries import next_in_queue
from portal.reviews.records import QueueGroup, QueueItem

HALVES = {"id": 1, "name": "Need", "weight": 1, "scale_min": 0, "scale_max": 5, "scale_step": 0.5}
NIH = {"id": 2, "name": "Impact", "weight": 1, "scale_min": 1, "scale_max": 9, "scale_step": 1.0,
       "lower_is_better": True, "threshold": 3}
WHOLE = {"id": 3, "name": "Plan", "weight": 1, "scale_min": 1, "scale_max": 5}


def test_scale_points_in_half_steps():
    assert rules.scale_points(HALVES) == [0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5]
    assert [rules.plain(p) for p in rules.scale_points(WHOLE)] == ["1", "2", "3", "4", "5"]


@pytest.mark.parametrize("value, ok", [(4.5, True), (0, True), (5, True), (4.25, False), (4.51, False)])
def test_half_point_grid(value, ok):
    assert rules.on_grid(value, HALVES) is ok


def test_missing_or_invalid_refuses_off_grid_and_accepts_on_grid():
    assert rules.missing_or_invalid({1: 4.5}, [HALVES], require_all=True) == {}
    errors = rules.missing_or_invalid({1: 4.25}, [HALVES], require_all=True)
    assert errors[1].startswith("The score for “Need” must be one of 0, 0.5, 1, 1.5")
    assert 3 in rules.missing_or_invalid({3: 3.5}, [WHOLE], require_all=True)


def test_nih_scale_description_says_lower_is_better():
    assert rules.scale_description(NIH) == "Score from 1 (exceptional) to 9 (poor): lower is better."
    assert rules.scale_description(HALVES) == ("Score from 0 (lowest) to 5 (highest): higher is better; "
                                               "half points allowed.")


def test_threshold_follows_the_direction():
    assert rules.threshold_text(NIH) == "Threshold: 3 or better (3 or lower)."
    assert rules.meets_threshold(2, NIH) is True and rules.meets_threshold(4, NIH) is False
    assert rules.meets_threshold(3, WHOLE | {"threshold": 3.5}) is False
    assert rules.meets_threshold(None, NIH) is None and rules.threshold_text(WHOLE) == ""


def test_rubric_mixing_directions_is_refused():
    assert rules.rubric_problem([NIH, NIH | {"id": 4}]) is None
    assert rules.rubric_problem([HALVES, WHOLE]) is None
    assert "mixes" in rules.rubric_problem([NIH, WHOLE])


def test_queue_key_differs_per_reviewer_and_is_stable():
    ids = list(range(1, 21))
    order_a = sorted(ids, key=lambda a: rules.queue_key("s3cret", 1, a))
    order_b = sorted(ids, key=lambda a: rules.queue_key("s3cret", 2, a))
    assert order_a == sorted(ids, key=lambda a: rules.queue_key("s3cret", 1, a))
    assert order_a != order_b and order_a != ids
    assert order_a != sorted(ids, key=lambda a: rules.queue_key("other secret", 1, a))


def _groups(*groups):
    """Queue groups as list_queue returns them, with only what next_in_queue reads set."""
    when = datetime(2027, 1, 1, tzinfo=timezone.utc)
    return [QueueGroup(program=1, title="Program", panel_name="", due_at=None, timezone="UTC", closed=closed,
                       overdue=False, to_do=0,
                       assignments=[QueueItem(id=i, application=i, status=s, assigned_at=when, submitted_at=None,
                                              revision=0, application_title="", program=1) for i, s in items])
            for closed, items in groups]


def test_next_in_queue_skips_submitted_and_wraps_round():
    groups = _groups((False, [(5, "assigned"), (3, "submitted"), (9, "assigned")]), (False, [(1, "assigned")]))
    assert next_in_queue(groups, 5) == 9
    assert next_in_queue(groups, 9) == 1
    assert next_in_queue(groups, 1) == 5
    assert next_in_queue(groups, 3) == 5  # from a submitted one: the first to do


def test_next_in_queue_none_left_and_closed_panels_skipped():
    assert next_in_queue(_groups((False, [(5, "assigned"), (3, "submitted")])), 5) is None
    assert next_in_queue(_groups((False, [(5, "assigned")]), (True, [(7, "assigned")])), 5) is None
