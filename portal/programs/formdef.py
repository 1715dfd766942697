"""Forms defined as data: the schema of application and report forms, and checking answers against it.

docs/forms.md is the reference for the schema (every type, its options, how its answer is stored). In short:

    {"sections": [
        {"key": "project", "title": "Your project", "help": "optional text shown under the title",
         "fields": [FIELD, ...]},
        ...
    ]}

Every FIELD has `key` (unique in the form, [a-z0-9_]), `type`, `label`, and optionally `help`, `required`
(default false), `identifying` (hidden from blind review panels) and `show_if` ({"field": key, "equals": v}
or {"field": key, "in": [v, ...]}: the field applies only when that answer matches).

Answers (`application.answers`, `report.answers`) are a JSON object keyed by field key. In an HTML form a
simple field's input is named by its key; compound fields use `key.sub` (address: `key.street`) and rows
`key.0.sub`, `key.1.sub` (budget tables, repeating groups).

A schema may set `max_total_bytes` beside `sections`: the most one application's files weigh together
(default 50 MiB). A file field's `accept` lists MIME types (default PDF only; storage.TYPE_LABELS lists those
the portal can check by content).

The API:
- `validate_draft(schema, form_data, keys=None)` parses a posted form into answers (a draft may be
  incomplete but never malformed) and says what is malformed; with `keys`, only those top-level fields.
- `submission_errors(schema, answers, files)` says everything that stops a submission, at once.
- `posted_field_keys(schema, form_data)`, `section_field_keys(schema, section_key)` say which fields a post
  or a step holds; `requested_cents(schema, answers)` reads the amount requested;
  `schema_problems(schema, kind)` lists what is wrong with a schema itself, each with its path (hostile input
  from a form builder included; the caps are the MAX_* constants), and `check_schema(schema)` its messages.

Nothing here raises on hostile input: every function takes whatever a browser may post (lists where a
string is expected, huge values, NUL bytes) and answers with values and error messages.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Iterator, Protocol, TypedDict, TypeGuard
from urllib.parse import urlsplit

import msgspec

# Types whose answer is one value typed or chosen in one input (also the sub-fields a group may have).
SCALAR_TYPES = frozenset({"short_text", "long_text", "number", "currency", "percentage", "date", "email",
                          "phone", "url", "select"})
FIELD_TYPES = SCALAR_TYPES | {"multi_select", "yes_no", "attestation", "checkbox", "address", "file", "budget",
                              "group", "instructions"}
# Types without an answer in `answers`: files are rows of `application_file`; instructions are only text.
NO_ANSWER_TYPES = frozenset({"file", "instructions"})
BOX_TYPES = frozenset({"attestation", "checkbox"})  # `checkbox` is the older name of `attestation`
# Form names the pages post beside the fields: a field may not use them as its key.
RESERVED_KEYS = frozenset({"version", "action", "field_key", "file", "step", "csrf"})
KEY_RE = re.compile(r"^[a-z0-9_]{1,80}$", re.ASCII)
DEFAULT_SHORT_CHARS = 200
DEFAULT_LONG_CHARS = 20_000
DEFAULT_FILE_TYPES = ("application/pdf",)
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_ROWS = {"budget": 50, "group": 20}
MAX_ROW_INDEX = 999  # posted row numbers above this are ignored
DEFAULT_MAX_TOTAL_BYTES = 50 * 1024 * 1024
TRUE_VALUES = frozenset({"on", "yes", "true", "1", "y"})
FALSE_VALUES = frozenset({"no", "false", "0", "n", "off"})
MONEY_RE = re.compile(r"^\$?\s*(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?$", re.ASCII)
NUMBER_RE = re.compile(r"^-?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?$", re.ASCII)
EMAIL_RE = re.compile(r"^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.)+[A-Za-z]{2,63}$", re.ASCII)
ZIP_RE = re.compile(r"^(\d{5})(?:[- ]?(\d{4}))?$", re.ASCII)
PHONE_CHARS_RE = re.compile(r"^[0-9\s().+\-]+$", re.ASCII)
BARE_HOST_RE = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+([/?#]|$)")
HOST_RE = re.compile(r"^[A-Za-z0-9.-]+$", re.ASCII)
ROW_NAME_RE = re.compile(r"^(\d{1,3})\.([a-z0-9_]{1,80})$", re.ASCII)
MAX_EMAIL_CHARS = 254
MAX_URL_CHARS = 2000
ADDRESS_PARTS = ("street", "street2", "city", "state", "zip")
ADDRESS_REQUIRED = ("street", "city", "state", "zip")
ADDRESS_NAMES = {"street": "street address", "city": "city", "state": "state", "zip": "ZIP code"}
BUDGET_PARTS = ("category", "description", "amount", "cost_share")
GROUP_SUB_TYPES = SCALAR_TYPES

# The 50 states, DC and the five inhabited territories (USPS codes), in the order a select shows them.
US_STATES: tuple[tuple[str, str], ...] = (
    ("AL", "Alabama"), ("AK", "Alaska"), ("AZ", "Arizona"), ("AR", "Arkansas"), ("CA", "California"),
    ("CO", "Colorado"), ("CT", "Connecticut"), ("DE", "Delaware"), ("DC", "District of Columbia"),
    ("FL", "Florida"), ("GA", "Georgia"), ("HI", "Hawaii"), ("ID", "Idaho"), ("IL", "Illinois"),
    ("IN", "Indiana"), ("IA", "Iowa"), ("KS", "Kansas"), ("KY", "Kentucky"), ("LA", "Louisiana"),
    ("ME", "Maine"), ("MD", "Maryland"), ("MA", "Massachusetts"), ("MI", "Michigan"), ("MN", "Minnesota"),
    ("MS", "Mississippi"), ("MO", "Missouri"), ("MT", "Montana"), ("NE", "Nebraska"), ("NV", "Nevada"),
    ("NH", "New Hampshire"), ("NJ", "New Jersey"), ("NM", "New Mexico"), ("NY", "New York"),
    ("NC", "North Carolina"), ("ND", "North Dakota"), ("OH", "Ohio"), ("OK", "Oklahoma"), ("OR", "Oregon"),
    ("PA", "Pennsylvania"), ("RI", "Rhode Island"), ("SC", "South Carolina"), ("SD", "South Dakota"),
    ("TN", "Tennessee"), ("TX", "Texas"), ("UT", "Utah"), ("VT", "Vermont"), ("VA", "Virginia"),
    ("WA", "Washington"), ("WV", "West Virginia"), ("WI", "Wisconsin"), ("WY", "Wyoming"),
    ("AS", "American Samoa"), ("GU", "Guam"), ("MP", "Northern Mariana Islands"), ("PR", "Puerto Rico"),
    ("VI", "U.S. Virgin Islands"),
)
STATE_CODES = frozenset(code for code, _ in US_STATES)

Schema = dict[str, Any]
Field = dict[str, Any]


# --- reading a schema ---------------------------------------------------------------------------------

def sections(schema: Schema) -> list[dict[str, Any]]:
    found = schema.get("sections") if isinstance(schema, dict) else None
    return [s for s in found if isinstance(s, dict)] if isinstance(found, list) else []


def iter_fields(schema: Schema) -> Iterator[Field]:
    for section in sections(schema):
        yield from (f for f in section.get("fields", []) if isinstance(f, dict) and "key" in f)


def fields_by_key(schema: Schema) -> dict[str, Field]:
    return {f["key"]: f for f in iter_fields(schema)}


def answer_fields(schema: Schema) -> list[Field]:
    """The fields that have an answer in `answers` (not files, not instructions)."""
    return [f for f in iter_fields(schema) if f.get("type") not in NO_ANSWER_TYPES]


def labels(schema: Schema) -> dict[str, str]:
    """Field key -> label, for the error summary."""
    return {f["key"]: str(f.get("label", f["key"])) for f in iter_fields(schema)}


def file_fields(schema: Schema) -> list[Field]:
    return [f for f in iter_fields(schema) if f.get("type") == "file"]


def section_field_keys(schema: Schema, section_key: str) -> list[str]:
    """The keys of the answer-bearing fields of one section (a step), in order; [] for an unknown section."""
    for section in sections(schema):
        if section.get("key") == section_key:
            return [f["key"] for f in section.get("fields", [])
                    if isinstance(f, dict) and "key" in f and f.get("type") not in NO_ANSWER_TYPES]
    return []


def section_of(schema: Schema, key: str) -> str | None:
    """The key of the section holding field `key`."""
    for section in sections(schema):
        if any(isinstance(f, dict) and f.get("key") == key for f in section.get("fields", [])):
            return section.get("key")
    return None


def posted_field_keys(schema: Schema, form_data: dict[str, Any]) -> set[str]:
    """The top-level answer fields a posted form touches: `key`, `key.sub` and `key.0.sub` all mean `key`."""
    known = {f["key"] for f in answer_fields(schema)}
    return {name.split(".", 1)[0] for name in form_data if isinstance(name, str)} & known


def budget_categories(field: Field) -> list[dict[str, Any]]:
    return _options(field, "categories")


def _options(field: Field, name: str = "options") -> list[dict[str, Any]]:
    found = field.get(name)
    return [o for o in found if isinstance(o, dict) and "value" in o] if isinstance(found, list) else []


def _option_values(field: Field, name: str = "options") -> list[str]:
    return [str(o["value"]) for o in _options(field, name)]


def sub_fields(field: Field) -> list[Field]:
    """A repeating group's sub-fields."""
    found = field.get("fields")
    return [f for f in found if isinstance(f, dict) and "key" in f] if isinstance(found, list) else []


