"""Eligibility questions, defined as data on a program (`program.eligibility`), asked before a draft exists.

The JSON (empty object, or no questions: the program asks nothing and "Start an application" opens the draft):

    {"intro": "optional text above the questions",
     "questions": [
        {"key": "municipal", "type": "yes_no", "label": "Is the applicant a municipal government?", "help": "..."},
        {"key": "population", "type": "number", "label": "Population (latest census)", "min": 0},
        {"key": "state", "type": "select", "label": "State", "options": [{"value": "WI", "label": "Wisconsin"}]}],
     "rules": [  # each says what an ELIGIBLE answer is; a failed rule shows its reason
        {"question": "municipal", "equals": "yes", "reason": "Only municipal governments may apply."},
        {"question": "population", "min": 50000, "reason": "The city must have at least 50,000 residents."},
        {"question": "state", "in": ["WI", "MN"], "reason": "Only cities in Wisconsin and Minnesota may apply."}],
     "prefill": {"population": "population_field"}}  # question key -> application form field key

Every question must be answered. Answers are "yes"/"no" (yes_no), an option value (select) or a whole
number (number). `prefill` copies answers into the new draft; the values pass through the form's own parsing
(`formdef.validate_draft`), so a value the field would not accept is simply not copied.
Everything here is pure: no database, no web.
"""

from __future__ import annotations

from typing import Any

from portal.core.errors import Invalid
from portal.programs import formdef

QUESTION_TYPES = frozenset({"yes_no", "select", "number"})
RULE_TESTS = ("equals", "in", "min", "max")
YES_NO = [{"value": "yes", "label": "Yes"}, {"value": "no", "label": "No"}]
MAX_NUMBER = 10**12

Spec = dict[str, Any]
"""The program's eligibility JSON (the module docstring): a document, not an entity row."""
Answers = dict[str, str | int]
"""Question key -> the answer: "yes"/"no" or an option value (str), or a whole number (int)."""


class InvalidAnswers(Invalid):
    """Invalid, with the answers as typed (`answers`), so that the page shown again keeps them."""

    def __init__(self, errors: dict[str, str], answers: dict[str, str]) -> None:
        super().__init__(errors, "Please answer every question.")
        self.answers = answers


def questions(spec: Spec | None) -> list[dict[str, Any]]:
    """The questions of a program's eligibility spec (a yes/no question gets its two options)."""
    result = []
    for question in (spec or {}).get("questions", []) if isinstance(spec, dict) else []:
        question = {"help": "", **question}
        if question.get("type") == "yes_no":
            question = {**question, "options": YES_NO}
        result.append(question)
    return result


def has_questions(spec: Spec | None) -> bool:
    return bool(questions(spec))


def check_spec(spec: Spec) -> list[str]:
    """Problems with an eligibility spec (for staff tools and tests); [] when it is sound."""
    problems: list[str] = []
    keys: set[str] = set()
    for question in spec.get("questions", []):
        key = question.get("key", "")
        if not formdef.KEY_RE.match(str(key)) or key in keys:
            problems.append(f"question key {key!r} is missing, malformed or repeated")
        keys.add(key)
        if question.get("type") not in QUESTION_TYPES:
            problems.append(f"question {key!r} has unknown type {question.get('type')!r}")
        if question.get("type") == "select" and not question.get("options"):
            problems.append(f"question {key!r} has no options")
        if not question.get("label"):
            problems.append(f"question {key!r} has no label")
    for rule in spec.get("rules", []):
        if rule.get("question") not in keys:
            problems.append(f"rule on unknown question {rule.get('question')!r}")
        if sum(test in rule for test in RULE_TESTS) != 1:
            problems.append(f"rule on {rule.get('question')!r} needs exactly one of {', '.join(RULE_TESTS)}")
        if not rule.get("reason"):
            problems.append(f"rule on {rule.get('question')!r} has no reason")
    for key in spec.get("prefill", {}):
        if key not in keys:
            problems.append(f"prefill from unknown question {key!r}")
    return problems


def _raw(data: dict[str, Any], key: str) -> str:
    value = data.get(key, "")
    if isinstance(value, list):
        value = value[-1] if value else ""
    return value.strip()[:200] if isinstance(value, str) else ""


def parse_answers(spec: Spec, data: dict[str, Any]) -> Answers:
    """The answers in a posted form, or InvalidAnswers with every unanswered or malformed question at once. The
    answers as typed are in `exc.answers`, so that the page shown again keeps them."""
    answers: Answers = {}
    typed: dict[str, str] = {}
    errors: dict[str, str] = {}
    for question in questions(spec):
        key, kind = question["key"], question["type"]
        raw = typed[key] = _raw(data, key)
        if not raw:
            errors[key] = "Choose an answer." if kind != "number" else "Enter a number."
        elif kind in {"yes_no", "select"}:
            if raw not in [str(o["value"]) for o in question["options"]]:
                errors[key] = "Choose one of the options."
            else:
                answers[key] = raw
        else:
            digits = raw.replace(",", "").replace(" ", "")
            if not digits.isdigit() or int(digits) > MAX_NUMBER:
                errors[key] = "Enter a whole number, like 120000."
            else:
                answers[key] = int(digits)
    if errors:
        raise InvalidAnswers(errors, typed)
    return answers


def _passes(rule: dict[str, Any], answer: Any) -> bool:
    if "equals" in rule:
        return str(answer) == str(rule["equals"])
    if "in" in rule:
        return str(answer) in [str(v) for v in rule["in"]]
    if not isinstance(answer, int):
        return False
    limit: int | float  # a number in the program's JSON
    if "min" in rule:
        limit = rule["min"]
        return answer >= limit
    limit = rule["max"]
    return answer <= limit


def reasons_ineligible(spec: Spec, answers: Answers) -> list[str]:
    """Why these answers make the applicant ineligible, in the order of the rules; [] if eligible."""
    return [rule["reason"] for rule in (spec or {}).get("rules", []) if not _passes(rule, answers.get(rule["question"]))]


def prefill(spec: Spec, answers: Answers, schema: formdef.Schema) -> dict[str, Any]:
    """The draft answers the eligibility answers fill in, parsed as the form itself parses them."""
    fields = formdef.fields_by_key(schema)
    posted = {field_key: str(answers[question_key]) for question_key, field_key in (spec or {}).get("prefill", {}).items()
              if question_key in answers and field_key in fields}
    parsed, errors = formdef.validate_draft(schema, posted)
    return {key: parsed[key] for key in posted if key in parsed and key not in errors}

