"""Changes to applications: start, save a draft, upload and remove files, submit, withdraw, reopen, extend.

Every change is one write transaction with one audit row. Saves are optimistic and field by field: the page
posts the version each field was based on, and a field someone else changed after that version is never
overwritten silently (save_fields reports it as a conflict; the editor chooses). Submission is decided by the
server clock and gives one receipt.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
from piccolo.engine.postgres import PostgresEngine

from portal.applications import blind, queries
from portal.applications.access import load_application
from portal.applications.records import (
    Answers,
    ApplicationFileRecord,
    ApplicationForUser,
    ApplicationRecord,
    ApplicationWithCity,
    Presence,
)
from portal.applications.rules import STATUS_LABELS, check_transition, effective_deadline, may_submit_at
from portal.applications.signing import Attestation, attestation_errors
from portal.applications.tables import Application, ApplicationFile, ApplicationPresence, PendingSave
from portal.applications.team.services import record_signature
from portal.core import audit, clock, storage
from portal.core.actor import Actor
from portal.core.errors import Conflict, Invalid, NotFound
from portal.core.mail import queue_email
from portal.core.templating import local_time
from portal.core.security import new_token, token_hash
from portal.db import Duplicate, current_engine, write_transaction
from portal.programs import formdef
from portal.programs.formdef import Schema
from portal.programs import queries as programs
from portal.programs.rules import is_accepting

FILES_AREA = "applications"
MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # read no more than this of one upload; each field has its own limit


class AlreadySubmitted(Conflict):
    """A second submission of the same application (a double click, two tabs): the first one stands."""

    def __init__(self, receipt: str) -> None:
        super().__init__(f"This application was already submitted (receipt {receipt}).")
        self.receipt = receipt


class FieldsConflict(Conflict):
    """Fields posted with a submission had been changed by someone else meanwhile; `result` says which."""

    def __init__(self, result: "FieldsSaved") -> None:
        super().__init__("Someone else changed some answers after you opened this page, so nothing was submitted.")
        self.result = result


DraftEdit = tuple[int, Answers, list[str], dict[str, int]]
"""The answers on the page sent with a submission: (base version, parsed answers, the fields on the page, the
base version of each field its autosave saved: forms.field_bases)."""


class DeadlinePassed(Conflict):
    title = "The deadline has passed"


async def _lock(application_id: int) -> None:
    """On PostgreSQL, hold the row until the transaction ends (SQLite's IMMEDIATE transaction already
    serialises writers): two saves or submissions of one application queue up."""
    if isinstance(current_engine(), PostgresEngine):
        await Application.raw("SELECT id FROM application WHERE id = {} FOR UPDATE", application_id)


async def lock_application(application_id: int) -> ApplicationWithCity:
    """The application, locked for the rest of the write transaction (NotFound if there is none)."""
    await _lock(application_id)
    application = await load_application(application_id)
    if application is None:
        raise NotFound()
    return application


def _not_editable(application: ApplicationRecord) -> Conflict:
    status = STATUS_LABELS.get(application.status, application.status).lower()
    return Conflict(f"This application is {status}, so it can no longer be changed.")


def canonical_json(answers: Answers) -> bytes:
    """The answers as one exact byte string: sorted keys, no spaces, UTF-8."""
    return json.dumps(answers, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def receipt_number(program_slug: str, year: int, application_id: int, submission: int = 1) -> str:
    """e.g. "HB-2026-000123": the program's initials, the year, the application id (hence unique); a second
    submission after staff reopened the application gets "HB-2026-000123-2", and so on."""
    initials = "".join(part[0] for part in re.split(r"[-_]+", program_slug) if part)[:4].upper() or "APP"
    return f"{initials}-{year}-{application_id:06d}" + (f"-{submission}" if submission > 1 else "")


async def start_application(actor: Actor, program_id: int, organisation_id: int,
                            prefill: Answers | None = None, eligibility: Mapping[str, object] | None = None) -> int:
    """Start the city's application to the program on its current application form, or return the one
    it already has (one per program and city, left as it is). Returns the application id.

    `prefill`: answers to start with (parsed as the form parses them: see programs/eligibility.prefill);
    `eligibility`: the eligibility answers given, kept in the audit row.
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
    answers = dict(prefill or {})
    try:
        async with write_transaction():
            rows = await Application.insert(Application(
                program=program_id, organisation=organisation_id, form_version=form.id, status="draft",
                title=formdef.display_title(form.schema, answers), answers=answers, version=1,
                requested_cents=formdef.requested_cents(form.schema, answers), created_by=actor.user_id,
                created_at=now, updated_at=now,
            )).returning(Application.id)
            application_id: int = rows[0]["id"]
            await audit.record(actor, "application.started", "application", application_id, program_id=program_id,
                               organisation_id=organisation_id, form_version_id=form.id,
                               eligibility=eligibility or {}, prefilled=sorted(answers))
    except Duplicate:  # a colleague (or a second click) started it a moment ago
        again = await queries.find_application_id(program_id, organisation_id)
        if again is None:
            raise
        return again
    return application_id