def max_rows(field: Field) -> int:
    return int(field.get("max_rows") or DEFAULT_MAX_ROWS.get(field.get("type", ""), 20))


def min_rows(field: Field) -> int:
    return int(field.get("min_rows") or 0)


# --- checking a schema ----------------------------------------------------------------------------------

# What a form may hold at most (docs/forms.md, "What the form engine refuses"): a builder may be fed anything.
MAX_SCHEMA_BYTES = 512 * 1024  # the whole schema as JSON
MAX_SECTIONS = 50
MAX_FIELDS = 200  # top-level fields in the whole form
MAX_SUB_FIELDS = 50  # sub-fields of one repeating group
MAX_OPTIONS = 200  # options of a choice field, categories of a budget table
MAX_LABEL_CHARS = 500  # a label, a section title, an option's label
MAX_HELP_CHARS = 2_000  # help under a field or a section
MAX_TEXT_CHARS = 20_000  # the text of an instructions block
MAX_OPTION_VALUE_CHARS = 200
MAX_ROWS_LIMIT = MAX_ROW_INDEX + 1  # rows past this could never be posted
MAX_CHARS_LIMIT = 100_000
CHOICE_TYPES = frozenset({"select", "multi_select"})
# Text a form shows is plain text (Jinja escapes it); a tag in it is a mistake or an attack, never meant.
MARKUP_RE = re.compile(r"<\s*/?\s*[A-Za-z!?]")
COUNT_LIMITS = ("max_chars", "max_words", "min_rows", "max_rows", "min_choices", "max_choices")
LIMIT_PAIRS = (("min_rows", "max_rows"), ("min_choices", "max_choices"), ("min_cents", "max_cents"), ("min", "max"))
# Report forms have no table for files (portal/reporting/services.py), so a report form cannot ask for one.
REPORT_REFUSED_TYPES = frozenset({"file"})
SCHEMA_KINDS = frozenset({"application", "report"})


class Problem(msgspec.Struct, frozen=True):
    """One thing wrong with a form schema or an eligibility spec: where (`sections[1].fields[3].options[0]`,
    `questions[2]`, `rules[0].in[1]`) and what, in a sentence for the staff who write forms."""

    path: str
    message: str


def json_size(value: object) -> int | None:
    """The size of `value` as JSON, or None if it is not JSON (a set, a non-string key, an int past 64 bits)."""
    try:
        return len(msgspec.json.encode(value))
    except (TypeError, ValueError, OverflowError, RecursionError, msgspec.EncodeError):
        return None


def _is_text(value: object, most: int) -> bool:
    return isinstance(value, str) and len(value) <= most


def text_problems(owner: dict[str, Any], name: str, path: str, what: str, most: int,
                   required: bool = False) -> list[Problem]:
    """A label, title or help: plain text (no HTML tags) of at most `most` characters."""
    value = owner.get(name)
    where = f"{path}.{name}" if path else name
    if value is None or value == "":
        return [Problem(where, f"{what} needs a {name}.")] if required else []
    if not isinstance(value, str):
        return [Problem(where, f"{what}: {name} must be text.")]
    if len(value) > most:
        return [Problem(where, f"{what}: {name} is longer than {most:,} characters.")]
    if MARKUP_RE.search(value):
        return [Problem(where, f"{what}: {name} must be plain text, without HTML tags.")]
    return []


