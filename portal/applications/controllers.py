"""Applying: start or resume, the draft form, files, submission, and my cities' applications."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.exceptions import NotAuthorizedException
from litestar.params import FromPath
from litestar.response import File

from portal.accounts.rules import applicant_city_ids
from portal.applications import blind as blinding, dashboard, forms, lifecycle, queries, rules, services, signing
from portal.applications.team import forms as team_forms
from portal.applications.access import get_application_for, load_application
from portal.applications.records import ApplicationForUser
from portal.core import clock
from portal.core.errors import Forbidden, Invalid, NotFound
from portal.programs import eligibility, formdef
from portal.programs import queries as programs
from portal.programs.records import ProgramRecord
from portal.programs.rules import countdown
from portal.web.auth import actor, current_user, optional_user as current_user_or_none
from portal.web.forms import read_form, text, values
from portal.web.sessions import state_of
from portal.web.render import fragment, redirect, render

MESSAGES = {"saved": "Your draft is saved.", "uploaded": "The file is uploaded.", "removed": "The file is removed.",
            "submitted": "Your application is submitted. A confirmation email is on its way.",
            "joined": "You joined the team of this application.",
            "withdrawn": "Your application is withdrawn. Your team gets an email confirming it."}


def deadline_context(program: ProgramRecord, application: ApplicationForUser) -> dict[str, Any]:
    """The deadline as the application page shows it: the extension, or the program's published deadline
    (its countdown), and whether the server would take a submission now (grace period included)."""
    now = clock.now()
    extended = application.extended_deadline_at
    shown = clock.as_utc(extended or program.deadline_at)
    effective = rules.effective_deadline(program, extended)
    accepting = rules.may_submit_at(program, extended, now)
    return {"deadline": shown, "effective_deadline": effective, "countdown": countdown(shown, now),
            "accepting": accepting, "in_grace": accepting and extended is None and now >= shown}


async def page_context(request: Request[Any, Any, Any], application: ApplicationForUser,
                       **overrides: Any) -> dict[str, Any]:
    """Everything the application page shows; `overrides` replace answers, errors, version or add a notice."""
    program = application.program
    form = await programs.get_form_version(application.form_version)
    assert form is not None
    rights = application.rights
    editing = application.status == "draft" and "edit" in rights
    deadlines = deadline_context(program, application)
    blind = application.blind
    stored = await queries.list_files(application.id)
    # neutral names for a blind reader, no files of identifying fields (portal/applications/blind.py)
    files = blinding.neutral_files(application.id, form.schema, stored) if blind else stored
    return {
        "application": application, "program": program, "schema": form.schema,
        "labels": formdef.labels(form.schema), "files": files,
        "editing": editing, "can_submit": editing and "submit" in rights,
        "blind": blind, "answers": application.answers, "errors": {},
        "version": application.version, "conflict": None, "mine": None, "pending": "",
        "notice": MESSAGES.get(request.query_params.get("done", ""), ""),
        "step": request.query_params.get("step", ""),
        "next_step": rules.next_step(application.status, deadlines["accepting"]),
        "can_withdraw": rules.can_withdraw(application.status, rights),
        "can_start_again": await can_start_again(request, application, deadlines["accepting"]),
        "withdraw_errors": {}, "withdraw_reason": "",
        "attestation": "" if blind else signing.attestation_text(application.organisation_name),
        "signature_values": {},
    } | deadlines | overrides


async def can_start_again(request: Request[Any, Any, Any], application: ApplicationForUser, accepting: bool) -> bool:
    """A withdrawn application's page offers a new one to the program while it takes applications, to whoever
    may apply for the city, unless the city has started again already."""
    if application.status != "withdrawn" or not accepting:
        return False
    if application.organisation not in applicant_city_ids(current_user(request)):
        return False
    return await queries.find_application_id(application.program_id, application.organisation) is None


@post("/programs/{slug:str}/apply", name="applications:start")
async def start(request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[str]:
    user = current_user(request)
    data = await read_form(request)
    program = await programs.get_program_by_slug(slug)
    if program is None or program.status == "draft":
        raise NotFound()
    cities = await queries.list_cities(applicant_city_ids(user))
    if not cities:
        return render(request, "applications/no_city.html", {"program": program}, status_code=403)
    chosen = [c for c in cities if str(c.id) == text(data, "organisation", 20)] or cities[:1]
    if len(cities) > 1 and not text(data, "organisation", 20):
        return render(request, "applications/choose_city.html", {"program": program, "cities": cities})
    if (await queries.find_application_id(program.id, chosen[0].id) is None
            and eligibility.has_questions(await programs.get_eligibility(program.id))):
        return redirect(request, f"/programs/{slug}/eligibility")  # eligibility first: no draft without it
    application_id = await services.start_application(actor(request), program.id, chosen[0].id)
    return redirect(request, f"/applications/{application_id}")


@get("/applications", name="applications:list")
async def application_list(request: Request[Any, Any, Any]) -> Response[str]:
    user = current_user(request)
    rows = await dashboard.applicant_rows(user)
    return render(request, "applications/list.html", {"applications": rows, "has_city": bool(user.city_ids)})


@get("/applications/{application_id:int}", name="applications:detail")
async def detail(request: Request[Any, Any, Any], application_id: FromPath[int]) -> Response[str]:
    user = current_user(request)
    application = await get_application_for(user, application_id, "view")
    ctx = await page_context(request, application)
    token = request.query_params.get("pending", "")
    if token and ctx["editing"]:
        pending = await services.take_pending_save(user.id, application_id, token)
        if pending is not None:
            ctx |= pending_context(ctx, pending, token)
    return render(request, "applications/detail.html", ctx)


def pending_context(ctx: dict[str, Any], pending: dict[str, Any], token: str) -> dict[str, Any]:
    """The form with what was typed before the session expired filled in, not yet saved; saving it goes
    through the usual checks against changes made meanwhile (it keeps the version it was typed on)."""
    answers, errors = formdef.validate_draft(ctx["schema"], pending)
    merged = dict(ctx["answers"])
    for key in forms.fields_to_save(ctx["schema"], pending):
        if key in answers:
            merged[key] = answers[key]
        else:
            merged.pop(key, None)
    return {"answers": merged, "errors": errors, "pending": token,
            "version": forms.base_version(pending) or ctx["version"],
            "notice": "Your session had expired when you last saved, so these changes are not saved yet. "
                      "They are filled in below: check them and press Save."}


@post("/applications/{application_id:int}", name="applications:save")
async def save(request: Request[Any, Any, Any], application_id: FromPath[int]) -> Response[str]:
    """The Save button: the fields of the step on the page (the whole form without steps)."""
    data = await read_form(request)
    if current_user_or_none(request) is None:
        return await keep_for_after_sign_in(request, application_id, data)
    application = await get_application_for(current_user(request), application_id, "edit")
    ctx = await page_context(request, application)
    keys = forms.fields_to_save(ctx["schema"], data)
    try:
        version, answers = forms.draft_input(ctx["schema"], data, ctx["answers"])
    except Invalid as exc:
        return render(request, "applications/detail.html", ctx | {"answers": getattr(exc, "answers", {}),
                      "errors": exc.errors, "step": text(data, "step", 80)}, block="form", status_code=422)
    result = await services.save_fields(actor(request), application_id, version, answers, keys, ctx["schema"],
                                        step=text(data, "step", 80), bases=forms.field_bases(data))
    await services.drop_pending_save(current_user(request).id, text(data, "pending", 200))
    if result.conflicts:
        return render(request, "applications/detail.html", fields_conflict_context(ctx, result, data), block="form",
                      status_code=409)
    return redirect(request, f"/applications/{application_id}?done=saved{forms.step_query(ctx['schema'], data)}")


async def keep_for_after_sign_in(request: Request[Any, Any, Any], application_id: int,
                                 data: dict[str, Any]) -> Response[str]:
    """A save that arrived after the editor's session expired: what they typed is kept (for the same person,
    recognised by the expired session's CSRF token) and comes back in the form once they have signed in."""
    expired = state_of(request).expired
    if expired is None or expired.user_id is None or await load_application(application_id) is None:
        raise NotAuthorizedException()
    token = await services.keep_pending_save(expired.user_id, application_id, data)
    step = text(data, "step", 80)
    back = f"/applications/{application_id}?pending={token}" + (f"&step={quote(step)}" if step else "")
    return Response(content="", status_code=303, headers={"Location": "/login?expired=1&next=" + quote(back)})