async def submit_application(actor: Actor, application_id: int, public_url: str = "",
                             edit: DraftEdit | None = None,
                             attestation: Attestation | None = None,
                             received_at: datetime | None = None) -> ApplicationWithCity:
    """Submit a draft: checked against its form, before the deadline by the server clock.

    `edit` (base version, parsed answers, the fields on the page, their own base versions: DraftEdit) saves the
    answers on the page first, in the same transaction (see save_fields), so that a failed submission leaves the
    saved draft exactly as it was; fields someone else changed meanwhile stop the submission (FieldsConflict).
    `attestation` (the web form always sends one): the signer's typed name, checked against their account
    name with the form's problems, and kept as an application_signature row (team/services.py, record_signature).
    `received_at`: when the server received the submission (the web layer stamps each request as it arrives);
    it decides the deadline and is the submission time, so that waiting behind other submissions in the last
    seconds never makes an on-time submission late. Defaults to now.
    Side effects: status `submitted`, receipt number, submitted_at/by, the SHA-256 of the canonical JSON
    of the answers, version +1; one audit row `application.submitted`; an email `application_submitted`
    to the submitter with the receipt, time and hash. Nothing changes on failure: Invalid (every problem
    at once), DeadlinePassed, AlreadySubmitted (the first submission stands), FieldsConflict, Conflict (other
    states). Returns the submitted application.
    """
    async with write_transaction():
        application = await lock_application(application_id)
        if application.status == "submitted":
            raise AlreadySubmitted(application.receipt_number or "")
        check_transition(application.status, "submitted")
        program = await programs.get_program(application.program)
        assert program is not None
        now = min(received_at, clock.now()) if received_at else clock.now()
        if not may_submit_at(program, application.extended_deadline_at, now):
            deadline = effective_deadline(program, application.extended_deadline_at)
            raise DeadlinePassed(
                f"The deadline for this application was {local_time(deadline, program.timezone)}, "
                "so it can no longer be submitted. Your draft is kept as it was; "
                f"write to {program.contact_email or 'the program team'} if you think this is wrong.")
        form = await programs.get_form_version(application.form_version)
        assert form is not None
        if edit is not None:
            base_version, answers, keys, bases = edit
            result = await save_fields(actor, application_id, base_version, answers, keys, form.schema, bases=bases)
            if result.conflicts:
                raise FieldsConflict(result)
            application = await lock_application(application_id)
        files = await queries.list_files(application_id)
        errors = formdef.submission_errors(form.schema, application.answers, files)
        if attestation is not None:
            errors |= attestation_errors(attestation, actor.user.name if actor.user else "")
        if errors:
            raise Invalid(errors, "This application cannot be submitted yet: please correct the problems below.")
        submission = application.submission_count + 1
        receipt = receipt_number(program.slug, now.year, application_id, submission)
        digest = hashlib.sha256(canonical_json(application.answers)).hexdigest()
        await Application.update({
            Application.status: "submitted",
            Application.submitted_at: now,
            Application.submitted_by: actor.user_id,
            Application.receipt_number: receipt,
            Application.content_sha256: digest,
            Application.submission_count: submission,
            Application.version: application.version + 1,
            Application.updated_at: now,
        }).where((Application.id == application_id) & (Application.status == "draft"))
        signed = await record_signature(actor, application_id, attestation, receipt) if attestation else None
        await audit.record(actor, "application.submitted", "application", application_id, receipt_number=receipt,
                           content_sha256=digest, files=[f.sha256 for f in files],
                           signature=signed.audit_detail() if signed else None)
        submitted = msgspec.structs.replace(
            application, status="submitted", submitted_at=now, submitted_by=actor.user_id, receipt_number=receipt,
            content_sha256=digest, submission_count=submission, version=application.version + 1, updated_at=now)
        if actor.user is not None:
            await queue_email(actor.user.email, "application_submitted", {
                "name": actor.user.name, "application": submitted, "program": program, "files": files,
                "link": f"{public_url}/applications/{application_id}",
            }, program=program.id, application=application_id)
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
    loaded = await load_application(application_id)
    if loaded is None:
        raise NotFound()
    form = await programs.get_form_version(loaded.form_version)
    assert form is not None
    field = next((f for f in formdef.file_fields(form.schema) if f["key"] == field_key), None)
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
    limit = formdef.max_total_bytes(form.schema)
    stored = storage.store(files_dir, FILES_AREA, content, kind)
    replaced: list[ApplicationFileRecord] = []
    try:
        async with write_transaction():
            application = await lock_application(application_id)
            if application.status != "draft":
                raise _not_editable(application)
            files = await queries.list_files(application_id)
            if not field.get("multiple"):
                replaced = [f for f in files if f.field_key == field_key]
            kept = sum(f.size_bytes for f in files if f not in replaced)
            if kept + stored.size_bytes > limit:
                raise Invalid({field_key: total_too_large(kept, stored.size_bytes, limit)})
            if replaced:
                await ApplicationFile.delete().where(ApplicationFile.id.is_in([f.id for f in replaced]))
            rows = await ApplicationFile.insert(ApplicationFile(
                application=application_id, field_key=field_key, stored_name=stored.stored_name,
                original_name=storage.display_name(original_name), content_type=stored.content_type,
                size_bytes=stored.size_bytes, sha256=stored.sha256, uploaded_by=actor.user_id,
                uploaded_at=clock.now(),
            )).returning(ApplicationFile.id)
            file_id: int = rows[0]["id"]
            await audit.record(actor, "application.file_uploaded", "application", application_id, file_id=file_id,
                               field_key=field_key, sha256=stored.sha256, size_bytes=stored.size_bytes,
                               replaced=[f.id for f in replaced])
    except BaseException:
        storage.remove(files_dir, FILES_AREA, stored.stored_name)
        raise
    for old in replaced:
        storage.remove(files_dir, FILES_AREA, old.stored_name)
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
        application = await lock_application(application_id)
        if application.status != "draft":
            raise _not_editable(application)
        file = await queries.get_file(application_id, file_id)
        if file is None:
            raise NotFound()
        await ApplicationFile.delete().where(ApplicationFile.id == file_id)
        await audit.record(actor, "application.file_removed", "application", application_id, file_id=file_id,
                           field_key=file.field_key, sha256=file.sha256)
    storage.remove(files_dir, FILES_AREA, file.stored_name)