def option_problems(field: dict[str, Any], name: str, path: str, what: str) -> list[Problem]:
    """The options (or budget categories) a field declares: objects with a value and a label, each value once."""
    found = field.get(name)
    if found is None:
        return []
    if not isinstance(found, list):
        return [Problem(f"{path}.{name}", f"{what}: {name} must be a list of value and label.")]
    problems: list[Problem] = []
    if len(found) > MAX_OPTIONS:
        problems.append(Problem(f"{path}.{name}", f"{what} has {len(found):,} {name}; at most {MAX_OPTIONS} are allowed."))
    values: set[str] = set()
    for index, option in enumerate(found[:MAX_OPTIONS]):
        where = f"{path}.{name}[{index}]"
        if not isinstance(option, dict):
            problems.append(Problem(where, f"{what}: every option must be an object with a value and a label."))
            continue
        value = option.get("value")
        if isinstance(value, bool) or not isinstance(value, (str, int)) or not 0 < len(str(value)) <= MAX_OPTION_VALUE_CHARS:
            problems.append(Problem(f"{where}.value", f"{what}: an option's value must be text or a whole number "
                                                      f"(1 to {MAX_OPTION_VALUE_CHARS} characters)."))
        elif str(value) in values:
            problems.append(Problem(f"{where}.value", f"{what}: option value {str(value)!r} is used twice."))
        else:
            values.add(str(value))
        problems += text_problems(option, "label", where, f"{what}, option {index + 1}", MAX_LABEL_CHARS, required=True)
    return problems


def _limit_problems(field: dict[str, Any], path: str, what: str) -> list[Problem]:
    problems: list[Problem] = []
    for name in COUNT_LIMITS:
        value = field.get(name)
        if value is not None and (not _is_int(value) or value < 0):
            problems.append(Problem(f"{path}.{name}", f"{what}: {name} must be a whole number of at least 0."))
    for name, most in (("max_rows", MAX_ROWS_LIMIT), ("max_chars", MAX_CHARS_LIMIT)):
        value = field.get(name)
        if _is_int(value) and value > most:
            problems.append(Problem(f"{path}.{name}", f"{what}: {name} may be at most {most:,}."))
    for name in ("min_cents", "max_cents", "max_bytes"):
        value = field.get(name)
        if value is not None and (not _is_int(value) or value < 0):
            problems.append(Problem(f"{path}.{name}", f"{what}: {name} must be a whole number of at least 0."))
    for name in ("min", "max"):
        value = field.get(name)
        if value is not None and not _is_number(value):
            problems.append(Problem(f"{path}.{name}", f"{what}: {name} must be a number."))
    for low, high in LIMIT_PAIRS:
        lowest, highest = field.get(low), field.get(high)
        if _is_number(lowest) and _is_number(highest) and lowest > highest:
            problems.append(Problem(f"{path}.{low}", f"{what}: {low} is more than {high}."))
    return problems


def _field_problems(field: dict[str, Any], path: str, key: str, kind: str) -> list[Problem]:
    """The problems of one top-level field other than its key and its condition."""
    what = f"Field {key!r}"
    ftype = field.get("type")
    if not isinstance(ftype, str) or ftype not in FIELD_TYPES:
        return [Problem(f"{path}.type", f"Field {key!r} has an unknown type {show_value(ftype)}.")]
    if kind == "report" and ftype in REPORT_REFUSED_TYPES:
        return [Problem(f"{path}.type", f"Field {key!r}: a report form cannot ask for a file.")]
    problems = text_problems(field, "label", path, what, MAX_LABEL_CHARS, required=True)
    problems += text_problems(field, "help", path, what, MAX_HELP_CHARS)
    if ftype in CHOICE_TYPES and not _options(field):
        problems.append(Problem(f"{path}.options", f"Field {key!r} needs options (a list of value and label)."))
    problems += option_problems(field, "options", path, what)
    if ftype == "instructions":
        if not (field.get("text") or field.get("help")):
            problems.append(Problem(f"{path}.text", f"Instructions {key!r} need a text."))
        problems += text_problems(field, "text", path, what, MAX_TEXT_CHARS)
    if field.get("requested_amount") and ftype not in {"currency", "budget"}:
        problems.append(Problem(f"{path}.requested_amount",
                                f"Field {key!r}: only a currency field or a budget table can be the amount requested."))
    problems += _limit_problems(field, path, what)
    accept = field.get("accept")
    if accept is not None and (not isinstance(accept, list) or not all(_is_text(a, 200) for a in accept)):
        problems.append(Problem(f"{path}.accept", f"{what}: accept must be a list of MIME types."))
    if ftype == "budget" and not budget_categories(field):
        problems.append(Problem(f"{path}.categories",
                                f"Budget table {key!r} needs categories (a list of value and label)."))
    problems += option_problems(field, "categories", path, what)
    if ftype == "group":
        problems += _group_problems(field, path, key)
    return problems


def _group_problems(field: dict[str, Any], path: str, key: str) -> list[Problem]:
    found = field.get("fields")
    if found is not None and not isinstance(found, list):
        return [Problem(f"{path}.fields", f"Repeating group {key!r}: fields must be a list of sub-fields.")]
    subs = found or []
    problems: list[Problem] = []
    if not sub_fields(field):
        problems.append(Problem(f"{path}.fields", f"Repeating group {key!r} needs sub-fields."))
    if len(subs) > MAX_SUB_FIELDS:
        problems.append(Problem(f"{path}.fields", f"Repeating group {key!r} has {len(subs):,} sub-fields; "
                                                  f"at most {MAX_SUB_FIELDS} are allowed."))
    sub_keys = [key_name(s.get("key", "")) for s in sub_fields(field)]
    if len(set(sub_keys)) != len(sub_keys):
        problems.append(Problem(f"{path}.fields", f"Repeating group {key!r} uses a sub-field key twice."))
    for index, sub in enumerate(subs[:MAX_SUB_FIELDS]):
        where = f"{path}.fields[{index}]"
        if not isinstance(sub, dict):
            problems.append(Problem(where, f"Repeating group {key!r} has a sub-field that is not an object."))
            continue
        raw = sub.get("key", "")
        skey = key_name(raw)
        what = f"Sub-field {key}.{skey}"
        if not isinstance(raw, str) or not KEY_RE.fullmatch(raw):
            problems.append(Problem(f"{where}.key", f"{what} must be lower-case letters, digits and _."))
        stype = sub.get("type")
        if not isinstance(stype, str) or stype not in GROUP_SUB_TYPES:
            problems.append(Problem(f"{where}.type", f"{what} has a type a group cannot hold: {show_value(stype)}."))
        elif stype == "select" and not _options(sub):
            problems.append(Problem(f"{where}.options", f"{what} needs options."))
        problems += option_problems(sub, "options", where, what)
        if not sub.get("label"):
            problems.append(Problem(f"{where}.label", f"{what} needs a label."))
        else:
            problems += text_problems(sub, "label", where, what, MAX_LABEL_CHARS)
        problems += text_problems(sub, "help", where, what, MAX_HELP_CHARS)
        problems += _limit_problems(sub, where, what)
        if "show_if" in sub:
            problems.append(Problem(f"{where}.show_if", f"{what}: show_if is not supported inside a repeating group."))
    return problems


