"""Forms defined as data: the schema of application and report forms, and checking answers against it.

A schema (stored in `form_version.schema`) is JSON:

    {"sections": [
        {"key": "project", "title": "Your project", "help": "optional text shown under the title",
         "fields": [FIELD, ...]},
        ...
    ]}

Every FIELD has `key` (unique in the form, [a-z0-9_]), `type`, `label`, and optionally `help`, `required`
(default false) and `identifying` (true: hidden from blind review panels). Types and their options:

    short_text   max_chars (default 200)
    long_text    max_words (e.g. 500), max_chars (default 20000)
    number       min, max, integer (bool)
    currency     min_cents, max_cents; `requested_amount: true` marks the field whose value is the amount requested
    date         (ISO yyyy-mm-dd)
    select       options: [{"value": "...", "label": "..."}]
    checkbox     (a single yes box, e.g. an attestation)
    file         accept: list of MIME types (default PDF only; storage.TYPE_LABELS lists those we can check),
                 max_bytes (default 10 MiB), multiple (bool)

A schema may set `max_total_bytes` beside `sections`: the most one application's files weigh together
(default 50 MiB).

Answers (`application.answers`, `report.answers`) are a JSON object keyed by field key: short and long
text and select as str, number as int or float, currency as int cents, date as "yyyy-mm-dd", checkbox as
bool; file fields are not in answers (their files are rows of `application_file` with that `field_key`).

In an HTML form each field's input is named by its key (so the keys `version`, `action`, `field_key` and
`file`, which the pages post beside the fields, are reserved); currency is typed in dollars ("25,000.50")
and kept as integer cents; a date input sends yyyy-mm-dd (mm/dd/yyyy typed by hand is accepted too).
`validate_draft` parses a posted form into answers (drafts may be incomplete but not malformed),
`submission_errors` says everything that stops a submission, `requested_cents` reads the amount requested.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Iterator

FIELD_TYPES = frozenset({"short_text", "long_text", "number", "currency", "date", "select", "checkbox", "file"})
# Form names the pages post beside the fields: a field may not use them as its key.
RESERVED_KEYS = frozenset({"version", "action", "field_key", "file"})
KEY_RE = re.compile(r"^[a-z0-9_]{1,80}$")
DEFAULT_SHORT_CHARS = 200
DEFAULT_LONG_CHARS = 20_000
DEFAULT_FILE_TYPES = ("application/pdf",)
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_TOTAL_BYTES = 50 * 1024 * 1024
TRUE_VALUES = frozenset({"on", "yes", "true", "1", "y"})
MONEY_RE = re.compile(r"^\$?\s*(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?$")
NUMBER_RE = re.compile(r"^-?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?$")

Schema = dict[str, Any]
Field = dict[str, Any]


def iter_fields(schema: Schema) -> Iterator[Field]:
    for section in schema.get("sections", []):
        yield from section.get("fields", [])


def fields_by_key(schema: Schema) -> dict[str, Field]:
    return {f["key"]: f for f in iter_fields(schema)}


def labels(schema: Schema) -> dict[str, str]:
    """Field key -> label, for the error summary."""
    return {f["key"]: f["label"] for f in iter_fields(schema)}


def file_fields(schema: Schema) -> list[Field]:
    return [f for f in iter_fields(schema) if f["type"] == "file"]


def check_schema(schema: Schema) -> list[str]:
    """What is wrong with a schema itself (for the staff who write forms); empty when it is sound."""
    problems: list[str] = []
    seen: set[str] = set()
    if not isinstance(schema, dict) or not isinstance(schema.get("sections"), list):
        return ["The form needs a list of sections."]
    for section in schema["sections"]:
        for field in section.get("fields", []):
            key = str(field.get("key", ""))
            if not KEY_RE.match(key) or key in RESERVED_KEYS:
                problems.append(f"Field key {key!r} must be lower-case letters, digits and _ (and not a reserved name).")
            if key in seen:
                problems.append(f"Field key {key!r} is used twice.")
            seen.add(key)
            if field.get("type") not in FIELD_TYPES:
                problems.append(f"Field {key!r} has an unknown type {field.get('type')!r}.")
            if not field.get("label"):
                problems.append(f"Field {key!r} needs a label.")
            if field.get("type") == "select" and not field.get("options"):
                problems.append(f"Select field {key!r} needs options.")
    if sum(1 for f in iter_fields(schema) if f.get("requested_amount")) > 1:
        problems.append("Only one currency field can be the amount requested.")
    return problems


# --- limits shown to the user -------------------------------------------------------------------------

def max_chars(field: Field) -> int:
    default = DEFAULT_LONG_CHARS if field["type"] == "long_text" else DEFAULT_SHORT_CHARS
    return int(field.get("max_chars") or default)


def accepted_types(field: Field) -> tuple[str, ...]:
    return tuple(field.get("accept") or DEFAULT_FILE_TYPES)


def max_bytes(field: Field) -> int:
    return int(field.get("max_bytes") or DEFAULT_MAX_BYTES)


def max_total_bytes(schema: Schema) -> int:
    """The most all of one application's files may weigh together (schema key `max_total_bytes`)."""
    return int(schema.get("max_total_bytes") or DEFAULT_MAX_TOTAL_BYTES)


