"""The rules in one place: application status transitions and the deadline, decided by the server clock."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from portal.applications.rules import TRANSITIONS, can_transition, check_transition
from portal.core.errors import Conflict
from portal.programs.rules import is_accepting
from tests.factories.programs import DEADLINE, program_record as program


@pytest.mark.parametrize(("current", "new"), [
    ("draft", "submitted"), ("draft", "withdrawn"), ("submitted", "awarded"), ("submitted", "declined"),
    ("submitted", "draft"), ("submitted", "withdrawn"), ("awarded", "declined"),
])
def test_transition_allowed(current, new):
    assert can_transition(current, new) is True
    check_transition(current, new)  # does not raise


@pytest.mark.parametrize(("current", "new"), [
    ("draft", "awarded"), ("draft", "declined"), ("submitted", "submitted"), ("declined", "awarded"),
    ("withdrawn", "draft"), ("withdrawn", "submitted"), ("awarded", "draft"), ("unknown", "draft"),
])
def test_transition_refused_with_conflict(current, new):
    assert can_transition(current, new) is False
    with pytest.raises(Conflict):
        check_transition(current, new)


def test_transition_table_names_only_known_statuses():
    known = set(TRANSITIONS)
    assert all(targets <= known for targets in TRANSITIONS.values())
    assert TRANSITIONS["declined"] == frozenset() and TRANSITIONS["withdrawn"] == frozenset()


def test_accepting_before_the_deadline():
    assert is_accepting(program(), DEADLINE - timedelta(seconds=1)) is True


def test_not_accepting_at_the_deadline_itself():
    assert is_accepting(program(), DEADLINE) is False


def test_not_accepting_after_the_deadline():
    assert is_accepting(program(), DEADLINE + timedelta(microseconds=1)) is False


def test_not_accepting_before_it_opens():
    assert is_accepting(program(), DEADLINE - timedelta(days=61)) is False


def test_not_accepting_when_not_open_whatever_the_clock():
    assert is_accepting(program(status="closed"), DEADLINE - timedelta(days=1)) is False
    assert is_accepting(program(status="draft"), DEADLINE - timedelta(days=1)) is False


def test_deadline_compares_instants_not_wall_clocks():
    # 18:59 in New York on deadline day is 23:59 UTC: the same instant as the deadline, so too late.
    new_york = timezone(timedelta(hours=-5))
    assert is_accepting(program(), datetime(2026, 2, 28, 18, 58, 59, tzinfo=new_york)) is True
    assert is_accepting(program(), datetime(2026, 2, 28, 18, 59, tzinfo=new_york)) is False


def test_naive_stored_times_are_read_as_utc():
    naive = program(opens_at=datetime(2026, 1, 1), deadline_at=datetime(2026, 2, 28, 23, 59))
    assert is_accepting(naive, DEADLINE - timedelta(minutes=1)) is True
    assert is_accepting(naive, DEADLINE) is False
