"""Reading the application pages' forms: the draft's version token, the answers, the upload."""

from __future__ import annotations

import json
from typing import Any

from litestar.datastructures import UploadFile

from portal.applications.records import Answers
from portal.applications.services import LATEST
from portal.core.errors import Invalid
from portal.programs import formdef
from portal.programs.formdef import Schema
from portal.web.forms import text


class InvalidDraft(Invalid):
    """A posted draft with malformed values: `errors` as Invalid's, and the values as typed in `answers`, so
    that the page shown again keeps them."""

    def __init__(self, errors: dict[str, str], answers: Answers) -> None:
        super().__init__(errors)
        self.answers = answers


def base_version(data: dict[str, Any]) -> int | None:
    """The version the page was loaded at (the hidden `version` field); None if absent or garbled."""
    raw = text(data, "version", 12)
    return int(raw) if raw.isdigit() else None


def posted_step(schema: Schema, data: dict[str, Any]) -> str | None:
    """The section (step) the page posted (the hidden `step` field), or None if absent or unknown."""
    step = text(data, "step", 80)
    return step if any(s.get("key") == step for s in formdef.sections(schema)) or step == "review" else None


def step_query(schema: Schema | None, data: dict[str, Any]) -> str:
    """"&step=KEY" for the redirect after a post: the step chosen with a "Save and continue" button (`go`),
    else the step posted; "" when there is none. Keys are checked, so the URL stays clean."""
    for name in ("go", "step"):
        step = text(data, name, 80)
        if formdef.KEY_RE.fullmatch(step) and (schema is None or step == "review"
                                           or any(s.get("key") == step for s in formdef.sections(schema))):
            return f"&step={step}"
    return ""


def draft_input(schema: Schema, data: dict[str, Any],
                current: Answers | None = None) -> tuple[int, Answers]:
    """(base version, answers) of a posted draft; InvalidDraft (an Invalid) with every malformed value at once.
    The typed values are in `exc.answers` so that the page shown again keeps them.

    A page showing one step posts `step`: then only that step's fields (and any other field the post
    names) change, and the other answers in `current` are kept; a box or a multiple choice of the step
    that the browser did not send is saved as empty. Without `step` the post is the whole form."""
    step = posted_step(schema, data)
    keys = None
    if step is not None:
        keys = set(formdef.section_field_keys(schema, step)) | formdef.posted_field_keys(schema, data)
    answers, errors = formdef.validate_draft(schema, data, keys)
    if keys is not None:
        answers = {k: v for k, v in (current or {}).items() if k not in keys} | answers
    version = base_version(data)
    if version is None:
        errors = {"version": "This form is out of date: reload the page."} | errors
    if errors:
        raise InvalidDraft(errors, answers)
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


def fields_to_save(schema: Schema, data: dict[str, Any]) -> list[str]:
    """The fields a page's Save (or Submit) button saves: those of the posted step and any other field the post
    names, or the whole form when no step is posted (see draft_input). A box left unticked is not posted but is
    still on the page: it is saved as unticked."""
    step = posted_step(schema, data)
    if step is None:
        return [f["key"] for f in formdef.answer_fields(schema)]
    return sorted(set(formdef.section_field_keys(schema, step)) | formdef.posted_field_keys(schema, data))


def field_bases(data: dict[str, Any]) -> dict[str, int]:
    """The version each field on the page was last saved at by its autosave (`field_versions`, JSON written by
    static/js/autosave.js as the form is sent); {} without JavaScript or when garbled."""
    raw = text(data, "field_versions", 20_000)
    try:
        parsed = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    if not isinstance(parsed, dict):
        return {}
    bases = {str(k)[:80]: int(v) for k, v in parsed.items() if isinstance(v, (int, str)) and str(v).isdigit()
             and len(str(v)) < 10}
    # "latest": the page's own autosave of that field was still on its way when the form was sent.
    return bases | {str(k)[:80]: LATEST for k, v in parsed.items() if v == "latest"}


def autosave_input(schema: Schema, data: dict[str, Any]) -> tuple[int | None, list[str], dict[str, Any],
                                                                          dict[str, str]]:
    """(base version, the fields posted, their parsed values, errors by field) of one autosave: the page
    posts only the field(s) that changed, each under its own name (an unticked box posts "")."""
    keys = sorted(formdef.posted_field_keys(schema, data))
    if not keys:
        return base_version(data), [], {}, {}
    answers, errors = formdef.validate_draft(schema, data, set(keys))
    return base_version(data), keys, answers, errors


MAX_REASON_CHARS = 2000


def reason_input(data: dict[str, Any], what: str) -> str:
    """The required reason of a withdrawal, reopening or extension; Invalid if blank or too long."""
    value = text(data, "reason", MAX_REASON_CHARS + 1)
    if not value:
        raise Invalid({"reason": f"Give the reason for the {what}."})
    if len(value) > MAX_REASON_CHARS:
        raise Invalid({"reason": f"Keep the reason under {MAX_REASON_CHARS} characters."})
    return value
