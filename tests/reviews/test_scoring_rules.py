"""Score arithmetic (portal/reviews/rules.py), with worked examples."""

from __future__ import annotations

import statistics

import pytest

from portal.reviews import rules
from portal.reviews.conflicts import queries as conflicts
from portal.reviews.conflicts.queries import found_reason
from portal.reviews.ranking.rules import competition_ranks

# A rubric like the demo's: Need weighs 40, Plan weighs 60, both on 1..5.
CRITERIA = [
    {"id": 1, "name": "Need", "weight": 40, "scale_min": 1, "scale_max": 5},
    {"id": 2, "name": "Plan", "weight": 60, "scale_min": 1, "scale_max": 5},
]


def test_review_score_is_weighted_by_criteria():
    # (4 × 40 + 5 × 60) / (40 + 60) = (160 + 300) / 100 = 4.6
    assert rules.review_score({1: 4, 2: 5}, CRITERIA) == pytest.approx(4.6)


def test_review_score_with_weights_not_adding_to_100():
    criteria = [{"id": 1, "weight": 1}, {"id": 2, "weight": 3}]
    # (2 × 1 + 4 × 3) / 4 = 14 / 4 = 3.5
    assert rules.review_score({1: 2, 2: 4}, criteria) == pytest.approx(3.5)


def test_review_score_partial_counts_scored_criteria_only():
    assert rules.review_score({2: 3}, CRITERIA) == pytest.approx(3.0)


def test_review_score_nothing_scored_is_none():
    assert rules.review_score({}, CRITERIA) is None
    assert rules.review_score({1: None}, CRITERIA) is None


def test_review_score_zero_weights_is_none():
    assert rules.review_score({1: 5}, [{"id": 1, "weight": 0}]) is None


def test_rank_float_noise_does_not_split_a_tie():
    # 0.1 + 0.2 is 0.30000000000000004 in floating point
    assert competition_ranks({1: 0.1 + 0.2, 2: 0.3}, lower_is_better=False) == {1: 1, 2: 1}


def test_rank_order_key_puts_unranked_last():
    rows = [("b", None), ("a", 2), ("c", 1), ("d", None)]
    ordered = sorted(rows, key=lambda r: rules.rank_order_key(r[1], r[0]))
    assert [r[0] for r in ordered] == ["c", "a", "b", "d"]


def test_worked_example_three_applications():
    # Application 1: reviews (4, 5) -> 4.6 and (3, 4) -> 3.6; mean 4.1
    # Application 2: review (5, 4) -> 4.4 and (4, 4) -> 4.0; mean 4.2
    # Application 3: no submitted review
    a1 = statistics.mean([rules.review_score({1: 4, 2: 5}, CRITERIA), rules.review_score({1: 3, 2: 4}, CRITERIA)])
    a2 = statistics.mean([rules.review_score({1: 5, 2: 4}, CRITERIA), rules.review_score({1: 4, 2: 4}, CRITERIA)])
    assert a1 == pytest.approx(4.1)
    assert a2 == pytest.approx(4.2)
    assert competition_ranks({1: a1, 2: a2}, lower_is_better=False) == {2: 1, 1: 2}


def test_missing_or_invalid_requires_every_criterion_on_submit():
    errors = rules.missing_or_invalid({1: 4}, CRITERIA, require_all=True)
    assert list(errors) == [2]


def test_missing_or_invalid_allows_partial_drafts():
    assert rules.missing_or_invalid({1: 4}, CRITERIA, require_all=False) == {}


def test_missing_or_invalid_refuses_out_of_scale():
    errors = rules.missing_or_invalid({1: 0, 2: 6}, CRITERIA, require_all=False)
    assert sorted(errors) == [1, 2]


APPLICANT = {"organisation": 7, "name": "City of Springfield", "state": "IL", "email_domain": "springfield.gov"}


def reviewer(email: str, organisations=(), home_city: str = "") -> dict:
    return {"email": email, "organisation_ids": set(organisations), "home_city": home_city}


def test_conflict_member_of_the_city():
    assert found_reason(reviewer("ann@experts.org", [7]), APPLICANT) == conflicts.MEMBER


def test_conflict_same_email_domain():
    assert found_reason(reviewer("bob@Springfield.gov"), APPLICANT) == conflicts.DOMAIN


def test_conflict_living_in_the_city():
    assert found_reason(reviewer("eve@experts.org", home_city="springfield, il"), APPLICANT) == conflicts.HOME_CITY


def test_no_conflict_for_outside_expert():
    assert found_reason(reviewer("eve@experts.org", [8], "Springfield, MO"), APPLICANT) is None


def test_no_conflict_when_city_has_no_domain():
    assert found_reason(reviewer("eve@experts.org"), APPLICANT | {"email_domain": ""}) is None


def test_city_key_normalises_spacing_and_case():
    from portal.reviews.conflicts.queries import city_key

    assert city_key("Madison", "WI") == city_key("  madison ,wi ") == "madison, wi"
    assert city_key("New  York", "NY") == "new york, ny"
    assert city_key("Madison", "WI") != city_key("Madison", "AL")
    assert city_key("City of Dayton", "OH") == city_key("Dayton, OH") == "dayton, oh"
    assert city_key("Town of Cary", "NC") == "cary, nc"
