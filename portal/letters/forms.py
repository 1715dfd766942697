"""Letter forms: a template (subject and body checked by the sandboxed renderer, in a child process with a time
and memory limit: rendering.render_bounded) and a round's kinds."""

from __future__ import annotations

from typing import Any

from portal.core.errors import Invalid
from markupsafe import Markup

from portal.letters.rendering import KINDS, MAX_BODY, MAX_SUBJECT, LetterTemplateError, check_syntax, render_bounded
from portal.web.forms import values


def _raw(data: dict[str, Any], key: str) -> str:
    value = data.get(key, "")
    if isinstance(value, list):
        value = value[-1] if value else ""
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else ""


def template_input(data: dict[str, Any]) -> tuple[str, str]:
    """(subject, body); Invalid with every problem: missing, too long, syntax errors, unknown merge fields,
    refused tags. Does not render them: checked_template does."""
    errors: dict[str, str] = {}
    subject, body = _raw(data, "subject"), _raw(data, "body")
    for key, value, limit, label in (("subject", subject, MAX_SUBJECT, "subject"), ("body", body, MAX_BODY, "letter")):
        if not value:
            errors[key] = f"Enter the {label}."
        elif len(value) > limit:
            errors[key] = f"The {label} is too long: at most {limit:,} characters."
        else:
            try:
                check_syntax(value)
            except LetterTemplateError as exc:
                errors[key] = str(exc)
    if errors:
        raise Invalid(errors)
    return subject, body


async def checked_template(data: dict[str, Any], fields: dict[str, str]) -> tuple[str, str, dict[str, Markup]]:
    """(subject, body, both rendered with `fields`), each rendered in a child process with a time and memory
    limit; Invalid with every problem, those of rendering included (too slow, too big, refused operations)."""
    subject, body = template_input(data)
    rendered = await render_bounded({"subject": subject, "body": body}, fields)
    errors = {key: str(value) for key, value in rendered.items() if isinstance(value, LetterTemplateError)}
    if errors:
        raise Invalid(errors)
    return subject, body, {key: value for key, value in rendered.items() if isinstance(value, Markup)}


def kinds_input(data: dict[str, Any]) -> list[str]:
    chosen = set(values(data, "kinds"))
    kinds = [k for k in KINDS if k in chosen]
    if not kinds:
        raise Invalid({"kinds": "Choose which letters to make."})
    return kinds
