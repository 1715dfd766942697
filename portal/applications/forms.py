"""Reading the application pages' forms: the draft's version token, the answers, the upload."""

from __future__ import annotations

from typing import Any

from litestar.datastructures import UploadFile

from portal.core.errors import Invalid
from portal.programs import formdef
from portal.web.forms import text


def base_version(data: dict[str, Any]) -> int | None:
    """The version the page was loaded at (the hidden `version` field); None if absent or garbled."""
    raw = text(data, "version", 12)
    return int(raw) if raw.isdigit() else None


def draft_input(schema: dict[str, Any], data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """(base version, answers) of a posted draft; Invalid with every malformed value at once. The typed
    values are in `exc.answers` so that the page shown again keeps them."""
    answers, errors = formdef.validate_draft(schema, data)
    version = base_version(data)
    if version is None:
        errors = {"version": "This form is out of date: reload the page."} | errors
    if errors:
        exc = Invalid(errors)
        exc.answers = answers  # type: ignore[attr-defined]
        raise exc
    assert version is not None
    return version, answers


def upload_input(data: dict[str, Any]) -> tuple[str, UploadFile | None]:
    """(field key, the uploaded file or None if none was chosen)."""
    upload = data.get("file")
    if isinstance(upload, list):
        upload = next((u for u in upload if isinstance(u, UploadFile)), None)
    if not isinstance(upload, UploadFile) or not upload.filename:
        upload = None
    return text(data, "field_key", 80), upload


def _top_key(name: str) -> str:
    """`budget.0.amount` and `address.city` belong to the fields `budget` and `address`."""
    return name.split(".", 1)[0]


def fields_to_save(schema: dict[str, Any], data: dict[str, Any]) -> list[str]:
    """The fields a page's Save button saves: those of the posted step (`step`, a section key), or the whole
    form when no step is named. A checkbox left unticked is not posted but is still on the page: it is saved
    as unticked."""
    step = text(data, "step", 80)
    sections = schema.get("sections", [])
    chosen = [s for s in sections if s.get("key") == step] or sections
    return [f["key"] for s in chosen for f in s.get("fields", []) if f.get("type") not in {"file", "instructions"}]


def autosave_input(schema: dict[str, Any], data: dict[str, Any]) -> tuple[int | None, list[str], dict[str, Any],
                                                                          dict[str, str]]:
    """(base version, the fields posted, their parsed values, errors by field) of one autosave: the page
    posts only the field(s) that changed, each under its own name (an unticked checkbox posts "")."""
    known = {f["key"] for f in formdef.iter_fields(schema) if f.get("type") not in {"file", "instructions"}}
    keys = sorted({_top_key(name) for name in data if _top_key(name) in known})
    answers, errors = formdef.validate_draft(schema, data)
    return (base_version(data), keys, {k: v for k, v in answers.items() if k in keys},
            {k: v for k, v in errors.items() if k in keys})


MAX_REASON_CHARS = 2000


def reason_input(data: dict[str, Any], what: str) -> str:
    """The required reason of a withdrawal, reopening or extension; Invalid if blank or too long."""
    value = text(data, "reason", MAX_REASON_CHARS + 1)
    if not value:
        raise Invalid({"reason": f"Give the reason for the {what}."})
    if len(value) > MAX_REASON_CHARS:
        raise Invalid({"reason": f"Keep the reason under {MAX_REASON_CHARS} characters."})
    return value
