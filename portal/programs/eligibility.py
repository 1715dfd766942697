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

from typing import Any, TypeGuard

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


MAX_SPEC_BYTES = 128 * 1024  # the whole spec as JSON
MAX_QUESTIONS = 50
MAX_RULES = 100
MAX_REASON_CHARS = formdef.MAX_HELP_CHARS
RULE_VALUE_TYPES = (str, int)


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _answer_keys(schema: object) -> set[str] | None:
    """The keys of the fields of a form that hold an answer (what prefill may fill), read without trusting the
    schema; None when there is no form to check against."""
    if schema is None:
        return None
    keys: set[str] = set()
    found = schema.get("sections") if isinstance(schema, dict) else None
    for section in found if isinstance(found, list) else []:
        fields = section.get("fields") if isinstance(section, dict) else None
        for field in fields if isinstance(fields, list) else []:
            if (isinstance(field, dict) and isinstance(field.get("key"), str)
                    and not (isinstance(field.get("type"), str) and field["type"] in formdef.NO_ANSWER_TYPES)):
                keys.add(field["key"])
    return keys


def _question_problems(question: dict[str, Any], path: str, key: str) -> list[formdef.Problem]:
    what = f"question {key!r}"
    kind = question.get("type")
    problems: list[formdef.Problem] = []
    if not isinstance(kind, str) or kind not in QUESTION_TYPES:
        problems.append(formdef.Problem(f"{path}.type", f"{what} has unknown type {formdef.show_value(kind)}"))
    if kind == "select" and not question.get("options"):
        problems.append(formdef.Problem(f"{path}.options", f"{what} has no options"))
    if kind == "select":
        problems += formdef.option_problems(question, "options", path, what)
    if not question.get("label"):
        problems.append(formdef.Problem(f"{path}.label", f"{what} has no label"))
    else:
        problems += formdef.text_problems(question, "label", path, what, formdef.MAX_LABEL_CHARS)
    problems += formdef.text_problems(question, "help", path, what, formdef.MAX_HELP_CHARS)
    for name in ("min", "max"):
        if question.get(name) is not None and not _is_number(question[name]):
            problems.append(formdef.Problem(f"{path}.{name}", f"{what}: {name} must be a number"))
    low, high = question.get("min"), question.get("max")
    if _is_number(low) and _is_number(high) and low > high:
        problems.append(formdef.Problem(f"{path}.min", f"{what}: min is more than max"))
    return problems


def _allowed_values(question: dict[str, Any]) -> list[str] | None:
    """The answers a choice question can have (None for a number question: any whole number)."""
    if question.get("type") == "yes_no":
        return ["yes", "no"]
    if question.get("type") == "select":
        found = question.get("options")
        options = found if isinstance(found, list) else []
        return [str(o["value"]) for o in options if isinstance(o, dict) and isinstance(o.get("value"), RULE_VALUE_TYPES)]
    return None


def _rule_problems(rule: dict[str, Any], path: str, by_key: dict[str, dict[str, Any]]) -> list[formdef.Problem]:
    name = rule.get("question")
    what = f"rule on {formdef.show_value(name)}"
    question = by_key.get(name) if isinstance(name, str) else None
    problems: list[formdef.Problem] = []
    if question is None:
        problems.append(formdef.Problem(f"{path}.question", f"rule on unknown question {formdef.show_value(name)}"))
    tests = [test for test in RULE_TESTS if test in rule]
    if len(tests) != 1:
        problems.append(formdef.Problem(path, f"{what} needs exactly one of {', '.join(RULE_TESTS)}"))
    if not rule.get("reason"):
        problems.append(formdef.Problem(f"{path}.reason", f"{what} has no reason"))
    else:
        problems += formdef.text_problems(rule, "reason", path, what, MAX_REASON_CHARS)
    if question is None or len(tests) != 1:
        return problems
    test, value = tests[0], rule[tests[0]]
    allowed = _allowed_values(question)
    if test in {"min", "max"}:
        if allowed is not None:
            problems.append(formdef.Problem(f"{path}.{test}", f"{what}: {test} applies only to a number question"))
        elif not _is_number(value):
            problems.append(formdef.Problem(f"{path}.{test}", f"{what}: {test} must be a number"))
        return problems
    if test == "in" and not isinstance(value, list):
        return problems + [formdef.Problem(f"{path}.in", f"{what}: `in` must be a list of answers")]
    values = [(f"{path}.equals", value)] if test == "equals" else [(f"{path}.in[{i}]", v) for i, v in enumerate(value)]
    if len(values) > formdef.MAX_OPTIONS:
        return problems + [formdef.Problem(f"{path}.in", f"{what}: `in` lists more than {formdef.MAX_OPTIONS} answers")]
    for where, wanted in values:
        if isinstance(wanted, bool) or not isinstance(wanted, RULE_VALUE_TYPES):
            problems.append(formdef.Problem(where, f"{what}: {formdef.show_value(wanted)} must be text or a whole number"))
        elif allowed is not None and str(wanted) not in allowed:
            problems.append(formdef.Problem(where, f"{what}: {formdef.show_value(wanted)} is not one of the question's options"))
        elif allowed is None and not (isinstance(wanted, int) or str(wanted).isdigit()):
            problems.append(formdef.Problem(where, f"{what}: {formdef.show_value(wanted)} is not a whole number"))
    return problems


