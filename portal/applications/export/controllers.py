"""Downloads made from applications: the submitted application as a PDF, the current answers as Markdown or
Word for colleagues who draft offline, and a program's blank form as a PDF (see documents.py)."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
from litestar import Request, Response, get
from litestar.params import FromPath

from portal.applications import blind as blinding, queries
from portal.applications.export import documents
from portal.applications.access import get_application_for
from portal.applications.records import ApplicationForUser
from portal.applications.export.documents import FileFacts, Section
from portal.core import clock
from portal.core.errors import Conflict, NotFound
from portal.programs import queries as programs
from portal.programs.formdef import Schema
from portal.web.auth import actor, current_user

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def attachment(content: bytes, media_type: str, filename: str) -> Response[bytes]:
    """A download that no browser renders inline, sniffs, or keeps in a shared cache."""
    return Response(content=content, media_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
    })


def is_blind(application: ApplicationForUser) -> bool:
    """A reviewer of a blind panel (access.get_application_for decides): no identifying values, neutral file
    names, no files of identifying fields, a title without identifying values."""
    return application.blind


async def loaded(request: Request[Any, Any, Any],
                 application_id: int) -> tuple[ApplicationForUser, Schema, list[FileFacts]]:
    """The application (for a blind reader: its title made neutral), its form's schema and its files (for a
    blind reader: neutral names, none of identifying fields)."""
    application = await get_application_for(current_user(request), application_id, "view")
    form = await programs.get_form_version(application.form_version)
    if form is None:
        raise NotFound()
    schema = form.schema
    files = await queries.list_files(application_id)
    if not is_blind(application):
        return application, schema, documents.file_facts(files)
    title = blinding.blind_title(schema, {"id": application.id, "title": application.title,
                                          "answers": application.answers}, application.organisation_name)
    application = msgspec.structs.replace(application, title=title, organisation_name="")
    return application, schema, documents.file_facts(blinding.neutral_files(application_id, schema, files))


@get("/applications/{application_id:int}/application.pdf", name="applications:pdf")
async def application_pdf(request: Request[Any, Any, Any], application_id: FromPath[int]) -> Response[bytes]:
    application, schema, files = await loaded(request, application_id)
    if application.status == "draft" or not application.receipt_number:
        raise Conflict("This application has not been submitted, so it has no receipt yet. "
                       "Export the draft as a Word or Markdown file instead.")
    content = await documents.application_pdf(actor(request), application, schema, files,
                                            request.app.state.settings.files_dir, blind=is_blind(application))
    name = documents.safe_filename("application", application.receipt_number, extension="pdf")
    return attachment(content, "application/pdf", name)


def export_parts(application: ApplicationForUser, schema: Schema,
                 files: list[FileFacts]) -> tuple[dict[str, Any], list[Section]]:
    blind = is_blind(application)
    meta = documents.document_meta(application, hide_identifying=blind, now=clock.now())
    return meta, documents.answer_sections(schema, application.answers, files, hide_identifying=blind)


def export_name(application: ApplicationForUser, extension: str) -> str:
    return documents.safe_filename(application.program.slug, "answers", application.id, extension=extension)


@get("/applications/{application_id:int}/answers.md", name="applications:markdown")
async def answers_markdown(request: Request[Any, Any, Any], application_id: FromPath[int]) -> Response[bytes]:
    application, schema, files = await loaded(request, application_id)
    text = documents.answers_markdown(*export_parts(application, schema, files))
    return attachment(text.encode(), "text/markdown", export_name(application, "md"))


@get("/applications/{application_id:int}/answers.docx", name="applications:docx")
async def answers_docx(request: Request[Any, Any, Any], application_id: FromPath[int]) -> Response[bytes]:
    application, schema, files = await loaded(request, application_id)
    content = await asyncio.to_thread(documents.answers_docx, *export_parts(application, schema, files))
    return attachment(content, DOCX_TYPE, export_name(application, "docx"))


@get("/programs/{slug:str}/form.pdf", name="programs:blank_form")
async def blank_form(request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[bytes]:
    program = await programs.get_program_by_slug(slug)
    if program is None or program.status == "draft":
        raise NotFound()
    form = await programs.current_form(program.id, "application")
    if form is None:
        raise NotFound()
    content = await asyncio.to_thread(documents.blank_form_pdf, program, form, request.app.state.settings.files_dir)
    response = attachment(content, "application/pdf", documents.safe_filename(slug, "application-form",
                                                                            extension="pdf"))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


ROUTES = [application_pdf, answers_markdown, answers_docx, blank_form]
