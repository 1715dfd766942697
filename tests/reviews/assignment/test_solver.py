"""Reviewer assignment (issue 4): worked examples and hypothesis properties on small instances."""

from __future__ import annotations

from itertools import combinations, product

from hypothesis import given, settings
from hypothesis import strategies as st

from portal.reviews.assignment.solver import Reviewer, assign


def _feasible(applications, reviewers, k, conflicts) -> bool:
    """Brute force, independent of the solver: is there a choice of k eligible reviewers per application
    that keeps every reviewer within capacity?"""
    choices = [
        list(combinations([r.id for r in reviewers if (a, r.id) not in conflicts], k)) for a in applications
    ]
    capacity = {r.id: r.capacity for r in reviewers}
    for pick in product(*choices):
        used: dict[int, int] = {}
        for group in pick:
            for r in group:
                used[r] = used.get(r, 0) + 1
        if all(used[r] <= capacity[r] for r in used):
            return True
    return False


@st.composite
def instances(draw, ample=False, conflicted=True):
    n_apps = draw(st.integers(1, 4))
    n_revs = draw(st.integers(1, 4))
    k = draw(st.integers(1, 2))
    applications = list(range(1, n_apps + 1))
    ids = list(range(101, 101 + n_revs))
    capacities = [n_apps if ample else draw(st.integers(0, 3)) for _ in ids]
    reviewers = [Reviewer(r, c) for r, c in zip(ids, capacities)]
    pairs = [(a, r) for a in applications for r in ids]
    conflicts = set(draw(st.lists(st.sampled_from(pairs), max_size=4))) if conflicted else set()
    preferences = draw(
        st.dictionaries(st.sampled_from(pairs), st.sampled_from(["eager", "willing", "not"]), max_size=6)
    )
    return applications, reviewers, k, conflicts, preferences


def test_assign_worked_example_fills_every_application_and_balances():
    reviewers = [Reviewer(10, 2), Reviewer(11, 2), Reviewer(12, 2)]

    result = assign([1, 2, 3], reviewers, k=2, conflicts={(1, 10)})

    assert result.pairs == [(1, 11), (1, 12), (2, 10), (2, 11), (3, 10), (3, 12)] or result.pairs == [
        (1, 11), (1, 12), (2, 10), (2, 12), (3, 10), (3, 11)
    ]
    assert result.counts == {1: 2, 2: 2, 3: 2}
    assert result.loads == {10: 2, 11: 2, 12: 2}
    assert result.unfilled == []
    assert result.total_cost == 6 * 2  # every pair "willing" (1) without expertise (1)


def test_assign_eager_pair_preferred_to_not_pair():
    reviewers = [Reviewer(10, 1), Reviewer(11, 1)]

    result = assign([1], reviewers, k=1, conflicts=set(), preferences={(1, 10): "not", (1, 11): "eager"})

    assert result.pairs == [(1, 11)]
    assert result.total_cost == 0 + 1


def test_assign_expertise_breaks_a_tie():
    reviewers = [Reviewer(10, 1), Reviewer(11, 1)]

    result = assign([1], reviewers, k=1, conflicts=set(), expertise={(1, 10)})

    assert result.pairs == [(1, 10)]
    assert result.total_cost == 1


def test_assign_balance_comes_before_preference():
    reviewers = [Reviewer(10, 2), Reviewer(11, 2)]
    eager_for_10 = {(1, 10): "eager", (2, 10): "eager", (1, 11): "not", (2, 11): "not"}

    result = assign([1, 2], reviewers, k=1, conflicts=set(), preferences=eager_for_10)

    assert result.loads == {10: 1, 11: 1}


def test_assign_conflicts_leave_application_unfilled_with_reason():
    reviewers = [Reviewer(10, 5), Reviewer(11, 5)]

    result = assign([1, 2], reviewers, k=2, conflicts={(1, 10)})

    assert result.counts == {1: 1, 2: 2}
    assert [(u.application_id, u.assigned, u.eligible) for u in result.unfilled] == [(1, 1, 1)]
    assert result.unfilled[0].reason == "only 1 reviewer(s) have no conflict of interest; 2 are needed"


def test_assign_capacity_shortage_reported():
    reviewers = [Reviewer(10, 1), Reviewer(11, 1)]

    result = assign([1, 2], reviewers, k=2, conflicts=set())

    assert result.counts == {1: 1, 2: 1}
    assert len(result.unfilled) == 2
    assert {u.reason for u in result.unfilled} == {
        "the reviewers without a conflict of interest have no capacity left"
    }


def test_assign_rejects_unknown_preference():
    try:
        assign([1], [Reviewer(10, 1)], k=1, conflicts=set(), preferences={(1, 10): "keen"})
    except ValueError as error:
        assert str(error) == "unknown preference 'keen'"
    else:
        raise AssertionError("expected ValueError")


@settings(max_examples=60, deadline=None)
@given(instances())
def test_assign_never_conflicted_and_within_capacity(instance):
    applications, reviewers, k, conflicts, preferences = instance

    result = assign(applications, reviewers, k, conflicts, preferences)

    assert [p for p in result.pairs if p in conflicts] == []
    assert all(result.loads[r.id] <= r.capacity for r in reviewers)
    assert all(result.counts[a] <= k for a in applications)
    assert len(set(result.pairs)) == len(result.pairs)


@settings(max_examples=60, deadline=None)
@given(instances())
def test_assign_fills_every_application_whenever_feasible(instance):
    applications, reviewers, k, conflicts, preferences = instance

    result = assign(applications, reviewers, k, conflicts, preferences)

    assert result.complete == _feasible(applications, reviewers, k, conflicts)
    assert result.complete == all(result.counts[a] == k for a in applications)


@settings(max_examples=60, deadline=None)
@given(instances(ample=True, conflicted=False))
def test_assign_loads_within_one_when_capacities_ample(instance):
    applications, reviewers, k, _, preferences = instance

    result = assign(applications, reviewers, k, set(), preferences)

    assert max(result.loads.values()) - min(result.loads.values()) <= 1
