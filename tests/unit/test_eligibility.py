"""Eligibility rules and signatures as pure functions (no database)."""

from __future__ import annotations

import pytest

from portal.applications.signing import Attestation, attestation_errors, normalise_name
from portal.core.errors import Invalid
from portal.programs import eligibility
from portal.demo import ELIGIBILITY as DEMO_ELIGIBILITY, FORMS
from tests.factories import APPLICATION_SCHEMA
from tests.factories.teams import ELIGIBILITY


def test_check_spec_accepts_the_test_and_demo_specs():
    assert eligibility.check_spec(ELIGIBILITY) == []
    for slug, spec in DEMO_ELIGIBILITY.items():
        assert (slug, eligibility.check_spec(spec)) == (slug, [])


def test_demo_prefill_targets_fields_of_each_demo_form():
    for slug, spec in DEMO_ELIGIBILITY.items():
        fields = {f["key"] for section in FORMS[slug]["sections"] for f in section["fields"]}
        assert (slug, set(spec.get("prefill", {}).values()) - fields) == (slug, set())


def test_check_spec_names_every_problem():
    spec = {"questions": [{"key": "a", "type": "maybe", "label": "A"}, {"key": "a", "type": "select", "label": ""}],
            "rules": [{"question": "b", "min": 1, "max": 2}], "prefill": {"c": "x"}}
    problems = eligibility.check_spec(spec)
    assert len(problems) == 8  # type, repeated key, options, label; rule question, tests, reason; prefill


def test_reasons_follow_the_rules_in_order():
    answers = {"municipal": "no", "population": 2_000_000, "state": "TX", "focus": "screening"}
    assert eligibility.reasons_ineligible(ELIGIBILITY, answers) == [
        "Only municipal governments may apply.", "The city must have at most 1,000,000 residents.",
        "Only cities in Illinois and Wisconsin may apply."]
    assert eligibility.reasons_ineligible(ELIGIBILITY, answers | {"municipal": "yes", "population": 10_000,
                                                                  "state": "WI"}) == []


def test_parse_answers_reports_every_problem_and_keeps_the_typed_text():
    with pytest.raises(Invalid) as caught:
        eligibility.parse_answers(ELIGIBILITY, {"municipal": "perhaps", "population": "12.5", "state": ["IL", 3]})
    assert sorted(caught.value.errors) == ["focus", "municipal", "population", "state"]
    assert caught.value.answers["population"] == "12.5"  # type: ignore[attr-defined]
    assert eligibility.parse_answers(ELIGIBILITY, {"municipal": "yes", "population": " 1,234 ", "state": "IL",
                                                   "focus": "diapers"})["population"] == 1234


def test_prefill_parses_values_as_the_form_does():
    answers = {"municipal": "yes", "population": 5000, "state": "IL", "focus": "diapers"}
    assert eligibility.prefill(ELIGIBILITY, answers, APPLICATION_SCHEMA) == {"focus": "diapers", "families": 5000}
    assert eligibility.prefill({"prefill": {"state": "focus"}}, answers, APPLICATION_SCHEMA) == {}


def test_programs_without_questions_ask_nothing():
    assert [eligibility.has_questions(s) for s in (None, {}, {"questions": []}, "garbage")] == [False] * 4


def test_typed_names_compare_without_case_spacing_or_width():
    assert normalise_name("  Ann   LEE ") == normalise_name("ann lee") == normalise_name("ＡＮＮ ＬＥＥ")
    good = Attestation("ann lee", True, "I attest")
    assert attestation_errors(good, "Ann Lee") == {}
    assert sorted(attestation_errors(Attestation("Ann Leigh", False, ""), "Ann Lee")) == [
        "signature_attest", "signature_name"]
    assert "Type your full name to sign." in attestation_errors(Attestation(" ", True, ""), "Ann Lee").values()