def show_value(value: object) -> str:
    """A value for a message: repr, cut short (a hostile key may be half a megabyte)."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def key_name(key: object) -> str:
    """A key as a message names it: itself if it is short text (cut short if long), else its kind: <list>."""
    if isinstance(key, str):
        return key if len(key) <= 80 else key[:77] + "..."
    return f"<{type(key).__name__}>"


def _condition_problems(field: dict[str, Any], path: str, key: str, order: dict[str, int],
                        by_key: dict[str, dict[str, Any]]) -> list[Problem]:
    """A field's show_if: names an answer-bearing field earlier in the form, with values that field can take."""
    condition = field.get("show_if")
    if condition is None:
        return []
    where = f"{path}.show_if"
    if not isinstance(condition, dict) or ("equals" not in condition and not isinstance(condition.get("in"), list)):
        return [Problem(where, f"Field {key!r}: show_if needs a field and `equals` or `in`.")]
    name = condition.get("field")
    if not isinstance(name, str) or name not in by_key or name == key:
        return [Problem(f"{where}.field", f"Field {key!r}: show_if names an unknown field {show_value(name)}.")]
    target = by_key[name]
    found_type = target.get("type")
    target_type = found_type if isinstance(found_type, str) else ""  # a malformed type is reported on the target
    if target_type in NO_ANSWER_TYPES:
        return [Problem(f"{where}.field", f"Field {key!r}: show_if cannot depend on {name!r}, which has no answer.")]
    problems: list[Problem] = []
    if order[name] > order[key]:
        problems.append(Problem(f"{where}.field", f"Field {key!r}: show_if depends on {name!r}, which comes later "
                                                  "in the form; a condition may only look back."))
    wanted = [condition["equals"]] if "equals" in condition else list(condition["in"])
    values_at = [f"{where}.equals"] if "equals" in condition else [f"{where}.in[{i}]" for i in range(len(wanted))]
    if len(wanted) > MAX_OPTIONS:
        return problems + [Problem(f"{where}.in", f"Field {key!r}: show_if lists more than {MAX_OPTIONS} values.")]
    for value, at in zip(wanted, values_at):
        if target_type in CHOICE_TYPES:
            if isinstance(value, bool) or not isinstance(value, (str, int)) or str(value) not in _option_values(target):
                problems.append(Problem(at, f"Field {key!r}: show_if value {show_value(value)} is not one of the "
                                            f"options of {name!r}."))
        elif target_type == "yes_no" or target_type in BOX_TYPES:
            if not isinstance(value, bool):
                problems.append(Problem(at, f"Field {key!r}: show_if on {name!r} takes true or false, "
                                            f"not {show_value(value)}."))
        elif not isinstance(value, (str, int, float)) or isinstance(value, bool):
            problems.append(Problem(at, f"Field {key!r}: show_if value {show_value(value)} must be text or a number."))
    return problems


def _cycle_problems(targets: dict[str, str], paths: dict[str, str]) -> list[Problem]:
    """Conditions that depend on each other in a loop (a -> b -> a): such fields could never be shown."""
    problems: list[Problem] = []
    reported: set[str] = set()
    for start in targets:
        chain = [start]
        current = targets.get(start)
        while current is not None and current not in chain and len(chain) <= len(targets):
            chain.append(current)
            current = targets.get(current)
        if current == start and start not in reported and len(chain) > 1:
            reported.update(chain)
            loop = " -> ".join([*chain, start])
            problems.append(Problem(f"{paths[start]}.show_if.field", f"Fields {loop} show each other only in a "
                                                                     "loop: none of them could ever be shown."))
    return problems


