"""Changes to applications: start, save a draft, upload and remove files, submit.

Every change is one write transaction with one audit row. Saves are optimistic: the page posts the
version it was based on, and a save based on an older version is refused (StaleEdit) rather than
overwriting someone else's work. Submission is decided by the server clock and gives one receipt.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from pathlib import Path
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from portal.applications import queries
from portal.applications.access import load_application
from portal.applications.rules import STATUS_LABELS, check_transition
from portal.applications.tables import Application, ApplicationFile
from portal.core import audit, clock, storage
from portal.core.actor import Actor
from portal.core.errors import Conflict, Invalid, NotFound
from portal.core.mail import queue_email
from portal.core.templating import local_time
from portal.db import Duplicate, current_engine, write_transaction
from portal.programs import formdef
from portal.programs import queries as programs
from portal.programs.rules import is_accepting

FILES_AREA = "applications"
MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # read no more than this of one upload; each field has its own limit


class StaleEdit(Conflict):
    """The draft changed since the page was loaded; `current` is the saved application now."""

    def __init__(self, current: dict[str, Any]) -> None:
        super().__init__("Someone saved this application after you opened it, so your changes were not saved. "
                         "The form now shows the newest saved answers; your own entries are listed below it. "
                         "Copy what you need and save again.")
        self.current = current


class AlreadySubmitted(Conflict):
    """A second submission of the same application (a double click, two tabs): the first one stands."""

    def __init__(self, receipt: str) -> None:
        super().__init__(f"This application was already submitted (receipt {receipt}).")
        self.receipt = receipt


class DeadlinePassed(Conflict):
    title = "The deadline has passed"


async def _lock(application_id: int) -> None:
    """On PostgreSQL, hold the row until the transaction ends (SQLite's IMMEDIATE transaction already
    serialises writers): two saves or submissions of one application queue up."""
    if isinstance(current_engine(), PostgresEngine):
        await Application.raw("SELECT id FROM application WHERE id = {} FOR UPDATE", application_id)


async def _locked(application_id: int) -> dict[str, Any]:
    await _lock(application_id)
    application = await load_application(application_id)
    if application is None:
        raise NotFound()
    return application


def _not_editable(application: dict[str, Any]) -> Conflict:
    status = STATUS_LABELS.get(application["status"], application["status"]).lower()
    return Conflict(f"This application is {status}, so it can no longer be changed.")


def canonical_json(answers: dict[str, Any]) -> bytes:
    """The answers as one exact byte string: sorted keys, no spaces, UTF-8."""
    return json.dumps(answers, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def receipt_number(program_slug: str, year: int, application_id: int) -> str:
    """e.g. "HB-2026-000123": the program's initials, the year, the application id (hence unique)."""
    initials = "".join(part[0] for part in re.split(r"[-_]+", program_slug) if part)[:4].upper() or "APP"
    return f"{initials}-{year}-{application_id:06d}"


async def start_application(actor: Actor, program_id: int, organisation_id: int) -> int:
    """Start the city's application to the program on its current application form, or return the one
    it already has (one per program and city). Returns the application id.

    Side effects (only when new): an Application row (draft, version 1); one audit row
    `application.started`. Raises Conflict if the program is not accepting applications or has no form.
    """
    existing = await queries.find_application_id(program_id, organisation_id)
    if existing is not None:
        return existing
    program = await programs.get_program(program_id)
    if program is None:
        raise NotFound()
    if not is_accepting(program):
        raise DeadlinePassed("This program is not accepting applications.")
    form = await programs.current_form(program_id, "application")
    if form is None:
        raise Conflict("This program's application form is not ready yet.")
    now = clock.now()
    try:
        async with write_transaction():
            rows = await Application.insert(Application(
                program=program_id, organisation=organisation_id, form_version=form["id"], status="draft",
                title="", answers={}, version=1, requested_cents=0, created_by=actor.user_id,
                created_at=now, updated_at=now,
            )).returning(Application.id)
            application_id = rows[0]["id"]
            await audit.record(actor, "application.started", "application", application_id, program_id=program_id,
                               organisation_id=organisation_id, form_version_id=form["id"])
    except Duplicate:  # a colleague (or a second click) started it a moment ago
        again = await queries.find_application_id(program_id, organisation_id)
        if again is None:
            raise
        return again
    return application_id