def fields_conflict_context(ctx: dict[str, Any], result: services.FieldsSaved, data: dict[str, Any]) -> dict[str, Any]:
    """The page after a save in which some fields had been changed by someone else meanwhile: the form shows
    what is saved now (theirs for those fields, the rest saved as typed), the user's own entries beside."""
    crossed = {name: value for name, value in data.items()
               if isinstance(name, str) and name.split(".", 1)[0] in result.conflicts}
    mine = formdef.typed_entries(ctx["schema"], crossed)
    return ctx | {"answers": result.answers, "version": result.version, "mine": mine, "step": text(data, "step", 80),
                  "conflict": "Someone else changed the fields listed below after you opened this page, so your "
                              "entries for them were not saved (everything else was). The form shows their newer "
                              "answers; your own entries are listed under the form. Copy what you need and save again."}


@post("/applications/{application_id:int}/autosave", name="applications:autosave")
async def autosave(request: Request[Any, Any, Any], application_id: FromPath[int]) -> Response[str]:
    """One field (or a few) saved as it is typed, by static/js/autosave.js. Answers with a fragment for the page:
    200 saved (headers X-Version, X-Saved-At), 422 not a valid value, 409 someone else changed it, 401 signed out."""
    data = await read_form(request)
    user = current_user_or_none(request)
    if user is None:
        return autosave_fragment(request, {"outcome": "signed_out", "application_id": application_id}, 401)
    application = await get_application_for(user, application_id, "edit")
    form = await programs.get_form_version(application.form_version)
    assert form is not None
    schema = form.schema
    version, keys, answers, errors = forms.autosave_input(schema, data)
    ctx = {"application_id": application_id, "labels": formdef.labels(schema),
           "timezone": application.program.timezone}
    if version is None or not keys or errors:
        problems = errors or {"version": "This page is out of date: reload it." if version is None else
                              "Nothing to save: no field of this form was sent."}
        return autosave_fragment(request, ctx | {"outcome": "invalid", "errors": problems}, 422)
    result = await services.save_fields(actor(request), application_id, version, answers, keys, schema,
                                        step=text(data, "step", 80))
    headers = {"X-Version": str(result.version), "X-Saved-At": result.saved_at.isoformat()}
    if result.conflicts:
        return autosave_fragment(request, ctx | {"outcome": "conflict", "conflicts": result.conflicts,
                                                 "version": result.version}, 409, headers)
    return autosave_fragment(request, ctx | {"outcome": "saved", "saved_at": result.saved_at}, 200, headers)