def schema_problems(schema: object, kind: str = "application") -> list[Problem]:
    """Everything wrong with a form schema, at once, each with where it is; [] when the schema is sound.

    Takes any JSON-like value (a form builder's post, a file pasted in) and never raises. `kind` is
    "application" or "report" (a report form cannot ask for files). A schema over MAX_SCHEMA_BYTES, or not
    JSON at all, gets that one problem only: nothing in it is read."""
    size = json_size(schema)
    if size is None:
        return [Problem("", "The form is not JSON (objects, lists, text, numbers, true, false and null only).")]
    if size > MAX_SCHEMA_BYTES:
        return [Problem("", f"The form is {size:,} bytes as JSON; at most {MAX_SCHEMA_BYTES:,} are allowed.")]
    if not isinstance(schema, dict) or not isinstance(schema.get("sections"), list):
        return [Problem("sections", "The form needs a list of sections.")]
    problems: list[Problem] = []
    if not isinstance(kind, str) or kind not in SCHEMA_KINDS:
        problems.append(Problem("", f"Unknown kind of form {show_value(kind)}."))
    total = schema.get("max_total_bytes")
    if total is not None and (not _is_int(total) or total < 0):
        problems.append(Problem("max_total_bytes", "max_total_bytes must be a whole number of at least 0."))
    found_sections: list[Any] = schema["sections"]
    if len(found_sections) > MAX_SECTIONS:
        problems.append(Problem("sections", f"The form has {len(found_sections):,} sections; "
                                            f"at most {MAX_SECTIONS} are allowed."))
    field_count = sum(len(s["fields"]) for s in found_sections if isinstance(s, dict) and isinstance(s.get("fields"), list))
    if field_count > MAX_FIELDS:
        problems.append(Problem("sections", f"The form has {field_count:,} fields; at most {MAX_FIELDS} are allowed."))
    seen: set[str] = set()
    section_keys: set[str] = set()
    fields: list[tuple[str, str, dict[str, Any]]] = []  # (path, key, field) of every field with a sound key
    requested = 0
    for index, section in enumerate(found_sections[:MAX_SECTIONS]):
        spath = f"sections[{index}]"
        if not isinstance(section, dict) or not isinstance(section.get("fields", []), list):
            where = f"{spath}.fields" if isinstance(section, dict) else spath
            problems.append(Problem(where, "Every section needs a key, a title and a list of fields."))
            continue
        raw = section.get("key", "")
        skey = key_name(raw)
        if not isinstance(raw, str) or not KEY_RE.fullmatch(raw) or raw == "review":
            problems.append(Problem(f"{spath}.key", f"Section key {skey!r} must be lower-case letters, digits "
                                                    "and _ (and not 'review')."))
        elif raw in section_keys:
            problems.append(Problem(f"{spath}.key", f"Section key {skey!r} is used twice."))
        section_keys.add(skey)
        if not section.get("title"):
            problems.append(Problem(f"{spath}.title", f"Section {skey!r} needs a title."))
        else:
            problems += text_problems(section, "title", spath, f"Section {skey!r}", MAX_LABEL_CHARS)
        problems += text_problems(section, "help", spath, f"Section {skey!r}", MAX_HELP_CHARS)
        for findex, field in enumerate(section.get("fields", [])[:MAX_FIELDS]):
            fpath = f"{spath}.fields[{findex}]"
            if not isinstance(field, dict):
                problems.append(Problem(fpath, f"Section {skey!r} has a field that is not an object."))
                continue
            raw = field.get("key", "")
            key = key_name(raw)
            if not isinstance(raw, str) or not KEY_RE.fullmatch(raw) or raw in RESERVED_KEYS:
                problems.append(Problem(f"{fpath}.key", f"Field key {key!r} must be lower-case letters, digits "
                                                        "and _ (and not a reserved name)."))
            elif raw in seen:
                problems.append(Problem(f"{fpath}.key", f"Field key {key!r} is used twice."))
            else:
                seen.add(raw)
                fields.append((fpath, raw, field))
            problems += _field_problems(field, fpath, key, kind)
            requested += bool(field.get("requested_amount"))
    order = {key: position for position, (_, key, _) in enumerate(fields)}
    by_key = {key: field for _, key, field in fields}
    targets: dict[str, str] = {}
    for fpath, key, field in fields:
        problems += _condition_problems(field, fpath, key, order, by_key)
        condition = field.get("show_if")
        if isinstance(condition, dict) and isinstance(condition.get("field"), str) and condition["field"] in by_key:
            targets[key] = condition["field"]
    problems += _cycle_problems(targets, {key: fpath for fpath, key, _ in fields})
    if requested > 1:
        problems.append(Problem("sections", "Only one currency field or budget table can be the amount requested."))
    return problems


def check_schema(schema: Schema) -> list[str]:
    """What is wrong with a schema itself (for the staff who write forms); empty when it is sound. The messages
    of schema_problems, which also says where each problem is."""
    return [problem.message for problem in schema_problems(schema)]


# --- conditions -----------------------------------------------------------------------------------------

def condition_values(field: Field) -> list[Any]:
    """The answers for which a conditional field applies."""
    condition = field.get("show_if")
    if not isinstance(condition, dict):
        return []
    if "equals" in condition:
        return [condition["equals"]]
    found = condition.get("in")
    return list(found) if isinstance(found, list) else []


def condition_form_values(field: Field) -> list[str]:
    """condition_values as the HTML form posts them (true -> "yes", false -> "no"), for the browser."""
    return ["yes" if v is True else "no" if v is False else str(v) for v in condition_values(field)]


def is_shown(schema: Schema, field: Field, answers: dict[str, Any], _depth: int = 0) -> bool:
    """Whether a field applies given the answers: true without `show_if`; a field whose condition depends on
    a field that is itself not shown is not shown either."""
    condition = field.get("show_if")
    if not isinstance(condition, dict):
        return True
    target = fields_by_key(schema).get(condition.get("field"))  # type: ignore[arg-type]
    if target is None or _depth > 10:
        return False
    if not is_shown(schema, target, answers, _depth + 1):
        return False
    answer = answers.get(target["key"]) if isinstance(answers, dict) else None
    wanted = condition_values(field)
    chosen = answer if isinstance(answer, list) else [answer]
    return any(_same(value, want) for value in chosen for want in wanted)


def _same(answer: Any, wanted: Any) -> bool:
    if isinstance(wanted, bool) or isinstance(answer, bool):
        return answer is wanted
    return answer is not None and str(answer) == str(wanted)


# --- limits shown to the user ---------------------------------------------------------------------------

def max_chars(field: Field) -> int:
    default = DEFAULT_LONG_CHARS if field.get("type") == "long_text" else DEFAULT_SHORT_CHARS
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


# --- parsing one submitted value ------------------------------------------------------------------------

class _Malformed(ValueError):
    pass


def _last(value: Any) -> str:
    if isinstance(value, list):
        value = value[-1] if value else ""
    return value.replace("\x00", "") if isinstance(value, str) else ""