def word_count(text: str) -> int:
    return len(text.split())


def cents_to_dollars(cents: int) -> str:
    """Integer cents as the dollars a user would type: 2500000 -> "25,000", 1050 -> "10.50"."""
    sign = "-" if cents < 0 else ""
    dollars, rest = divmod(abs(int(cents)), 100)
    return f"{sign}{dollars:,}" if rest == 0 else f"{sign}{dollars:,}.{rest:02d}"


# --- parsing one submitted value ----------------------------------------------------------------------

class _Malformed(ValueError):
    pass


def _last(value: Any) -> str:
    if isinstance(value, list):
        value = value[-1] if value else ""
    return value if isinstance(value, str) else ""


def parse_currency(raw: str) -> int:
    """Dollars as typed ("$25,000", "1250.5") -> integer cents; _Malformed otherwise."""
    match = MONEY_RE.match(raw.strip())
    if not match:
        raise _Malformed("Enter an amount in dollars, like 25000 or 25,000.50")
    whole, fraction = match.group(1).replace(",", ""), (match.group(2) or "").ljust(2, "0")
    return int(whole) * 100 + int(fraction)


def parse_number(raw: str, integer: bool) -> int | float:
    text = raw.strip()
    if not NUMBER_RE.match(text):
        raise _Malformed("Enter a whole number" if integer else "Enter a number")
    text = text.replace(",", "")
    try:
        value = Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only decimals
        raise _Malformed("Enter a number") from exc
    if value == value.to_integral_value():
        return int(value)
    if integer:
        raise _Malformed("Enter a whole number, without decimals")
    return float(value)


def parse_date(raw: str) -> str:
    """yyyy-mm-dd (what a date input sends) or mm/dd/yyyy (typed by hand) -> "yyyy-mm-dd"."""
    text = raw.strip()
    for fmt in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    raise _Malformed("Enter a real date, like 2027-01-15")


def _text_errors(field: Field, text: str) -> str | None:
    limit = max_chars(field)
    if len(text) > limit:
        return f"Use at most {limit:,} characters (you have {len(text):,})"
    if field["type"] == "long_text" and field.get("max_words") and word_count(text) > int(field["max_words"]):
        return f"Use at most {int(field['max_words']):,} words (you have {word_count(text):,})"
    return None


def _option_values(field: Field) -> list[str]:
    return [str(o["value"]) for o in field.get("options", [])]


