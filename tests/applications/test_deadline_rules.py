"""The effective deadline, grace period and extensions (applications/rules.py), at their boundaries."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.applications.rules import (
    effective_deadline,
    may_submit_at,
    reminder_due,
)
from portal.applications.services import receipt_number
from portal.programs.rules import countdown, time_left
from tests.factories.programs import DEADLINE, program_record as program

US = timedelta(microseconds=1)


def test_effective_deadline_without_grace_is_the_program_deadline():
    assert effective_deadline(program()) == DEADLINE


def test_effective_deadline_adds_the_grace_period():
    assert effective_deadline(program(grace_minutes=15)) == DEADLINE + timedelta(minutes=15)


def test_effective_deadline_is_the_extension_when_later():
    later = DEADLINE + timedelta(days=3)
    assert effective_deadline(program(grace_minutes=15), later) == later


def test_effective_deadline_is_the_extension_when_earlier():
    earlier = DEADLINE - timedelta(days=1)
    assert effective_deadline(program(grace_minutes=15), earlier) == earlier


def test_effective_deadline_reads_naive_times_as_utc():
    assert effective_deadline(program(deadline_at=DEADLINE.replace(tzinfo=None))) == DEADLINE


@pytest.mark.parametrize(("at", "grace", "expected"), [
    (DEADLINE - US, 0, True),                                   # 1 µs before
    (DEADLINE, 0, False),                                       # exactly at the deadline: too late
    (DEADLINE + US, 0, False),                                  # 1 µs after
    (DEADLINE, 15, True),                                       # at the deadline, with a grace period
    (DEADLINE + timedelta(minutes=14, seconds=59), 15, True),   # within the grace period
    (DEADLINE + timedelta(minutes=15) - US, 15, True),          # the last µs of the grace period
    (DEADLINE + timedelta(minutes=15), 15, False),              # exactly when the grace period ends
    (DEADLINE + timedelta(minutes=15) + US, 15, False),         # after it
])
def test_may_submit_at_the_boundaries(at, grace, expected):
    assert may_submit_at(program(grace_minutes=grace), None, at) == expected


def test_may_submit_with_a_later_extension_after_the_deadline_and_grace():
    extension = DEADLINE + timedelta(days=2)
    assert may_submit_at(program(grace_minutes=15), extension, DEADLINE + timedelta(days=1)) is True
    assert may_submit_at(program(grace_minutes=15), extension, extension - US) is True
    assert may_submit_at(program(grace_minutes=15), extension, extension) is False


def test_may_not_submit_after_an_earlier_extension_even_before_the_program_deadline():
    extension = DEADLINE - timedelta(days=1)
    assert may_submit_at(program(grace_minutes=15), extension, extension - US) is True
    assert may_submit_at(program(grace_minutes=15), extension, extension + US) is False


def test_extension_gets_no_grace_period():
    extension = DEADLINE + timedelta(days=1)
    assert may_submit_at(program(grace_minutes=60), extension, extension + timedelta(minutes=1)) is False


def test_may_not_submit_before_the_program_opens():
    assert may_submit_at(program(), None, DEADLINE - timedelta(days=61)) is False


def test_may_not_submit_to_a_closed_program_without_an_extension():
    assert may_submit_at(program(status="closed"), None, DEADLINE - timedelta(days=1)) is False


def test_may_submit_to_a_closed_program_with_an_extension():
    extension = DEADLINE + timedelta(days=2)
    assert may_submit_at(program(status="closed"), extension, DEADLINE + timedelta(days=1)) is True


def test_may_not_submit_to_a_draft_program_even_with_an_extension():
    assert may_submit_at(program(status="draft"), DEADLINE + timedelta(days=2), DEADLINE) is False


@pytest.mark.parametrize(("before", "expected"), [
    (timedelta(days=8), None),
    (timedelta(days=7, microseconds=1), None),
    (timedelta(days=7), "7d"),
    (timedelta(days=2), "7d"),
    (timedelta(days=1, microseconds=1), "7d"),
    (timedelta(days=1), "1d"),
    (timedelta(minutes=1), "1d"),
    (US, "1d"),
    (timedelta(0), None),
    (-US, None),
])
def test_reminder_due(before, expected):
    assert reminder_due(DEADLINE, DEADLINE - before) == expected


@pytest.mark.parametrize(("before", "expected"), [
    (timedelta(days=2, hours=3, minutes=10), "2 days 3 hours left"),
    (timedelta(days=1), "1 day left"),
    (timedelta(hours=3, minutes=5), "3 hours 5 minutes left"),
    (timedelta(hours=1), "1 hour left"),
    (timedelta(minutes=4, seconds=30), "4 minutes left"),
    (timedelta(seconds=20), "1 minute left"),
    (timedelta(0), ""),
    (-timedelta(hours=1), ""),
])
def test_time_left_in_words(before, expected):
    assert time_left(DEADLINE, DEADLINE - before) == expected


def test_countdown_only_in_the_last_seven_days():
    assert countdown(DEADLINE, DEADLINE - timedelta(days=7, seconds=1)) == ""
    assert countdown(DEADLINE, DEADLINE - timedelta(days=7)) == "7 days left"
    assert countdown(DEADLINE, DEADLINE + US) == ""


def test_receipt_number_is_unique_per_submission():
    assert receipt_number("healthy-babies", 2026, 123) == "HB-2026-000123"
    assert receipt_number("healthy-babies", 2026, 123, 1) == "HB-2026-000123"
    assert receipt_number("healthy-babies", 2026, 123, 2) == "HB-2026-000123-2"


def test_list_row_deadline_shows_the_extension_and_counts_down_for_drafts_only():
    import msgspec

    from portal.applications.records import ApplicationRow, RowDeadline
    from portal.applications.rules import list_row_deadline

    row = ApplicationRow(
        id=1, status="draft", title="", requested_cents=0, updated_at=DEADLINE, submitted_at=None,
        receipt_number=None, organisation=1, city_name="", program_id=1, program_title="", program_slug="",
        program_status="open", opens_at=DEADLINE - timedelta(days=60), deadline_at=DEADLINE, timezone="UTC",
        grace_minutes=0, extended_deadline_at=DEADLINE + timedelta(days=2))
    at = DEADLINE + timedelta(hours=1)
    assert list_row_deadline(row, at) == RowDeadline(deadline_shown=DEADLINE + timedelta(days=2),
                                                     countdown="1 day 23 hours left", accepting=True)
    assert list_row_deadline(msgspec.structs.replace(row, status="submitted"), at).countdown == ""
    assert list_row_deadline(msgspec.structs.replace(row, extended_deadline_at=None), at).accepting is False