def file_path(files_dir: Path, file: ApplicationFileRecord) -> Path | None:
    return storage.path_of(files_dir, FILES_AREA, file.stored_name)


async def blind_download_name(application: ApplicationForUser, file: ApplicationFileRecord) -> str | None:
    """The neutral name a blind reviewer downloads `file` under ("application-12-attachment-1.pdf"), or None
    when it belongs to a field marked identifying (or one the form no longer has): blind reviewers do not
    get those files at all."""
    form = await programs.get_form_version(application.form_version)
    if form is None:
        return None
    shown = blind.neutral_files(application.id, form.schema, await queries.list_files(application.id))
    return next((f.download_name for f in shown if f.id == file.id), None)


# --- Saving field by field (autosave, one step), who else is in the application, saves across sign-in ---

@dataclass
class FieldsSaved:
    """What `save_fields` did: the version now, the fields it changed, and the fields it did not save
    because someone else changed them after the editor's base version (key -> their value now)."""

    version: int
    saved: list[str]
    conflicts: Answers
    answers: Answers
    saved_at: datetime


def _json_dict(value: object) -> dict[str, Any]:
    if isinstance(value, str):
        value = json.loads(value or "{}")
    return value if isinstance(value, dict) else {}


def changed_since(field_versions: dict[str, object], key: str, current_version: int) -> int:
    """The version that last changed `key`. An application saved before versions were kept per field has
    none recorded: then any later version may have changed it (the cautious answer)."""
    if not field_versions:
        return current_version
    recorded = field_versions.get(key, 0)
    return recorded if isinstance(recorded, int) else current_version