def validate_draft(schema: Schema, form_data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Parse submitted HTML form values by field type into answers.

    Never complains that a required field is empty (a draft may be incomplete); reports values that are
    malformed (not a number, not a date, an option that does not exist, text over its word or character
    limit). A malformed field keeps the text as typed in the answers, so that the page shown again loses
    nothing; the caller must not save answers while there are errors. Empty fields are left out; an
    unticked checkbox is False. File fields are not answers.
    """
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field in iter_fields(schema):
        key, kind = field["key"], field["type"]
        if kind == "file":
            continue
        if kind == "checkbox":
            answers[key] = _last(form_data.get(key)).strip().lower() in TRUE_VALUES
            continue
        raw = _last(form_data.get(key)).replace("\r\n", "\n")
        if kind != "long_text":
            raw = raw.strip()
        if not raw.strip():
            continue
        try:
            if kind in {"short_text", "long_text"}:
                message = _text_errors(field, raw)
                if message:
                    raise _Malformed(message)
                answers[key] = raw.strip() if kind == "short_text" else raw.strip("\n")
            elif kind == "number":
                answers[key] = parse_number(raw, bool(field.get("integer")))
            elif kind == "currency":
                answers[key] = parse_currency(raw)
            elif kind == "date":
                answers[key] = parse_date(raw)
            elif kind == "select":
                if raw not in _option_values(field):
                    raise _Malformed("Choose one of the options")
                answers[key] = raw
        except _Malformed as exc:
            answers[key] = raw
            errors[key] = str(exc)
    return answers, errors


def _is_empty(value: Any) -> bool:
    return value is None or value is False or (isinstance(value, str) and not value.strip())


def _limit_error(field: Field, value: Any) -> str | None:
    """A stored answer that breaks the field's limits (the schema may have changed since it was saved)."""
    kind = field["type"]
    if kind in {"short_text", "long_text"}:
        return _text_errors(field, str(value))
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return "Enter a number"
        if field.get("integer") and value != int(value):
            return "Enter a whole number, without decimals"
        if field.get("min") is not None and value < field["min"]:
            return f"Enter a number of at least {field['min']:,}"
        if field.get("max") is not None and value > field["max"]:
            return f"Enter a number of at most {field['max']:,}"
    if kind == "currency":
        if isinstance(value, bool) or not isinstance(value, int):
            return "Enter an amount in dollars"
        if field.get("min_cents") is not None and value < field["min_cents"]:
            return f"Enter at least ${cents_to_dollars(field['min_cents'])}"
        if field.get("max_cents") is not None and value > field["max_cents"]:
            return f"Enter at most ${cents_to_dollars(field['max_cents'])}"
    if kind == "date":
        try:
            date.fromisoformat(str(value))
        except ValueError:
            return "Enter a real date, like 2027-01-15"
    if kind == "select" and str(value) not in _option_values(field):
        return "Choose one of the options"
    return None


def submission_errors(schema: Schema, answers: dict[str, Any], files: list[dict[str, Any]]) -> dict[str, str]:
    """Every reason the answers cannot be submitted yet, at once: required fields left empty (a required
    checkbox unticked, a required file missing), values outside the field's limits, too many files."""
    errors: dict[str, str] = {}
    for field in iter_fields(schema):
        key, kind = field["key"], field["type"]
        if kind == "file":
            count = sum(1 for f in files if f.get("field_key") == key)
            if field.get("required") and count == 0:
                errors[key] = "Upload a file"
            elif count > 1 and not field.get("multiple"):
                errors[key] = "Upload only one file here: remove the others"
            continue
        value = answers.get(key)
        if _is_empty(value):
            if field.get("required"):
                errors[key] = "Tick this box to confirm" if kind == "checkbox" else (
                    "Choose an option" if kind == "select" else "Answer this question")
            continue
        message = _limit_error(field, value)
        if message:
            errors[key] = message
    return errors


def requested_cents(schema: Schema, answers: dict[str, Any]) -> int:
    """The amount requested: the value of the currency field marked `requested_amount` (0 if none)."""
    for field in iter_fields(schema):
        if field["type"] == "currency" and field.get("requested_amount"):
            value = answers.get(field["key"])
            return value if isinstance(value, int) and not isinstance(value, bool) else 0
    return 0


def display_title(schema: Schema, answers: dict[str, Any], default: str = "") -> str:
    """A title for lists: the first short text answer (the project's title in every demo form)."""
    for field in iter_fields(schema):
        if field["type"] == "short_text" and not field.get("identifying"):
            value = answers.get(field["key"])
            if isinstance(value, str) and value.strip():
                return value.strip()[:200]
    return default
