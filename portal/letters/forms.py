"""Letter forms: a template (subject and body checked by the sandboxed renderer) and a round's kinds."""

from __future__ import annotations

from typing import Any

from portal.core.errors import Invalid
from portal.letters.rendering import KINDS, MAX_BODY, MAX_SUBJECT, LetterTemplateError, check
from portal.web.forms import values


def _raw(data: dict[str, Any], key: str) -> str:
    value = data.get(key, "")
    if isinstance(value, list):
        value = value[-1] if value else ""
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else ""


def template_input(data: dict[str, Any]) -> tuple[str, str]:
    """(subject, body); Invalid with every problem: missing, too long, syntax errors, unknown merge fields."""
    errors: dict[str, str] = {}
    subject, body = _raw(data, "subject"), _raw(data, "body")
    for key, value, limit, label in (("subject", subject, MAX_SUBJECT, "subject"), ("body", body, MAX_BODY, "letter")):
        if not value:
            errors[key] = f"Enter the {label}."
        elif len(value) > limit:
            errors[key] = f"The {label} is too long: at most {limit:,} characters."
        else:
            try:
                check(value)
            except LetterTemplateError as exc:
                errors[key] = str(exc)
    if errors:
        raise Invalid(errors)
    return subject, body


def kinds_input(data: dict[str, Any]) -> list[str]:
    chosen = set(values(data, "kinds"))
    kinds = [k for k in KINDS if k in chosen]
    if not kinds:
        raise Invalid({"kinds": "Choose which letters to make."})
    return kinds
