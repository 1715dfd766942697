"""Staff pages for letters: a program's templates (edit, preview), round batches with a progress bar, and the
stored letters. Access as the staff program page (Forbidden to non-staff, NotFound to other networks' staff)."""

from __future__ import annotations

import re
from typing import Any

from litestar import Response, get, post
from litestar.params import FromPath

from portal.core.errors import Invalid, NotFound
from portal.letters import forms, queries, services
from portal.letters.records import LetterRecord, LetterTemplateRecord
from portal.letters.rendering import KIND_LABELS, KINDS, MERGE_FIELDS
from portal.programs.access import get_program_for_staff
from portal.programs.records import ProgramRecord
from portal.web.auth import actor, current_user
from portal.web.forms import read_form, text
from portal.web.render import fragment, redirect, render
from portal.web.sessions import PortalRequest

PAGE = "letters/letters.html"


async def _program(request: PortalRequest, program_id: int) -> ProgramRecord:
    return await get_program_for_staff(current_user(request), program_id)


async def _context(program: ProgramRecord, **extra: Any) -> dict[str, Any]:
    batches = await queries.list_batches(program.id)
    ctx = {
        "program": program, "kinds": KINDS, "kind_labels": KIND_LABELS, "merge_fields": MERGE_FIELDS,
        "templates": await queries.templates_for(program.id), "counts": await queries.count_targets(program.id),
        "batch": batches[0] if batches else None, "batches": batches,
        "letters": await queries.list_letters(program.id), "errors": {}, "error_kind": "", "preview": None,
        "preview_kind": "", "batch_errors": {}, "top_errors": {}, "saved": "",
    }
    return ctx | extra


@get("/staff/programs/{program_id:int}/letters", name="letters:page")
async def letters_page(request: PortalRequest, program_id: FromPath[int]) -> Response[str]:
    program = await _program(request, program_id)
    await services.ensure_default_templates(program_id)
    saved = request.query_params.get("saved", "")[:20]
    return render(request, PAGE, await _context(program, saved=saved if saved in KINDS else ""))


def _form_kind(data: dict[str, Any]) -> str:
    kind = text(data, "kind", 20)
    if kind not in KINDS:
        raise Invalid({"kind": "Choose which letter (award, decline or waitlist) to change."})
    return kind


def _as_typed(data: dict[str, Any], kind: str) -> LetterTemplateRecord:
    """The template of `kind` as staff typed it (shown again, not saved)."""
    return LetterTemplateRecord(kind=kind, subject=forms._raw(data, "subject"), body=forms._raw(data, "body"))


@post("/staff/programs/{program_id:int}/letters/templates", name="letters:save")
async def save_template(request: PortalRequest, program_id: FromPath[int]) -> Response[str]:
    """Save one template (the form's `kind`); the page again at 422 with every problem."""
    program = await _program(request, program_id)
    data = await read_form(request)
    try:
        kind = _form_kind(data)
    except Invalid as exc:
        return render(request, PAGE, await _context(program, top_errors=exc.errors), status_code=422)
    try:
        subject, body, _shown = await forms.checked_template(data, services.sample_fields(program))
        await services.save_template(actor(request), program_id, kind, subject, body)
    except Invalid as exc:
        ctx = await _context(program, errors=exc.errors, error_kind=kind)
        ctx["templates"][kind] = _as_typed(data, kind)
        return render(request, PAGE, ctx, status_code=422)
    return redirect(request, f"/staff/programs/{program_id}/letters?saved={kind}#template-{kind}")


@post("/staff/programs/{program_id:int}/letters/preview", name="letters:preview")
async def preview(request: PortalRequest, program_id: FromPath[int]) -> Response[str]:
    """The letter as it would read with sample merge fields (not saved); 422 with the problems otherwise.
    For HTMX, only the template's section."""
    program = await _program(request, program_id)
    data = await read_form(request)
    try:
        kind = _form_kind(data)
    except Invalid as exc:
        return render(request, PAGE, await _context(program, top_errors=exc.errors), status_code=422)
    status, errors, shown = 200, {}, None
    try:
        _subject, _body, shown = await forms.checked_template(data, services.sample_fields(program))
    except Invalid as exc:
        status, errors = 422, exc.errors
    ctx = await _context(program, preview=shown, preview_kind=kind, errors=errors, error_kind=kind)
    ctx["templates"][kind] = _as_typed(data, kind)
    return render(request, PAGE, ctx, block=f"template_{kind}", status_code=status)


@post("/staff/programs/{program_id:int}/letters/batches", name="letters:request")
async def request_batch(request: PortalRequest, program_id: FromPath[int]) -> Response[str]:
    program = await _program(request, program_id)
    data = await read_form(request)
    try:
        batch_id = await services.request_batch(actor(request), program_id, forms.kinds_input(data))
    except Invalid as exc:
        return render(request, PAGE, await _context(program, batch_errors=exc.errors), status_code=422)
    return redirect(request, f"/staff/programs/{program_id}/letters?batch={batch_id}#progress")


@get("/staff/programs/{program_id:int}/letters/batches/{batch_id:int}", name="letters:progress")
async def batch_progress(request: PortalRequest, program_id: FromPath[int], batch_id: FromPath[int]) -> Response[str]:
    """The progress fragment; it polls itself every second while the batch is queued or running."""
    program = await _program(request, program_id)
    batch = await queries.get_batch(program_id, batch_id)
    if batch is None:
        raise NotFound()
    return fragment(request, PAGE, "progress", {"program": program, "batch": batch})


def letter_filename(letter: LetterRecord) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", f"{letter.program_slug} {letter.city_name}".lower()).strip("-")[:80]
    return f"{letter.kind}-letter-{slug or 'letter'}-{letter.id}.pdf"


@get("/staff/programs/{program_id:int}/letters/files/{letter_id:int}/letter.pdf", name="letters:download")
async def download(request: PortalRequest, program_id: FromPath[int], letter_id: FromPath[int]) -> Response[bytes]:
    """The stored PDF as it was made (its SHA-256 checked): 404 if unknown or gone, 409 if it changed."""
    await _program(request, program_id)
    letter = await queries.get_letter(program_id, letter_id)
    if letter is None:
        raise NotFound()
    content = services.stored_letter(request.app.state.settings.files_dir, letter)
    return Response(content=content, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{letter_filename(letter)}"',
        "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store",
    })


ROUTES = [letters_page, save_template, preview, request_batch, batch_progress, download]