def autosave_fragment(request: Request[Any, Any, Any], ctx: dict[str, Any], status: int,
                      headers: dict[str, str] | None = None) -> Response[str]:
    return fragment(request, "applications/_autosave.html", "autosave", ctx, status_code=status, headers=headers)


@post("/applications/{application_id:int}/presence", name="applications:presence")
async def presence(request: Request[Any, Any, Any], application_id: FromPath[int]) -> Response[str]:
    """The open page says it is still open (every 30 s); answers with who else has the application open.
    Signed out meanwhile: 204, nothing changes on the page (the autosave script deals with signing in)."""
    data = await read_form(request)
    user = current_user_or_none(request)
    if user is None:
        return Response(content="", status_code=204)
    application = await get_application_for(user, application_id, "view")
    if "team" not in application.rights:  # reviewers: neither shown to the team nor shown the team's names
        return fragment(request, "applications/_autosave.html", "presence",
                        {"others": [], "application_id": application_id})
    others = await services.mark_present(user.id, application_id, text(data, "step", 80))
    return fragment(request, "applications/_autosave.html", "presence",
                    {"others": others, "application_id": application_id})


def received_at(request: Request[Any, Any, Any]) -> datetime | None:
    """When the request reached the server (the session middleware stamps each one as it arrives)."""
    received = request.scope.get("received_at")
    return received if isinstance(received, datetime) else None