async def save_draft(actor: Actor, application_id: int, base_version: int, answers: dict[str, Any],
                     schema: dict[str, Any]) -> int:
    """Save the answers of a draft (already parsed by formdef.validate_draft); returns the new version.

    Side effects: the application's answers, title, requested amount, version (+1) and updated_at; one
    audit row `application.saved`. Raises StaleEdit if `base_version` is not the saved version, and
    Conflict if the application is no longer a draft.
    """
    async with write_transaction():
        application = await _locked(application_id)
        if application["status"] != "draft":
            raise _not_editable(application)
        if application["version"] != base_version:
            raise StaleEdit(application)
        new_version = application["version"] + 1
        await Application.update({
            Application.answers: answers,
            Application.title: formdef.display_title(schema, answers),
            Application.requested_cents: formdef.requested_cents(schema, answers),
            Application.version: new_version,
            Application.updated_at: clock.now(),
        }).where((Application.id == application_id) & (Application.version == base_version))
        await audit.record(actor, "application.saved", "application", application_id, version=new_version,
                           fields=sorted(answers))
    return new_version


async def submit_application(actor: Actor, application_id: int, public_url: str = "",
                             edit: tuple[int, dict[str, Any]] | None = None) -> dict[str, Any]:
    """Submit a draft: checked against its form, before the deadline by the server clock.

    `edit` (base version, parsed answers) saves the answers on the page first, in the same transaction
    (see save_draft), so that a failed submission leaves the saved draft exactly as it was.
    Side effects: status `submitted`, receipt number, submitted_at/by, the SHA-256 of the canonical JSON
    of the answers, version +1; one audit row `application.submitted`; an email `application_submitted`
    to the submitter with the receipt, time and hash. Nothing changes on failure: Invalid (every problem
    at once), DeadlinePassed, AlreadySubmitted (the first submission stands), StaleEdit, Conflict (other
    states). Returns the submitted application.
    """
    async with write_transaction():
        application = await _locked(application_id)
        if application["status"] == "submitted":
            raise AlreadySubmitted(application["receipt_number"] or "")
        check_transition(application["status"], "submitted")
        program = await programs.get_program(application["program"])
        assert program is not None
        now = clock.now()
        if not is_accepting(program, now):
            raise DeadlinePassed(
                f"The deadline for {program['title']} was {local_time(program['deadline_at'], program['timezone'])}, "
                "so this application can no longer be submitted. Your draft is kept as it was; "
                f"write to {program['contact_email'] or 'the program team'} if you think this is wrong.")
        form = await programs.get_form_version(application["form_version"])
        assert form is not None
        if edit is not None:
            await save_draft(actor, application_id, edit[0], edit[1], form["schema"])
            application = await _locked(application_id)
        files = await queries.list_files(application_id)
        errors = formdef.submission_errors(form["schema"], application["answers"], files)
        if errors:
            raise Invalid(errors, "This application cannot be submitted yet: please correct the problems below.")
        receipt = receipt_number(program["slug"], now.year, application_id)
        digest = hashlib.sha256(canonical_json(application["answers"])).hexdigest()
        await Application.update({
            Application.status: "submitted",
            Application.submitted_at: now,
            Application.submitted_by: actor.user_id,
            Application.receipt_number: receipt,
            Application.content_sha256: digest,
            Application.version: application["version"] + 1,
            Application.updated_at: now,
        }).where((Application.id == application_id) & (Application.status == "draft"))
        await audit.record(actor, "application.submitted", "application", application_id, receipt_number=receipt,
                           content_sha256=digest, files=[f["sha256"] for f in files])
        submitted = {**application, "status": "submitted", "submitted_at": now, "receipt_number": receipt,
                     "content_sha256": digest, "program": program}
        if actor.user is not None:
            await queue_email(actor.user.email, "application_submitted", {
                "name": actor.user.name, "application": submitted, "program": program, "files": files,
                "link": f"{public_url}/applications/{application_id}",
            })
    return submitted