def _all(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [v.replace("\x00", "") for v in items if isinstance(v, str)]


def parse_currency(raw: str) -> int:
    """Dollars as typed ("$25,000", "1250.5") -> integer cents; _Malformed otherwise."""
    match = MONEY_RE.fullmatch(raw.strip()) if len(raw) <= 40 else None
    if not match:
        raise _Malformed("Enter an amount in dollars, like 25000 or 25,000.50")
    whole, fraction = match.group(1).replace(",", ""), (match.group(2) or "").ljust(2, "0")
    return int(whole) * 100 + int(fraction)


def parse_number(raw: str, integer: bool) -> int | float:
    text = raw.strip()
    if len(text) > 40 or not NUMBER_RE.fullmatch(text):
        raise _Malformed("Enter a whole number" if integer else "Enter a number")
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only decimals
        raise _Malformed("Enter a number") from exc
    if value == value.to_integral_value():
        return int(value)
    if integer:
        raise _Malformed("Enter a whole number, without decimals")
    return float(value)


def parse_percentage(raw: str) -> int | float:
    """"12.5", "12.5 %" -> 12.5; from 0 to 100."""
    try:
        value = parse_number(raw.strip().removesuffix("%").strip(), integer=False)
    except _Malformed as exc:
        raise _Malformed("Enter a percentage from 0 to 100, like 12.5") from exc
    if not 0 <= value <= 100:
        raise _Malformed("Enter a percentage from 0 to 100")
    return value


def parse_date(raw: str) -> str:
    """yyyy-mm-dd (what a date input sends) or mm/dd/yyyy (typed by hand) -> "yyyy-mm-dd"."""
    text = raw.strip()
    if len(text) <= 10:
        for fmt in ("%Y-%m-%d", "%m/%d/%Y"):
            try:
                return datetime.strptime(text, fmt).date().isoformat()
            except ValueError:
                continue
    raise _Malformed("Enter a real date, like 2027-01-15")


def parse_email(raw: str) -> str:
    text = raw.strip()
    if len(text) > MAX_EMAIL_CHARS or not EMAIL_RE.fullmatch(text) or ".." in text:
        raise _Malformed("Enter an email address, like name@city.gov")
    local, domain = text.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def parse_phone(raw: str) -> str:
    """A US phone number in any common format -> "+1 555 123 4567"."""
    text = raw.strip()
    digits = re.sub(r"[^0-9]", "", text)
    if len(text) > 30 or not PHONE_CHARS_RE.fullmatch(text):
        raise _Malformed("Enter a US phone number, like (555) 123-4567")
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10 or digits[0] in "01":
        raise _Malformed("Enter a US phone number with its area code, like (555) 123-4567")
    return f"+1 {digits[:3]} {digits[3:6]} {digits[6:]}"


def parse_url(raw: str) -> str:
    """An http or https address; "city.gov/plan" gets https://. Anything else (javascript:, data:) is refused."""
    text = raw.strip()
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", text) and BARE_HOST_RE.match(text):
        text = "https://" + text
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
    except ValueError:
        raise _Malformed("Enter a web address starting with https://") from None
    if (len(text) > MAX_URL_CHARS or parts.scheme.lower() not in {"http", "https"} or "." not in host
            or not HOST_RE.fullmatch(host) or any(ch.isspace() or not ch.isprintable() for ch in text)):
        raise _Malformed("Enter a web address starting with https://, like https://www.city.gov")
    return text


def parse_zip(raw: str) -> str:
    match = ZIP_RE.fullmatch(raw.strip())
    if not match:
        raise _Malformed("Enter a 5-digit ZIP code, or 9 digits like 12345-6789")
    return match.group(1) + (f"-{match.group(2)}" if match.group(2) else "")


def _text_errors(field: Field, text: str) -> str | None:
    limit = max_chars(field)
    if len(text) > limit:
        return f"Use at most {limit:,} characters (you have {len(text):,})"
    if field.get("max_words") and word_count(text) > int(field["max_words"]):
        return f"Use at most {int(field['max_words']):,} words (you have {word_count(text):,})"
    return None


def _clean(field: Field, raw: str) -> str:
    raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    return raw.strip("\n").rstrip() if field.get("type") == "long_text" else raw.strip()


def parse_scalar(field: Field, raw: str) -> Any:
    """One typed value of a scalar field -> its stored form; _Malformed says why not. `raw` is not empty."""
    kind = field.get("type")
    if kind in {"short_text", "long_text"}:
        message = _text_errors(field, raw)
        if message:
            raise _Malformed(message)
        return raw
    if kind == "number":
        return parse_number(raw, bool(field.get("integer")))
    if kind == "currency":
        return parse_currency(raw)
    if kind == "percentage":
        return parse_percentage(raw)
    if kind == "date":
        return parse_date(raw)
    if kind == "email":
        return parse_email(raw)
    if kind == "phone":
        return parse_phone(raw)
    if kind == "url":
        return parse_url(raw)
    if kind == "select":
        if raw not in _option_values(field):
            raise _Malformed("Choose one of the options")
        return raw
    raise _Malformed("This question cannot be answered here")


# --- parsing a posted form ------------------------------------------------------------------------------

def _rows(form_data: dict[str, Any], key: str, parts: tuple[str, ...] | list[str]) -> list[dict[str, str]]:
    """The posted rows `key.N.part`, in the order of N, without rows left entirely empty."""
    found: dict[int, dict[str, str]] = {}
    prefix = key + "."
    for name, value in form_data.items():
        if not isinstance(name, str) or not name.startswith(prefix):
            continue
        match = ROW_NAME_RE.fullmatch(name[len(prefix):])
        if match and match.group(2) in parts and int(match.group(1)) <= MAX_ROW_INDEX:
            found.setdefault(int(match.group(1)), {})[match.group(2)] = _last(value)
    return [row for _, row in sorted(found.items()) if any(v.strip() for v in row.values())]


def _parse_address(field: Field, form_data: dict[str, Any]) -> tuple[dict[str, str] | None, str | None]:
    typed = {part: _last(form_data.get(f"{field['key']}.{part}")).strip()[:200] for part in ADDRESS_PARTS}
    if not any(typed.values()):
        return None, None
    value = {part: text for part, text in typed.items() if text}
    problems = []
    if value.get("state") and value["state"].upper() not in STATE_CODES:
        problems.append("choose a state from the list")
    elif value.get("state"):
        value["state"] = value["state"].upper()
    if value.get("zip"):
        try:
            value["zip"] = parse_zip(value["zip"])
        except _Malformed:
            problems.append("enter a 5-digit ZIP code, or 9 digits like 12345-6789")
    return value, (_sentence(problems) if problems else None)


def _parse_budget(field: Field, form_data: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    parts = BUDGET_PARTS if field.get("cost_share") else BUDGET_PARTS[:3]
    categories = _option_values(field, "categories")
    rows: list[dict[str, Any]] = []
    problems: list[str] = []
    for number, typed in enumerate(_rows(form_data, field["key"], parts), start=1):
        row: dict[str, Any] = {}
        category = typed.get("category", "").strip()
        if category:
            row["category"] = category
            if category not in categories:
                problems.append(f"line {number}: choose a category from the list")
        description = " ".join(typed.get("description", "").split())
        if description:
            row["description"] = description[:1000]
            if len(description) > 200:
                problems.append(f"line {number}: use at most 200 characters to describe it")
        for part in ("amount", "cost_share"):
            raw = typed.get(part, "").strip()
            if raw:
                try:
                    row[part] = parse_currency(raw)
                except _Malformed:
                    row[part] = raw[:40]
                    problems.append(f"line {number}: enter the {'amount' if part == 'amount' else 'cost share'} "
                                    "in dollars, like 2,500")
        rows.append(row)
    if len(rows) > max_rows(field):
        problems.append(f"use at most {max_rows(field)} lines")
    return rows, (_sentence(problems) if problems else None)


def _parse_group(field: Field, form_data: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    subs = sub_fields(field)
    rows: list[dict[str, Any]] = []
    problems: list[str] = []
    for number, typed in enumerate(_rows(form_data, field["key"], [s["key"] for s in subs]), start=1):
        row: dict[str, Any] = {}
        for sub in subs:
            raw = _clean(sub, typed.get(sub["key"], ""))
            if not raw:
                continue
            try:
                row[sub["key"]] = parse_scalar(sub, raw)
            except _Malformed as exc:
                row[sub["key"]] = raw[:max_chars(sub)]
                problems.append(f"row {number}, {sub.get('label', sub['key'])}: {_lower_first(str(exc))}")
        rows.append(row)
    if len(rows) > max_rows(field):
        problems.append(f"use at most {max_rows(field)} rows")
    return rows, (_sentence(problems) if problems else None)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _sentence(problems: list[str]) -> str:
    text = "; ".join(problems[:5]) + ("; and more" if len(problems) > 5 else "")
    return text[:1].upper() + text[1:]


def validate_draft(schema: Schema, form_data: dict[str, Any],
                   keys: set[str] | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    """Parse submitted HTML form values by field type into answers; returns (answers, errors).

    `keys` (top-level field keys) limits the parsing to those fields, e.g. the fields of one step or the
    one field an autosave sends; without it every field of the form is parsed. A field in scope that the
    form did not send is empty: left out of the answers, except an unticked box (False) and a multiple
    choice with nothing ticked ([]), which HTML never sends.

    Never complains that a required field is empty (a draft may be incomplete); reports values that are
    malformed (not a number, not a date, an option that does not exist, text over its limits, a row of a
    table with a bad amount). A malformed field keeps what was typed in the answers, so that the page shown
    again loses nothing; the caller must not save answers while there are errors. Never raises.
    """
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if not isinstance(form_data, dict):
        form_data = {}
    for field in answer_fields(schema):
        key, kind = field["key"], field.get("type")
        if keys is not None and key not in keys:
            continue
        value: Any = None
        message: str | None = None
        if kind in BOX_TYPES:
            value = _last(form_data.get(key)).strip().lower() in TRUE_VALUES
        elif kind == "multi_select":
            chosen = set(_all(form_data.get(key)))
            value = [v for v in _option_values(field) if v in chosen]
            if chosen - set(value):
                message = "Choose only from the options"
        elif kind == "yes_no":
            raw = _last(form_data.get(key)).strip().lower()
            value = True if raw in TRUE_VALUES else (False if raw in FALSE_VALUES else None)
            if raw and value is None:
                message = "Choose yes or no"
        elif kind == "address":
            value, message = _parse_address(field, form_data)
        elif kind == "budget":
            value, message = _parse_budget(field, form_data)
            value = value or None
        elif kind == "group":
            value, message = _parse_group(field, form_data)
            value = value or None
        elif kind in SCALAR_TYPES:
            raw = _clean(field, _last(form_data.get(key)))
            if raw:
                try:
                    value = parse_scalar(field, raw)
                except _Malformed as exc:
                    value, message = raw[:max_chars(field) + 1000], str(exc)
        if value is not None:
            answers[key] = value
        if message:
            errors[key] = message
    return answers, errors


# --- checking stored answers at submission ----------------------------------------------------------------

def _is_empty(value: Any) -> bool:
    return (value is None or value is False or value == [] or value == {}
            or (isinstance(value, str) and not value.strip()))


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _scalar_error(field: Field, value: Any) -> str | None:
    """A stored scalar answer that breaks the field's type or limits (the schema may have changed since)."""
    kind = field.get("type")
    if kind in {"short_text", "long_text"}:
        return _text_errors(field, value) if isinstance(value, str) else "Enter text"
    if kind in {"number", "percentage"}:
        if not _is_number(value):
            return "Enter a number"
        if kind == "percentage" and not 0 <= value <= 100:
            return "Enter a percentage from 0 to 100"
        if field.get("integer") and value != int(value):
            return "Enter a whole number, without decimals"
        if _is_number(field.get("min")) and value < field["min"]:
            return f"Enter a number of at least {field['min']:,}"
        if _is_number(field.get("max")) and value > field["max"]:
            return f"Enter a number of at most {field['max']:,}"
        return None
    if kind == "currency":
        if not _is_int(value):
            return "Enter an amount in dollars"
        if _is_int(field.get("min_cents")) and value < field["min_cents"]:
            return f"Enter at least ${cents_to_dollars(field['min_cents'])}"
        if _is_int(field.get("max_cents")) and value > field["max_cents"]:
            return f"Enter at most ${cents_to_dollars(field['max_cents'])}"
        return None
    if not isinstance(value, str):
        return "Answer this question again"
    try:
        if parse_scalar(field, value) != value:
            return "Answer this question again"
    except _Malformed as exc:
        return str(exc)
    return None


def _address_error(field: Field, value: Any) -> str | None:
    if not isinstance(value, dict):
        return "Enter the address again"
    missing = [ADDRESS_NAMES[p] for p in ADDRESS_REQUIRED if not str(value.get(p) or "").strip()]
    if missing:
        return "Enter the " + _and(missing)
    if value.get("state") not in STATE_CODES:
        return "Choose a state from the list"
    if not isinstance(value.get("zip"), str) or not ZIP_RE.fullmatch(value["zip"]):
        return "Enter a 5-digit ZIP code, or 9 digits like 12345-6789"
    return None


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _rows_error(field: Field, value: Any) -> str | None:
    noun = "line" if field.get("type") == "budget" else "row"
    value = [] if value is None else value
    if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
        return f"Enter the {noun}s again"
    wanted = max(min_rows(field), 1 if field.get("required") else 0)
    if len(value) < wanted:
        return f"Add at least {wanted} {noun}{'s' if wanted != 1 else ''}"
    if len(value) > max_rows(field):
        return f"Use at most {max_rows(field)} {noun}s"
    problems: list[str] = []
    for number, row in enumerate(value, start=1):
        if field.get("type") == "budget":
            if row.get("category") not in _option_values(field, "categories"):
                problems.append(f"line {number}: choose a category")
            if not str(row.get("description") or "").strip():
                problems.append(f"line {number}: describe the cost")
            if not _is_int(row.get("amount")) or row["amount"] < 0:
                problems.append(f"line {number}: enter the amount in dollars")
            if row.get("cost_share") is not None and (not _is_int(row["cost_share"]) or row["cost_share"] < 0):
                problems.append(f"line {number}: enter the cost share in dollars")
            continue
        for sub in sub_fields(field):
            sub_value = row.get(sub["key"])
            name = sub.get("label", sub["key"])
            if _is_empty(sub_value):
                if sub.get("required"):
                    problems.append(f"row {number}: enter the {_lower_first(str(name))}")
                continue
            message = _scalar_error(sub, sub_value)
            if message:
                problems.append(f"row {number}, {name}: {_lower_first(message)}")
    if not problems and field.get("type") == "budget":
        total = budget_totals(value)["amount"]
        now = f"(it is ${cents_to_dollars(total)})"
        if _is_int(field.get("min_cents")) and total < field["min_cents"]:
            return f"The total must be at least ${cents_to_dollars(field['min_cents'])} {now}"
        if _is_int(field.get("max_cents")) and total > field["max_cents"]:
            return f"The total must be at most ${cents_to_dollars(field['max_cents'])} {now}"
    return _sentence(problems) if problems else None


def _answer_error(field: Field, value: Any) -> str | None:
    kind = field.get("type")
    if kind in BOX_TYPES or kind == "yes_no":
        return None if isinstance(value, bool) else "Answer this question again"
    if kind == "multi_select":
        if not isinstance(value, list) or any(str(v) not in _option_values(field) for v in value):
            return "Choose only from the options"
        if _is_int(field.get("min_choices")) and len(value) < field["min_choices"]:
            return f"Choose at least {field['min_choices']}"
        if _is_int(field.get("max_choices")) and len(value) > field["max_choices"]:
            return f"Choose at most {field['max_choices']}"
        return None
    if kind == "address":
        return _address_error(field, value)
    if kind in {"budget", "group"}:
        return _rows_error(field, value)
    return _scalar_error(field, value)


def _empty_message(kind: str | None) -> str:
    return {"attestation": "Tick this box to confirm", "checkbox": "Tick this box to confirm",
            "select": "Choose an option", "multi_select": "Choose at least one option", "yes_no": "Choose yes or no",
            "address": "Enter the address", "budget": "Add the budget lines", "group": "Add at least one row",
            }.get(kind or "", "Answer this question")


class _FileRow(Protocol):
    """An uploaded file as submission_errors reads it: the field it answers (portal/applications/records.py,
    `ApplicationFileRecord`)."""

    @property
    def field_key(self) -> str: ...


def submission_errors(schema: Schema, answers: dict[str, Any],
                      files: Sequence[_FileRow | Mapping[str, Any]]) -> dict[str, str]:
    """Every reason the answers cannot be submitted yet, at once: required fields left empty (a required
    box unticked, a required file missing), values outside the field's limits, incomplete rows or
    addresses, too many files. Fields whose `show_if` condition is false are not checked."""
    errors: dict[str, str] = {}
    if not isinstance(answers, dict):
        answers = {}
    for field in iter_fields(schema):
        key, kind = field["key"], field.get("type")
        if kind == "instructions" or not is_shown(schema, field, answers):
            continue
        if kind == "file":
            count = sum(1 for f in files if (f.get("field_key") if isinstance(f, Mapping) else f.field_key) == key)
            if field.get("required") and count == 0:
                errors[key] = "Upload a file"
            elif count > 1 and not field.get("multiple"):
                errors[key] = "Upload only one file here: remove the others"
            continue
        value = answers.get(key)
        empty = value is None if kind == "yes_no" else _is_empty(value)
        if empty and not (kind in {"budget", "group"} and min_rows(field)):
            if field.get("required"):
                errors[key] = _empty_message(kind)
            continue
        message = _answer_error(field, value)
        if message:
            errors[key] = message
    return errors


# --- derived values ----------------------------------------------------------------------------------------

class Amounts(TypedDict):
    amount: int  # cents
    cost_share: int  # cents


class BudgetTotals(Amounts):
    by_category: dict[str, Amounts]


def budget_totals(rows: object) -> BudgetTotals:
    """Totals of a budget table's lines (rows with a malformed amount count as 0):
    {"by_category": {category: {"amount": cents, "cost_share": cents}}, "amount": cents, "cost_share": cents}."""
    totals: BudgetTotals = {"by_category": {}, "amount": 0, "cost_share": 0}
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, dict):
            continue
        amount, share = row.get("amount"), row.get("cost_share")
        amount = amount if _is_int(amount) else 0
        share = share if _is_int(share) else 0
        bucket = totals["by_category"].setdefault(str(row.get("category") or ""), {"amount": 0, "cost_share": 0})
        bucket["amount"] += amount
        bucket["cost_share"] += share
        totals["amount"] += amount
        totals["cost_share"] += share
    return totals


def requested_cents(schema: Schema, answers: dict[str, Any]) -> int:
    """The amount requested: the total of the budget table marked `requested_amount`, or the value of the
    currency field so marked (0 if none, or if that field does not apply)."""
    for field in iter_fields(schema):
        if not field.get("requested_amount") or not is_shown(schema, field, answers):
            continue
        value = answers.get(field["key"]) if isinstance(answers, dict) else None
        if field.get("type") == "budget":
            return budget_totals(value)["amount"]
        if field.get("type") == "currency":
            return value if _is_int(value) else 0
    return 0


def typed_entries(schema: Schema, form_data: dict[str, Any]) -> dict[str, str]:
    """What a post typed, as "label (part)" -> text, for showing someone their own entries after a save that was
    refused (an edit conflict): every answer field's inputs, compound ones included, in form order."""
    entries: dict[str, str] = {}
    if not isinstance(form_data, dict):
        return entries
    for field in answer_fields(schema):
        key, label = field["key"], str(field.get("label", field["key"]))
        for name, value in form_data.items():
            if not isinstance(name, str) or (name != key and not name.startswith(key + ".")):
                continue
            text = ", ".join(v.strip() for v in _all(value) if v.strip())[:100_000]
            if text:
                part = name[len(key) + 1:]
                row = ROW_NAME_RE.fullmatch(part)
                if row:
                    part = f"row {int(row.group(1)) + 1}, {row.group(2)}"
                part = part.replace("_", " ")
                entries[f"{label} ({part})" if part else label] = text
    return entries


def display_title(schema: Schema, answers: dict[str, Any], default: str = "") -> str:
    """A title for lists: the first short text answer (the project's title in every demo form)."""
    for field in iter_fields(schema):
        if field.get("type") == "short_text" and not field.get("identifying"):
            value = answers.get(field["key"])
            if isinstance(value, str) and value.strip():
                return value.strip()[:200]
    return default