def spec_problems(spec: object, schema: object | None = None) -> list[formdef.Problem]:
    """Everything wrong with an eligibility spec, at once, each with where it is ("questions[2].options[0]");
    [] when it is sound. Takes any JSON-like value and never raises. With the program's application form
    `schema`, also checks that every prefill target is a field of that form that holds an answer. A spec over
    MAX_SPEC_BYTES, or not JSON, gets that one problem only."""
    size = formdef.json_size(spec)
    if size is None:
        return [formdef.Problem("", "The eligibility spec is not JSON.")]
    if size > MAX_SPEC_BYTES:
        return [formdef.Problem("", f"The eligibility spec is {size:,} bytes as JSON; at most {MAX_SPEC_BYTES:,} "
                                    "are allowed.")]
    if not isinstance(spec, dict):
        return [formdef.Problem("", "The eligibility spec must be an object (questions, rules, prefill).")]
    problems = formdef.text_problems(spec, "intro", "", "the eligibility spec", formdef.MAX_HELP_CHARS)
    found: dict[str, Any] = {name: spec.get(name, default) for name, default in
                             (("questions", []), ("rules", []), ("prefill", {}))}
    for name, kind, noun in (("questions", list, "a list"), ("rules", list, "a list"), ("prefill", dict, "an object")):
        if not isinstance(found[name], kind):
            problems.append(formdef.Problem(name, f"{name} must be {noun}"))
            found[name] = kind()
    for name, most in (("questions", MAX_QUESTIONS), ("rules", MAX_RULES)):
        if len(found[name]) > most:
            problems.append(formdef.Problem(name, f"the spec has {len(found[name]):,} {name}; at most {most} are allowed"))
    by_key: dict[str, dict[str, Any]] = {}
    for index, question in enumerate(found["questions"][:MAX_QUESTIONS]):
        path = f"questions[{index}]"
        if not isinstance(question, dict):
            problems.append(formdef.Problem(path, "every question must be an object"))
            continue
        raw = question.get("key", "")
        key = formdef.key_name(raw)
        if not isinstance(raw, str) or not formdef.KEY_RE.fullmatch(raw) or raw in by_key:
            problems.append(formdef.Problem(f"{path}.key", f"question key {key!r} is missing, malformed or repeated"))
        else:
            by_key[raw] = question
        problems += _question_problems(question, path, key)
    for index, rule in enumerate(found["rules"][:MAX_RULES]):
        if not isinstance(rule, dict):
            problems.append(formdef.Problem(f"rules[{index}]", "every rule must be an object"))
            continue
        problems += _rule_problems(rule, f"rules[{index}]", by_key)
    targets = _answer_keys(schema)
    for question_key, field_key in list(found["prefill"].items())[:MAX_QUESTIONS]:
        path = f"prefill.{formdef.key_name(question_key)}"
        if question_key not in by_key:
            problems.append(formdef.Problem(path, f"prefill from unknown question {formdef.show_value(question_key)}"))
        if not isinstance(field_key, str):
            problems.append(formdef.Problem(path, f"prefill of {formdef.show_value(question_key)} must name a form field"))
        elif targets is not None and field_key not in targets:
            problems.append(formdef.Problem(path, f"prefill of {formdef.show_value(question_key)} names {formdef.show_value(field_key)}, "
                                                  "which is not a field of the application form that takes an answer"))
    if len(found["prefill"]) > MAX_QUESTIONS:
        problems.append(formdef.Problem("prefill", f"prefill has more than {MAX_QUESTIONS} entries"))
    return problems


def check_spec(spec: Spec) -> list[str]:
    """Problems with an eligibility spec (for staff tools and tests); [] when it is sound. The messages of
    spec_problems, which also says where each problem is."""
    return [problem.message for problem in spec_problems(spec)]


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