async def save_fields(actor: Actor, application_id: int, base_version: int, answers: Answers,
                      keys: Iterable[str], schema: Schema, step: str = "",
                      bases: dict[str, int] | None = None) -> FieldsSaved:
    """Save the fields `keys` of a draft (one field as it is typed, or a whole step) into its saved answers;
    `answers` holds their parsed values (a key of `keys` missing from it is emptied).

    A field is saved unless someone changed it after its base version (`bases[key]` when the page knows it,
    e.g. a field its autosave already saved; else `base_version`, the version the page was loaded at) and the value now differs from the one posted: then it is left as it is and reported in
    `conflicts`, never overwritten silently. The other fields are saved all the same.
    Side effects, when anything changed: answers, title, requested amount, version (+1), the changed fields'
    entries in field_versions, updated_at; one audit row `application.saved` naming the fields. Always: the
    editor's presence (last seen now, on `step`). Raises Conflict if the application is not a draft.
    """
    now = clock.now()
    async with write_transaction():
        application = await lock_application(application_id)
        if application.status != "draft":
            raise _not_editable(application)
        saved_answers = dict(application.answers)
        field_versions = dict(application.field_versions)
        current = application.version
        saved: list[str] = []
        conflicts: Answers = {}
        for key in sorted(set(keys)):
            mine, theirs = answers.get(key), saved_answers.get(key)
            if mine == theirs:
                continue
            base = (bases or {}).get(key, base_version)
            if base != LATEST and changed_since(field_versions, key, current) > base:
                conflicts[key] = theirs
                continue
            if mine is None:
                saved_answers.pop(key, None)
            else:
                saved_answers[key] = mine
            saved.append(key)
        version = current
        if saved:
            version = current + 1
            field_versions = {**field_versions, **dict.fromkeys(saved, version)}
            await Application.update({
                Application.answers: saved_answers,
                Application.field_versions: field_versions,
                Application.title: formdef.display_title(schema, saved_answers),
                Application.requested_cents: formdef.requested_cents(schema, saved_answers),
                Application.version: version,
                Application.updated_at: now,
            }).where(Application.id == application_id)
            await audit.record(actor, "application.saved", "application", application_id, version=version,
                               fields=saved)
        if actor.user_id is not None:
            await _mark_present(application_id, actor.user_id, step, now)
    return FieldsSaved(version=version, saved=saved, conflicts=conflicts, answers=saved_answers, saved_at=now)


LATEST = -1
"""A field's base version meaning "whatever is saved now is my own" (its autosave was still on its way)."""

PRESENCE_WINDOW = timedelta(seconds=75)
"""Someone whose page has not been heard from for this long has left (the page reports every 30 s)."""


async def _mark_present(application_id: int, user_id: int, step: str, now: datetime) -> None:
    # An upsert: the same person's other tab may be recording its presence at the same moment.
    await ApplicationPresence.insert(ApplicationPresence(
        application=application_id, user=user_id, step=step[:80], last_seen=now,
    )).on_conflict(target=(ApplicationPresence.application, ApplicationPresence.user), action="DO UPDATE",
                   values=[ApplicationPresence.step, ApplicationPresence.last_seen])


async def mark_present(user_id: int, application_id: int, step: str = "") -> list[Presence]:
    """Record that `user_id` has the application open (on `step`); returns the others who have it open now
    (name, step, last seen), oldest arrival first. Presence is not audited: it changes nothing."""
    now = clock.now()
    async with write_transaction():
        await _mark_present(application_id, user_id, step, now)
    return await queries.list_present(application_id, now - PRESENCE_WINDOW, exclude_user=user_id)


async def keep_pending_save(user_id: int, application_id: int, form_data: dict[str, object]) -> str:
    """Keep answers that arrived after the editor's session expired; returns the token for the link that
    brings them back after signing in. Side effects: a PendingSave row (form values as posted, text only);
    no audit row (nothing in the application changed)."""
    token = new_token()
    values = {key: value for key, value in form_data.items()
              if isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))}
    await PendingSave.insert(PendingSave(token_hash=token_hash(token), application=application_id, user=user_id,
                                         form_data=values, created_at=clock.now()))
    return token


PENDING_SAVE_DAYS = 14


async def take_pending_save(user_id: int, application_id: int, token: str) -> dict[str, Any] | None:
    """The answers kept by `keep_pending_save` for this person and application (None if unknown, someone
    else's, or older than two weeks). They stay kept until `drop_pending_save`, so reloading loses nothing."""
    if not token or len(token) > 200:
        return None
    row = await PendingSave.select().where(
        (PendingSave.token_hash == token_hash(token)) & (PendingSave.user == user_id)
        & (PendingSave.application == application_id)
        & (PendingSave.created_at > clock.now() - timedelta(days=PENDING_SAVE_DAYS))).first()
    return _json_dict(row["form_data"]) if row else None


async def drop_pending_save(user_id: int, token: str) -> None:
    if token and len(token) <= 200:
        await PendingSave.delete().where((PendingSave.token_hash == token_hash(token)) & (PendingSave.user == user_id))
