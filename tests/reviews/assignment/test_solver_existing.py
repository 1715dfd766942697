"""The solver's `existing` pairs: assignments already made count toward k and load and are never proposed."""

from portal.reviews.assignment.solver import Reviewer, assign


def test_existing_pairs_count_toward_k_and_are_not_repeated():
    result = assign([1, 2], [Reviewer(10, 5), Reviewer(11, 5), Reviewer(12, 5)], 2, set(), existing={(1, 10)})
    assert (1, 10) not in result.pairs
    assert sum(1 for a, _ in result.pairs if a == 1) == 1  # one more: the existing one counts
    assert sum(1 for a, _ in result.pairs if a == 2) == 2
    assert result.counts == {1: 2, 2: 2}
    assert result.unfilled == []


def test_existing_load_counts_toward_capacity_and_balance():
    # Reviewer 10 already holds 3 of their capacity of 4; reviewer 11 holds none.
    existing = {(100, 10), (101, 10), (102, 10)}
    result = assign([1, 2, 3], [Reviewer(10, 4), Reviewer(11, 4)], 1, set(), existing=existing)
    assert result.loads == {10: 3, 11: 3}  # balanced: all three new ones go to 11
    assert {r for _, r in result.pairs} == {11}


def test_existing_full_capacity_leaves_application_unfilled_with_reason():
    result = assign([1], [Reviewer(10, 1)], 1, set(), existing={(9, 10)})
    assert result.pairs == []
    assert [(u.application_id, u.assigned) for u in result.unfilled] == [(1, 0)]
    assert "no capacity left" in result.unfilled[0].reason


def test_without_existing_the_result_is_unchanged():
    reviewers = [Reviewer(10, 3), Reviewer(11, 3)]
    assert assign([1, 2, 3], reviewers, 2, {(1, 10)}).pairs == assign([1, 2, 3], reviewers, 2, {(1, 10)}, existing=()).pairs