@post("/applications/{application_id:int}/submit", name="applications:submit")
async def submit(request: Request[Any, Any, Any], application_id: FromPath[int]) -> Response[str]:
    data = await read_form(request)
    application = await get_application_for(current_user(request), application_id, "submit")
    ctx = await page_context(request, application)
    edit: services.DraftEdit | None = None
    attestation = team_forms.attestation_input(data, application.organisation_name)
    ctx["signature_values"] = {"name": attestation.typed_name, "attested": attestation.attested}
    try:
        if "version" in data:
            version, answers = forms.draft_input(ctx["schema"], data, ctx["answers"])
            edit = (version, answers, forms.fields_to_save(ctx["schema"], data), forms.field_bases(data))
        await services.submit_application(actor(request), application_id, request.app.state.settings.public_url, edit,
                                          attestation, received_at=received_at(request))
    except services.AlreadySubmitted:
        return redirect(request, f"/applications/{application_id}")
    except Invalid as exc:
        return render(request, "applications/detail.html", ctx | {
            "answers": getattr(exc, "answers", None) or (edit[1] if edit else ctx["answers"]), "errors": exc.errors,
            "submit_failed": exc.message, "step": "review"}, block="form", status_code=422)
    except services.FieldsConflict as exc:
        return render(request, "applications/detail.html", fields_conflict_context(ctx, exc.result, data),
                      block="form", status_code=409)
    except services.DeadlinePassed as exc:
        return render(request, "applications/detail.html", ctx | {
            "answers": edit[1] if edit else ctx["answers"], "deadline_message": exc.message}, block="form",
            status_code=409)
    return redirect(request, f"/applications/{application_id}?done=submitted")


@post("/applications/{application_id:int}/withdraw", name="applications:withdraw")
async def withdraw(request: Request[Any, Any, Any], application_id: FromPath[int]) -> Response[str]:
    data = await read_form(request)
    application = await get_application_for(current_user(request), application_id, "edit")
    rights = application.rights
    if application.status in rules.WITHDRAW_RIGHTS and not rules.can_withdraw(application.status, rights):
        raise Forbidden(rules.WITHDRAW_FORBIDDEN)
    try:
        reason = forms.reason_input(data, "withdrawal")
    except Invalid as exc:
        ctx = await page_context(request, application, withdraw_errors={"withdraw-reason": exc.errors["reason"]},
                                 withdraw_reason=text(data, "reason", forms.MAX_REASON_CHARS))
        return render(request, "applications/detail.html", ctx, status_code=422)
    await lifecycle.withdraw_application(actor(request), application_id, reason, request.app.state.settings.public_url,
                                         rights=rights)
    return redirect(request, f"/applications/{application_id}?done=withdrawn")


@post("/applications/{application_id:int}/files", name="applications:upload")
async def upload(request: Request[Any, Any, Any], application_id: FromPath[int]) -> Response[str]:
    data = await read_form(request)
    application = await get_application_for(current_user(request), application_id, "edit")
    field_key, upload_file = forms.upload_input(data)
    try:
        if upload_file is None:
            raise Invalid({field_key or "file": "Choose a file to upload."})
        content = await upload_file.read(services.MAX_UPLOAD_BYTES + 1)
        await services.upload_file(actor(request), application_id, field_key, upload_file.filename, content,
                                   request.app.state.settings.files_dir)
    except Invalid as exc:
        ctx = await page_context(request, application)
        return render(request, "applications/detail.html", ctx | {"errors": exc.errors, "step": text(data, "step", 80)},
                      status_code=422)
    step = forms.step_query(None, data)
    return redirect(request, f"/applications/{application_id}?done=uploaded{step}#field-{field_key}")


@post("/applications/{application_id:int}/files/{file_id:int}/delete", name="applications:remove_file")
async def remove_file(request: Request[Any, Any, Any], application_id: FromPath[int],
                      file_id: FromPath[int]) -> Response[str]:
    data = await read_form(request)
    await get_application_for(current_user(request), application_id, "edit")
    await services.remove_file(actor(request), application_id, file_id, request.app.state.settings.files_dir)
    return redirect(request, f"/applications/{application_id}?done=removed{forms.step_query(None, data)}")


@get("/applications/{application_id:int}/files/{file_id:int}", name="applications:file")
async def download(request: Request[Any, Any, Any], application_id: FromPath[int], file_id: FromPath[int]) -> File:
    application = await get_application_for(current_user(request), application_id, "view")
    file = await queries.get_file(application.id, file_id)
    if file is None:
        raise NotFound()
    filename = file.original_name
    if application.blind:  # a neutral name; files of identifying fields are not there at all
        neutral = await services.blind_download_name(application, file)
        if neutral is None:
            raise NotFound()
        filename = neutral
    path = services.file_path(request.app.state.settings.files_dir, file)
    if path is None:
        raise NotFound()
    return File(path=path, filename=filename, media_type=file.content_type,
                content_disposition_type="attachment",
                headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"})


ROUTES = [start, application_list, detail, save, autosave, presence, submit, upload, remove_file, download, withdraw]
