"""Eligibility rules and signatures as pure functions (no database)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from portal.applications.signing import Attestation, attestation_errors, normalise_name
from portal.core.errors import Invalid
from portal.programs import eligibility
from portal.demo import ELIGIBILITY as DEMO_ELIGIBILITY, FORMS
from tests.factories import APPLICATION_SCHEMA
from tests.factories.hostile_json import JSON, mutated
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


# --- a hostile spec (issue 13): every problem, with where it is, and never an exception ---------------------

def problems_of(spec: object, schema: object | None = None) -> list[tuple[str, str]]:
    return [(p.path, p.message) for p in eligibility.spec_problems(spec, schema)]


STATE = {"key": "state", "type": "select", "label": "State",
         "options": [{"value": "IL", "label": "Illinois"}, {"value": "WI", "label": "Wisconsin"}]}
SIZE = {"key": "size", "type": "number", "label": "Population"}


def test_spec_problems_refuses_questions_that_are_not_a_list():
    assert problems_of({"questions": "x"}) == [("questions", "questions must be a list")]


@pytest.mark.parametrize("spec", [[1], [], "spec", 3, None])
def test_spec_problems_refuses_a_spec_that_is_not_an_object(spec):
    assert problems_of(spec) == [("", "The eligibility spec must be an object (questions, rules, prefill).")]


def test_spec_problems_checks_every_question():
    spec = {"questions": [7, {"key": "a b", "type": "date", "label": "<b>A</b>"}, {**STATE, "options": "IL"},
                          {**SIZE, "min": "10"}, {**SIZE, "key": "size2", "min": 10, "max": 1}]}
    assert problems_of(spec) == [
        ("questions[0]", "every question must be an object"),
        ("questions[1].key", "question key 'a b' is missing, malformed or repeated"),
        ("questions[1].type", "question 'a b' has unknown type 'date'"),
        ("questions[1].label", "question 'a b': label must be plain text, without HTML tags."),
        ("questions[2].options", "question 'state': options must be a list of value and label."),
        ("questions[3].min", "question 'size': min must be a number"),
        ("questions[4].min", "question 'size2': min is more than max")]


def test_spec_problems_refuses_rule_values_that_are_not_options():
    spec = {"questions": [STATE, SIZE, {"key": "city", "type": "yes_no", "label": "City?"}],
            "rules": [{"question": "state", "in": ["IL", "TX"], "reason": "R"},
                      {"question": "city", "equals": "maybe", "reason": "R"},
                      {"question": "state", "min": 3, "reason": "R"},
                      {"question": "size", "max": "many", "reason": "R"},
                      {"question": "size", "equals": "ten", "reason": "R"},
                      {"question": "state", "in": "IL", "reason": "R"}, "rule"]}
    assert problems_of(spec) == [
        ("rules[0].in[1]", "rule on 'state': 'TX' is not one of the question's options"),
        ("rules[1].equals", "rule on 'city': 'maybe' is not one of the question's options"),
        ("rules[2].min", "rule on 'state': min applies only to a number question"),
        ("rules[3].max", "rule on 'size': max must be a number"),
        ("rules[4].equals", "rule on 'size': 'ten' is not a whole number"),
        ("rules[5].in", "rule on 'state': `in` must be a list of answers"),
        ("rules[6]", "every rule must be an object")]


def test_spec_problems_refuses_prefill_into_a_field_the_form_lacks():
    spec = {"questions": [STATE, SIZE], "prefill": {"state": "focus", "size": "nowhere", "gone": ["x"]}}
    assert problems_of(spec, APPLICATION_SCHEMA) == [
        ("prefill.size", "prefill of 'size' names 'nowhere', which is not a field of the application form that "
                         "takes an answer"),
        ("prefill.gone", "prefill from unknown question 'gone'"),
        ("prefill.gone", "prefill of 'gone' must name a form field")]
    assert problems_of({"prefill": []}) == [("prefill", "prefill must be an object")]


def test_spec_problems_caps_size_and_counts():
    spec = {"questions": [{**SIZE, "key": f"q{n}"} for n in range(eligibility.MAX_QUESTIONS + 1)]}
    assert problems_of(spec) == [("questions", "the spec has 51 questions; at most 50 are allowed")]
    [(path, message)] = problems_of({"intro": "x" * 200_000})
    assert (path, message.endswith("at most 131,072 are allowed.")) == ("", True)


def test_check_spec_is_the_messages_of_spec_problems():
    spec = {"questions": [STATE], "rules": [{"question": "state", "equals": "TX", "reason": "R"}]}
    assert eligibility.check_spec(spec) == [p.message for p in eligibility.spec_problems(spec)] != []


def test_every_demo_and_factory_spec_has_no_problems_against_its_form():
    for slug, spec in DEMO_ELIGIBILITY.items():
        assert (slug, eligibility.spec_problems(spec, FORMS[slug])) == (slug, [])
    assert eligibility.spec_problems(ELIGIBILITY, APPLICATION_SCHEMA) == []


# No timing in the outcome: no deadline per example, and no health check on how fast examples are generated.
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JSON | mutated([*DEMO_ELIGIBILITY.values(), ELIGIBILITY]), JSON | mutated(list(FORMS.values())))
def test_spec_problems_never_raises_on_any_json(spec, schema):
    problems = eligibility.spec_problems(spec, schema)
    assert all(isinstance(p.path, str) and isinstance(p.message, str) and p.message for p in problems)
    assert eligibility.check_spec(spec) == [p.message for p in eligibility.spec_problems(spec)]
