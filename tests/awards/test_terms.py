"""What an award gives, in its own unit (portal/awards/terms.py): no "$0" for a seat, hours beside cash."""

from portal.awards.terms import AwardTerms, terms_of


def test_terms_cash_is_money_paid():
    terms = terms_of({"offer_kind": "cash", "amount_cents": 45_000_000, "ta_hours": 0})
    assert (terms.summary, terms.cash_cents, terms.value_cents, terms.is_paid) == ("$450,000", 45_000_000, 0, True)


def test_terms_cash_with_hours_names_both():
    terms = AwardTerms(kind="cash", amount_cents=2_500_000, ta_hours=80)
    assert terms.summary == "$25,000 and 80 hours of technical assistance"
    assert terms.label == "Cash grant and technical assistance"


def test_terms_cohort_seat_is_a_seat_whatever_its_value():
    for value in (0, 500_000):
        terms = AwardTerms(kind="cohort_seat", amount_cents=value, ta_hours=0)
        assert (terms.summary, terms.phrase, terms.is_paid, terms.cash_cents, terms.value_cents) == (
            "One seat in the program's cohort", "one seat in the program's cohort", False, 0, value)


def test_terms_technical_assistance_is_hours_not_money():
    terms = AwardTerms(kind="ta_hours", amount_cents=600_000, ta_hours=1)
    assert (terms.summary, terms.is_paid, terms.value_cents) == ("1 hour of technical assistance", False, 600_000)
    assert AwardTerms(kind="ta_hours", amount_cents=0, ta_hours=0).summary == "Technical assistance"


def test_terms_travel_stipend_is_money_paid():
    terms = AwardTerms(kind="travel", amount_cents=600_000, ta_hours=0)
    assert (terms.summary, terms.is_paid) == ("A travel stipend of $6,000", True)


def test_terms_of_a_row_without_a_kind_reads_as_cash():
    assert terms_of({"amount_cents": 100, "ta_hours": None}).summary == "$1"
