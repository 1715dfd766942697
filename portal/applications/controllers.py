"""Applying: start or resume, the draft form, files, submission, and my cities' applications."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import File

from portal.applications import dashboard, forms, queries, rules, services
from portal.applications.access import get_application_for
from portal.core.errors import Invalid, NotFound
from portal.programs import formdef
from portal.programs import queries as programs
from portal.programs.rules import is_accepting
from portal.web.auth import actor, current_user
from portal.web.forms import read_form, text
from portal.web.render import redirect, render

MESSAGES = {"saved": "Your draft is saved.", "uploaded": "The file is uploaded.", "removed": "The file is removed.",
            "submitted": "Your application is submitted. A confirmation email is on its way."}


async def page_context(request: Request, application: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """Everything the application page shows; `overrides` replace answers, errors, version or add a notice."""
    program = application["program"]
    form = await programs.get_form_version(application["form_version"])
    assert form is not None
    rights = application["rights"]
    editing = application["status"] == "draft" and "edit" in rights
    return {
        "application": application, "program": program, "schema": form["schema"],
        "labels": formdef.labels(form["schema"]), "files": await queries.list_files(application["id"]),
        "accepting": is_accepting(program), "editing": editing, "can_submit": editing and "submit" in rights,
        "blind": not ({"edit", "staff"} & set(rights)), "answers": application["answers"], "errors": {},
        "version": application["version"], "conflict": None, "mine": None,
        "notice": MESSAGES.get(request.query_params.get("done", ""), ""),
        "next_step": rules.next_step(application, is_accepting(program)),
    } | overrides


@post("/programs/{slug:str}/apply", name="applications:start")
async def start(request: Request, slug: FromPath[str]) -> Response:
    user = current_user(request)
    data = await read_form(request)
    program = await programs.get_program_by_slug(slug)
    if program is None or program["status"] == "draft":
        raise NotFound()
    cities = await queries.list_cities(rules.applicant_city_ids(user))
    if not cities:
        return render(request, "applications/no_city.html", {"program": program}, status_code=403)
    chosen = [c for c in cities if str(c["id"]) == text(data, "organisation", 20)] or cities[:1]
    if len(cities) > 1 and not text(data, "organisation", 20):
        return render(request, "applications/choose_city.html", {"program": program, "cities": cities})
    application_id = await services.start_application(actor(request), program["id"], chosen[0]["id"])
    return redirect(request, f"/applications/{application_id}")


@get("/applications", name="applications:list")
async def application_list(request: Request) -> Response:
    user = current_user(request)
    rows = await dashboard.applicant_rows(user)
    return render(request, "applications/list.html", {"applications": rows, "has_city": bool(user.city_ids)})


@get("/applications/{application_id:int}", name="applications:detail")
async def detail(request: Request, application_id: FromPath[int]) -> Response:
    application = await get_application_for(current_user(request), application_id, "view")
    return render(request, "applications/detail.html", await page_context(request, application))


@post("/applications/{application_id:int}", name="applications:save")
async def save(request: Request, application_id: FromPath[int]) -> Response:
    data = await read_form(request)
    application = await get_application_for(current_user(request), application_id, "edit")
    ctx = await page_context(request, application)
    try:
        version, answers = forms.draft_input(ctx["schema"], data)
        await services.save_draft(actor(request), application_id, version, answers, ctx["schema"])
    except Invalid as exc:
        return render(request, "applications/detail.html", ctx | {"answers": getattr(exc, "answers", {}),
                                                                  "errors": exc.errors}, block="form", status_code=422)
    except services.StaleEdit as exc:
        return render(request, "applications/detail.html", conflict_context(ctx, exc, data), block="form",
                      status_code=409)
    return redirect(request, f"/applications/{application_id}?done=saved")


def conflict_context(ctx: dict[str, Any], exc: services.StaleEdit, data: dict[str, Any]) -> dict[str, Any]:
    """The page after a stale save: the newest saved answers in the form, the user's own entries beside."""
    mine = {key: text(data, key, 100_000) for key in ctx["labels"] if text(data, key, 100_000)}
    return ctx | {"answers": exc.current["answers"], "version": exc.current["version"], "conflict": exc.message,
                  "mine": mine}


@post("/applications/{application_id:int}/submit", name="applications:submit")
async def submit(request: Request, application_id: FromPath[int]) -> Response:
    data = await read_form(request)
    application = await get_application_for(current_user(request), application_id, "submit")
    ctx = await page_context(request, application)
    edit = None
    try:
        edit = forms.draft_input(ctx["schema"], data) if "version" in data else None
        await services.submit_application(actor(request), application_id, request.app.state.settings.public_url, edit)
    except services.AlreadySubmitted:
        return redirect(request, f"/applications/{application_id}")
    except Invalid as exc:
        return render(request, "applications/detail.html", ctx | {
            "answers": getattr(exc, "answers", None) or (edit[1] if edit else ctx["answers"]), "errors": exc.errors,
            "submit_failed": exc.message}, block="form", status_code=422)
    except services.StaleEdit as exc:
        return render(request, "applications/detail.html", conflict_context(ctx, exc, data), block="form",
                      status_code=409)
    except services.DeadlinePassed as exc:
        return render(request, "applications/detail.html", ctx | {
            "answers": edit[1] if edit else ctx["answers"], "deadline_message": exc.message}, block="form",
            status_code=409)
    return redirect(request, f"/applications/{application_id}?done=submitted")


@post("/applications/{application_id:int}/files", name="applications:upload")
async def upload(request: Request, application_id: FromPath[int]) -> Response:
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
        return render(request, "applications/detail.html", ctx | {"errors": exc.errors}, status_code=422)
    return redirect(request, f"/applications/{application_id}?done=uploaded#field-{field_key}")


@post("/applications/{application_id:int}/files/{file_id:int}/delete", name="applications:remove_file")
async def remove_file(request: Request, application_id: FromPath[int], file_id: FromPath[int]) -> Response:
    await get_application_for(current_user(request), application_id, "edit")
    await services.remove_file(actor(request), application_id, file_id, request.app.state.settings.files_dir)
    return redirect(request, f"/applications/{application_id}?done=removed")


@get("/applications/{application_id:int}/files/{file_id:int}", name="applications:file")
async def download(request: Request, application_id: FromPath[int], file_id: FromPath[int]) -> File:
    application = await get_application_for(current_user(request), application_id, "view")
    file = await queries.get_file(application["id"], file_id)
    if file is None or not await services.may_download(application, file):
        raise NotFound()
    path = services.file_path(request.app.state.settings.files_dir, file)
    if path is None:
        raise NotFound()
    return File(path=path, filename=file["original_name"], media_type=file["content_type"],
                content_disposition_type="attachment",
                headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"})


ROUTES = [start, application_list, detail, save, submit, upload, remove_file, download]