async def upload_file(actor: Actor, application_id: int, field_key: str, original_name: str, content: bytes,
                      files_dir: Path) -> int:
    """Keep an uploaded file for a file field of a draft; returns the ApplicationFile id.

    The file is checked by its content against the field's types and size (storage.check_upload), and the
    application's files together may not exceed the form's `max_total_bytes` (counted in the transaction,
    so two uploads at once cannot both squeeze under it). The name must be a plain file name whose
    extension fits the type found (storage.name_problem); the name kept is storage.display_name's.
    Side effects: the file under files_dir/applications with a random name; an ApplicationFile row
    (for a single-file field, the earlier file's row is removed and its file deleted after commit); one
    audit row `application.file_uploaded`. Raises Invalid (keyed by the field) for an unknown field, a
    file refused by its content or size, or one over the application's total; Conflict if the application
    is not a draft. Nothing is kept when it raises.
    """
    application = await load_application(application_id)
    if application is None:
        raise NotFound()
    form = await programs.get_form_version(application["form_version"])
    assert form is not None
    field = next((f for f in formdef.file_fields(form["schema"]) if f["key"] == field_key), None)
    if field is None:
        raise Invalid({"file": "Choose which question this file answers."})
    try:
        kind = await asyncio.to_thread(storage.check_upload, content, formdef.accepted_types(field),
                                       formdef.max_bytes(field))
    except storage.Rejected as exc:
        raise Invalid({field_key: str(exc)}) from exc
    refused_name = storage.name_problem(original_name, kind)
    if refused_name:
        raise Invalid({field_key: refused_name})
    limit = formdef.max_total_bytes(form["schema"])
    stored = storage.store(files_dir, FILES_AREA, content, kind)
    replaced: list[dict[str, Any]] = []
    try:
        async with write_transaction():
            application = await _locked(application_id)
            if application["status"] != "draft":
                raise _not_editable(application)
            files = await queries.list_files(application_id)
            if not field.get("multiple"):
                replaced = [f for f in files if f["field_key"] == field_key]
            kept = sum(f["size_bytes"] for f in files if f not in replaced)
            if kept + stored.size_bytes > limit:
                raise Invalid({field_key: total_too_large(kept, stored.size_bytes, limit)})
            if replaced:
                await ApplicationFile.delete().where(ApplicationFile.id.is_in([f["id"] for f in replaced]))
            rows = await ApplicationFile.insert(ApplicationFile(
                application=application_id, field_key=field_key, stored_name=stored.stored_name,
                original_name=storage.display_name(original_name), content_type=stored.content_type,
                size_bytes=stored.size_bytes, sha256=stored.sha256, uploaded_by=actor.user_id,
                uploaded_at=clock.now(),
            )).returning(ApplicationFile.id)
            file_id = rows[0]["id"]
            await audit.record(actor, "application.file_uploaded", "application", application_id, file_id=file_id,
                               field_key=field_key, sha256=stored.sha256, size_bytes=stored.size_bytes,
                               replaced=[f["id"] for f in replaced])
    except BaseException:
        storage.remove(files_dir, FILES_AREA, stored.stored_name)
        raise
    for old in replaced:
        storage.remove(files_dir, FILES_AREA, old["stored_name"])
    return file_id


def total_too_large(kept: int, size: int, limit: int) -> str:
    """The message for an upload that would take the application's files over their total limit."""
    return (f"This file ({storage.size_text(size)}) would bring this application's files to "
            f"{storage.size_text(kept + size)}, over the {storage.size_text(limit)} allowed in total "
            f"({storage.size_text(kept)} already uploaded). Remove a file you no longer need, or make this one "
            "smaller, and upload it again.")


async def remove_file(actor: Actor, application_id: int, file_id: int, files_dir: Path) -> None:
    """Remove a file from a draft. Side effects: the ApplicationFile row and, after commit, the stored
    file; one audit row `application.file_removed`. Raises Conflict unless the application is a draft."""
    async with write_transaction():
        application = await _locked(application_id)
        if application["status"] != "draft":
            raise _not_editable(application)
        file = await queries.get_file(application_id, file_id)
        if file is None:
            raise NotFound()
        await ApplicationFile.delete().where(ApplicationFile.id == file_id)
        await audit.record(actor, "application.file_removed", "application", application_id, file_id=file_id,
                           field_key=file["field_key"], sha256=file["sha256"])
    storage.remove(files_dir, FILES_AREA, file["stored_name"])


def file_path(files_dir: Path, file: dict[str, Any]) -> Path | None:
    return storage.path_of(files_dir, FILES_AREA, file["stored_name"])


async def may_download(application: dict[str, Any], file: dict[str, Any]) -> bool:
    """Reviewers (who may only view) do not get files of fields marked identifying (blind review)."""
    if {"edit", "staff"} & set(application["rights"]):
        return True
    form = await programs.get_form_version(application["form_version"])
    field = formdef.fields_by_key(form["schema"]).get(file["field_key"]) if form else None
    return field is not None and not field.get("identifying")
