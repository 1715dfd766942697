"""The single decision page's award form in each unit: money must be more than $0; a seat's or hours' value may be
blank or $0; hours are whole numbers, required for a technical-assistance program."""

import pytest

from portal.awards.forms import award_input
from portal.core.errors import Invalid

DATES = {"start_date": "2027-01-01", "end_date": "2027-12-31"}


def errors_of(data, offer_kind):
    with pytest.raises(Invalid) as caught:
        award_input(DATES | data, 1_000_000, offer_kind)
    return caught.value.errors


def test_award_form_cohort_seat_value_may_be_blank_or_zero():
    for typed in ("", "0", "0.00"):
        award = award_input(DATES | {"amount": typed}, 1_000_000, "cohort_seat")
        assert (award.amount_cents, award.ta_hours) == (0, 0)


def test_award_form_cash_needs_more_than_zero_and_takes_optional_hours():
    assert errors_of({"amount": "0"}, "cash") == {"amount": "The amount must be more than $0."}
    award = award_input(DATES | {"amount": "2500", "ta_hours": "40"}, 1_000_000, "cash")
    assert (award.amount_cents, award.ta_hours) == (250_000, 40)


def test_award_form_technical_assistance_needs_whole_hours():
    assert errors_of({"amount": ""}, "ta_hours") == {"ta_hours": "Enter the hours of technical assistance."}
    assert errors_of({"amount": "", "ta_hours": "1.5"}, "ta_hours") == {
        "ta_hours": "Enter the hours as a whole number from 1 to 100,000."}
