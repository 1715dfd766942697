"""Documents made from an application's stored answers: the submitted application as a PDF with its receipt,
the program's blank form as a PDF for offline drafting, and the current answers as Markdown or Word (DOCX).

Every document is built from one neutral description of the answers (`answer_sections`), so the PDF, the
Markdown and the Word file say the same thing. Any JSON value a form can hold is shown sensibly: text,
numbers, yes/no, a list of choices, an object (e.g. an address: one line per part) and a list of objects
(a budget table, a repeating group: a table). Field types this module does not know are shown by the shape
of their value. Fields marked `identifying` (and identifying columns of tables) are replaced by "Hidden for
blind review" when the reader is a blind reviewer, exactly as on the page (templates/components/answers.html).

Hostile answers stay text: the PDF templates are escaped by Jinja and rendered with the static-only URL
fetcher (portal/core/pdf.py), Markdown escapes every character that could start markup, and Word files are
built with python-docx (XML-escaped). Characters that XML 1.0 cannot hold (NUL and other control
characters) are dropped from every document.

PDFs of submitted applications are kept: `application_pdf` renders once per distinct content and stores the
file under files_dir/application-pdfs/, named by the application, the variant (full or blind) and the SHA-256
of the HTML it was made from. Rendering is deterministic (no time stamps or random ids in the PDF), so the same
content always gives the same bytes; each making writes an audit row `application.pdf_made` with the PDF's
SHA-256 beside the receipt number and the SHA-256 of the submitted answers. If the city's name or the
answers change (a reopened and resubmitted application), a new PDF is made and audited; the old one is kept.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import re
import secrets
from dataclasses import dataclass, field as dc_field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterable, TypedDict

from portal.applications.records import Answers, ApplicationFileRecord, ApplicationForUser, NeutralFile
from portal.core import audit, pdf
from portal.core.actor import Actor
from portal.core.templating import iso_utc, local_time, money, render
from portal.db import write_transaction
from portal.programs import formdef
from portal.programs.formdef import Field, Schema
from portal.programs.records import FormVersionRecord, ProgramRecord

APPLICATION_PDFS = "application-pdfs"
FORM_PDFS = "form-pdfs"
HIDDEN = "Hidden for blind review"
NOT_ANSWERED = "Not answered"
# Fields that show text to the applicant and take no answer (names the form engine may use).
NO_ANSWER_TYPES = frozenset({"instructions", "info", "paragraph", "static_text", "heading", "read_only", "text_block"})
SELECT_TYPES = frozenset({"select", "radio", "multi_select", "multiselect", "multiple_choice", "checkboxes"})
MULTI_TYPES = frozenset({"multi_select", "multiselect", "multiple_choice", "checkboxes"})
YES_NO_TYPES = frozenset({"checkbox", "yes_no", "attestation", "boolean"})
BOX_TYPES = frozenset({"checkbox", "attestation"})  # one box to tick; `statement` is the text beside it
PERCENT_TYPES = frozenset({"percentage", "percent"})
# Keys of an address object, in the order they are written on an envelope.
ADDRESS_ORDER = ("street", "street1", "line1", "address1", "street2", "line2", "address2", "city", "state", "zip",
                 "zip_code", "postal_code")
# XML 1.0 cannot hold these (python-docx refuses them, PDF text extraction garbles them): they are dropped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


class FileFacts(TypedDict):
    """What a document says of an uploaded file: the field it answers, its name, size and SHA-256."""

    field_key: str
    original_name: str
    size_bytes: int
    sha256: str


def file_facts(files: Iterable[ApplicationFileRecord | NeutralFile]) -> list[FileFacts]:
    """The facts documents show of these files (for a blind reader: the neutral names)."""
    return [{"field_key": f.field_key, "original_name": f.original_name, "size_bytes": f.size_bytes,
             "sha256": f.sha256} for f in files]


def clean(value: Any) -> str:
    """Text safe in every document format: str() of the value, CRLF as LF, no characters XML cannot hold."""
    return _NOT_XML.sub("", str(value)).replace("\r\n", "\n").replace("\r", "\n")


# --- one answer, made presentable ------------------------------------------------------------------------

@dataclass(frozen=True)
class Shown:
    """An answer ready for any document.

    kind: "text" (one line), "long" (paragraphs, newlines kept), "lines" (several short lines: an address, a
    list of choices), "table" (columns and rows: a budget table, a repeating group), "files" (uploaded files:
    name, size, SHA-256), "empty" (not answered) or "hidden" (blind review).
    """

    kind: str
    text: str = ""
    lines: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    footer: tuple[str, ...] = ()  # a totals row, when the table has currency columns
    files: tuple[dict[str, str], ...] = ()


def budget_parts(field: Field) -> list[dict[str, Any]]:
    """The columns of a `budget` field (docs/forms.md): category, description, amount, and cost share if asked."""
    parts: list[dict[str, Any]] = [
        {"key": "category", "type": "select", "label": "Category", "options": field.get("categories") or []},
        {"key": "description", "type": "short_text", "label": "Description"},
        {"key": "amount", "type": "currency", "label": "Amount"}]
    if field.get("cost_share"):
        parts.append({"key": "cost_share", "type": "currency", "label": "Cost share"})
    return parts


def subfields(field: Field) -> list[dict[str, Any]]:
    """The parts of a composite field (columns of a budget table, fields of a repeating group or address)."""
    if field.get("type") == "budget":
        return budget_parts(field)
    for key in ("fields", "columns", "subfields", "items", "parts"):
        value = field.get(key)
        if isinstance(value, list) and value and all(isinstance(v, dict) and "key" in v for v in value):
            return value
    return []


def options_of(field: Field) -> list[tuple[str, str]]:
    """(value, label) of each option; options may be {"value", "label"} objects or plain strings."""
    result = []
    for option in field.get("options") or []:
        if isinstance(option, dict):
            value = str(option.get("value", option.get("label", "")))
            result.append((value, str(option.get("label", value))))
        else:
            result.append((str(option), str(option)))
    return result


def long_date_text(value: str) -> str:
    """"2027-01-15" -> "January 15, 2027"; anything else as it is."""
    try:
        day = date.fromisoformat(value[:10]) if len(value) == 10 else None
    except ValueError:
        day = None
    return f"{MONTHS[day.month - 1]} {day.day}, {day.year}" if day else value


def _is_cents(field: Field) -> bool:
    return field.get("type") == "currency" or str(field.get("key", "")).endswith("_cents")


def format_value(field: Field, value: Any) -> str:
    """One value as text, by the field's type where it says how (money, dates, option labels), else by shape."""
    kind = field.get("type", "")
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int) and _is_cents(field):
        return money(value)
    if isinstance(value, (int, float)):
        text = f"{value:,}"
        return f"{text}%" if kind in PERCENT_TYPES else text
    if isinstance(value, str):
        if kind == "date":
            return long_date_text(value)
        if kind in SELECT_TYPES:
            return clean(dict(options_of(field)).get(value, value))
        if kind in YES_NO_TYPES and value in {"yes", "no"}:
            return value.capitalize()
        return clean(value)
    if isinstance(value, list):
        return ", ".join(t for t in (format_value(field, v) for v in value) if t)
    if isinstance(value, dict):
        return "; ".join(f"{label}: {text}" for label, text in _dict_lines(field, value, hide_identifying=False))
    return clean(value)


def _label_for(key: str, parts: dict[str, dict[str, Any]]) -> str:
    part = parts.get(key)
    if part and part.get("label"):
        return clean(part["label"])
    return clean(key).replace("_", " ").capitalize()


def _dict_lines(field: Field, value: dict[str, Any], hide_identifying: bool) -> list[tuple[str, str]]:
    """(label, text) for each non-empty entry of an object, in the order of the field's parts."""
    parts = {p["key"]: p for p in subfields(field)}
    keys = [k for k in parts if k in value] + [k for k in value if k not in parts]
    lines = []
    for key in keys:
        part = parts.get(key, {"key": key})
        if hide_identifying and part.get("identifying"):
            lines.append((_label_for(key, parts), HIDDEN))
            continue
        text = format_value(part, value[key])
        if text:
            lines.append((_label_for(key, parts), text))
    return lines


def _address_lines(value: dict[str, Any]) -> list[str] | None:
    """An address object as envelope lines ("12 Main St", "Springfield, IL 62701"), or None if it is not one."""
    keys = {k.lower() for k in value}
    if not keys or not keys <= set(ADDRESS_ORDER) or "city" not in keys:
        return None
    get = {k.lower(): clean(v).strip() for k, v in value.items() if v not in (None, "")}
    street = [get[k] for k in ADDRESS_ORDER[:7] if get.get(k)]
    state_zip = " ".join(t for t in (get.get("state", ""), get.get("zip") or get.get("zip_code")
                                     or get.get("postal_code") or "") if t)
    last = ", ".join(t for t in (get.get("city", ""), state_zip) if t)
    return [line for line in (*street, last) if line]


def _table(field: Field, rows: list[dict[str, Any]], hide_identifying: bool) -> Shown:
    parts = {p["key"]: p for p in subfields(field)}
    keys = list(parts)
    for row in rows:
        keys += [k for k in row if k not in keys]
    body = []
    for row in rows:
        cells = []
        for key in keys:
            part = parts.get(key, {"key": key})
            hidden = hide_identifying and part.get("identifying")
            cells.append(HIDDEN if hidden else format_value(part, row.get(key)))
        body.append(tuple(cells))
    footer: tuple[str, ...] = ()
    money_keys = [k for k in keys if _is_cents(parts.get(k, {"key": k}))]
    if money_keys and len(rows) > 1:
        totals = {k: _cents_total(rows, k) for k in money_keys}
        footer = tuple(money(totals[k]) if k in totals else ("Total" if i == 0 else "") for i, k in enumerate(keys))
    return Shown("table", columns=tuple(_label_for(k, parts) for k in keys), rows=tuple(body), footer=footer)


def _cents_total(rows: list[dict[str, Any]], key: str) -> int:
    """The sum of a money column: whole cents only (a yes/no is not a number here)."""
    return sum(value for row in rows if isinstance(value := row.get(key), int) and not isinstance(value, bool))


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    return f"{round(n / 1024)} KB" if n >= 1024 else f"{n} bytes"


def show_answer(field: Field, value: Any, files: Iterable[FileFacts] = (), *,
                hide_identifying: bool = False) -> Shown:
    """The answer to one field, ready for a document (see Shown)."""
    kind = field.get("type", "")
    if hide_identifying and field.get("identifying"):
        return Shown("hidden", HIDDEN)
    if kind == "file":
        mine = tuple({"name": clean(f["original_name"]), "size": _size(int(f.get("size_bytes") or 0)),
                      "sha256": clean(f.get("sha256") or "")} for f in files if f.get("field_key") == field.get("key"))
        return Shown("files", files=mine) if mine else Shown("empty", "No file uploaded")
    if kind in BOX_TYPES and value is None:  # an unticked box is saved as False, or not at all
        return Shown("text", "No")
    if value is None or value == "" or value == [] or value == {}:
        return Shown("empty", NOT_ANSWERED)
    if isinstance(value, list) and all(isinstance(v, dict) for v in value):
        return _table(field, value, hide_identifying)
    if isinstance(value, list):
        return Shown("lines", lines=tuple(t for t in (format_value(field, v) for v in value) if t))
    if isinstance(value, dict):
        hides_parts = hide_identifying and any(p.get("identifying") for p in subfields(field))
        address = None if hides_parts else _address_lines(value)
        if address is not None:
            return Shown("lines", lines=tuple(address))
        return Shown("lines", lines=tuple(f"{label}: {text}" for label, text in
                                          _dict_lines(field, value, hide_identifying)))
    text = format_value(field, value)
    if isinstance(value, str) and (kind == "long_text" or "\n" in text):
        return Shown("long", text.strip("\n"))
    return Shown("text", text)


@dataclass
class Item:
    label: str
    key: str
    help: str  # the form's guidance (the Markdown and Word exports show it, for those still drafting)
    shown: Shown
    statement: str = ""  # what an attestation box affirms: part of the answer, shown everywhere


@dataclass
class Section:
    title: str
    help: str
    items: list[Item] = dc_field(default_factory=list)


def answer_sections(schema: Schema, answers: Answers, files: list[FileFacts], *,
                    hide_identifying: bool) -> list[Section]:
    """The form's sections with each answer shown; fields that take no answer (instructions) are left out."""
    sections = []
    for section in formdef.sections(schema):
        out = Section(clean(section.get("title", "")), clean(section.get("help", "")))
        for field in section.get("fields", []):
            if not isinstance(field, dict) or field.get("type") in NO_ANSWER_TYPES:
                continue
            if not formdef.is_shown(schema, field, answers):
                shown = Shown("empty", "Does not apply")
            else:
                key = field.get("key")
                value = answers.get(key) if isinstance(key, str) else None
                shown = show_answer(field, value, files, hide_identifying=hide_identifying)
            out.items.append(Item(clean(field.get("label", field.get("key", ""))), clean(field.get("key", "")),
                                  clean(field.get("help", "")), shown, clean(field.get("statement") or "")))
        sections.append(out)
    return sections


# --- what is said about the document (title, receipt, when) ---------------------------------------------

def document_meta(application: ApplicationForUser, *, hide_identifying: bool,
                  now: datetime | None = None) -> dict[str, Any]:
    """What the head of every document says: program, city (not for blind review), status, receipt."""
    program = application.program
    tz = program.timezone
    submitted_at = application.submitted_at
    receipt = application.receipt_number or ""
    meta = {
        "program_title": clean(program.title),
        "network_name": clean(program.network_name),
        "city": "" if hide_identifying else clean(application.organisation_name or ""),
        "title": clean(application.title or ""),
        "status": clean(application.status).replace("_", " ").capitalize(),
        "version": application.version,
        "receipt_number": clean(receipt),
        "submitted_utc": iso_utc(submitted_at) if receipt and submitted_at else "",
        "submitted_local": local_time(submitted_at, tz) if receipt and submitted_at else "",
        "content_sha256": clean(application.content_sha256 or "") if receipt else "",
        "timezone": clean(tz),
        "deadline_local": local_time(program.deadline_at, tz),
    }
    if now is not None:
        meta["exported_utc"] = iso_utc(now)
        meta["exported_local"] = local_time(now, tz)
    return meta


def safe_filename(*parts: Any, extension: str) -> str:
    """ASCII letters, digits and dashes only: safe in a header and on every file system."""
    slug = re.sub(r"[^a-z0-9]+", "-", " ".join(str(p) for p in parts).lower()).strip("-")[:100]
    return f"{slug or 'application'}.{extension}"


# --- Markdown -------------------------------------------------------------------------------------------

_MD_INLINE = re.compile(r"([\\`*_\[\]<>&|~])")
_MD_LINE_START = re.compile(r"^(\s*)([#+=-])", re.MULTILINE)
_MD_ORDERED = re.compile(r"^(\s*\d+)([.)])", re.MULTILINE)


def md_escape(text: str) -> str:
    """Text that Markdown shows as written: no HTML, links, emphasis, headings, lists or tables."""
    text = _MD_INLINE.sub(r"\\\1", clean(text))
    text = _MD_LINE_START.sub(r"\1\\\2", text)
    return _MD_ORDERED.sub(r"\1\\\2", text)


def _md_lines(text: str) -> str:
    """Paragraphs kept; single newlines as hard line breaks (a backslash at the end of the line)."""
    paragraphs = [p.strip("\n") for p in re.split(r"\n\s*\n", text) if p.strip()]
    return "\n\n".join("\\\n".join(md_escape(line) for line in p.split("\n")) for p in paragraphs)


def _md_cell(text: str) -> str:
    return md_escape(text.replace("\n", " ")) or " "


def _md_shown(shown: Shown) -> str:
    if shown.kind in {"empty", "hidden"}:
        return f"*{md_escape(shown.text)}*"
    if shown.kind == "long":
        return _md_lines(shown.text)
    if shown.kind == "lines":
        return "\n".join(f"- {md_escape(line)}" for line in shown.lines)
    if shown.kind == "files":
        return "\n".join(f"- {md_escape(f['name'])} ({f['size']}, SHA-256 `{f['sha256']}`)" for f in shown.files)
    if shown.kind == "table":
        rows = [shown.columns, ["---"] * len(shown.columns), *shown.rows, *([shown.footer] if shown.footer else [])]
        return "\n".join("| " + " | ".join(c if c == "---" else _md_cell(c) for c in row) + " |" for row in rows)
    return md_escape(shown.text)


def answers_markdown(meta: dict[str, Any], sections: list[Section]) -> str:
    """The answers as a Markdown document for colleagues who draft outside the portal."""
    title = meta["program_title"] + (f": application from {meta['city']}" if meta["city"] else ": application")
    out = [f"# {md_escape(title)}", ""]
    facts = [("Project", meta["title"]), ("Status", meta["status"]), ("Receipt number", meta["receipt_number"]),
             ("Submitted", f"{meta['submitted_local']} ({meta['submitted_utc']})" if meta["submitted_utc"] else ""),
             ("SHA-256 of the submitted answers", meta["content_sha256"]),
             ("Deadline", meta["deadline_local"]),
             ("Exported", f"{meta['exported_local']} ({meta['exported_utc']})")]
    out += [f"- **{name}:** {md_escape(value)}" for name, value in facts if value]
    out += ["", "> " + md_escape(
        "A copy of the answers saved in the portal when it was exported. Changes made here are not saved: "
        "copy them into the portal form, where the application is submitted."), ""]
    for section in sections:
        out += [f"## {md_escape(section.title)}", ""]
        if section.help:
            out += [f"*{md_escape(section.help)}*", ""]
        for item in section.items:
            out += [f"### {md_escape(item.label)}", ""]
            if item.help:
                out += [f"*{md_escape(item.help)}*", ""]
            if item.statement:
                out += [md_escape(item.statement), ""]
            out += [_md_shown(item.shown), ""]
    return "\n".join(out).rstrip("\n") + "\n"


# --- Word (DOCX) ----------------------------------------------------------------------------------------

def answers_docx(meta: dict[str, Any], sections: list[Section]) -> bytes:
    """The answers as a Word document (python-docx escapes all text as XML)."""
    from docx import Document  # imported here: only exports need it, and it is slow to import
    from docx.shared import Pt

    document = Document()
    document.core_properties.title = clean(meta["program_title"])[:255]
    document.core_properties.author = "City grant portal"
    document.core_properties.comments = "Answers exported from the portal; not a submission."
    title = meta["program_title"] + (f": application from {meta['city']}" if meta["city"] else ": application")
    document.add_heading(title, level=0)
    facts = [("Project", meta["title"]), ("Status", meta["status"]), ("Receipt number", meta["receipt_number"]),
             ("Submitted", f"{meta['submitted_local']} ({meta['submitted_utc']})" if meta["submitted_utc"] else ""),
             ("SHA-256 of the submitted answers", meta["content_sha256"]),
             ("Deadline", meta["deadline_local"]),
             ("Exported", f"{meta['exported_local']} ({meta['exported_utc']})")]
    for name, value in facts:
        if value:
            paragraph = document.add_paragraph()
            paragraph.add_run(f"{name}: ").bold = True
            paragraph.add_run(value)
    note = document.add_paragraph()
    note.add_run("A copy of the answers saved in the portal when it was exported. Changes made here are not "
                 "saved: copy them into the portal form, where the application is submitted.").italic = True
    for section in sections:
        document.add_heading(section.title or " ", level=1)
        if section.help:
            document.add_paragraph().add_run(section.help).italic = True
        for item in section.items:
            document.add_heading(item.label or item.key, level=2)
            if item.help:
                help_run = document.add_paragraph().add_run(item.help)
                help_run.italic = True
                help_run.font.size = Pt(9)
            if item.statement:
                document.add_paragraph(item.statement)
            _docx_shown(document, item.shown)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _docx_shown(document: Any, shown: Shown) -> None:
    if shown.kind in {"empty", "hidden"}:
        document.add_paragraph().add_run(shown.text).italic = True
    elif shown.kind == "long":
        for paragraph_text in re.split(r"\n\s*\n", shown.text):
            paragraph = document.add_paragraph()
            for i, line in enumerate(paragraph_text.split("\n")):
                if i:
                    paragraph.add_run().add_break()
                paragraph.add_run(line)
    elif shown.kind == "lines":
        for line in shown.lines:
            document.add_paragraph(line, style="List Bullet")
    elif shown.kind == "files":
        for file in shown.files:
            document.add_paragraph(f"{file['name']} ({file['size']}, SHA-256 {file['sha256']})", style="List Bullet")
    elif shown.kind == "table":
        rows = [shown.columns, *shown.rows, *([shown.footer] if shown.footer else [])]
        table = document.add_table(rows=len(rows), cols=max(1, len(shown.columns)))
        table.style = "Table Grid"
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                cell = table.cell(r, c)
                cell.text = text
                if r == 0 or (shown.footer and r == len(rows) - 1):
                    for run in cell.paragraphs[0].runs:
                        run.bold = True
        document.add_paragraph()
    else:
        document.add_paragraph(shown.text)


# --- PDFs -----------------------------------------------------------------------------------------------

def application_html(meta: dict[str, Any], sections: list[Section]) -> str:
    """The submitted application with its receipt, as the HTML the PDF is made from (Jinja escapes it all)."""
    return render("pdf/application.html", {"meta": meta, "sections": sections})


def application_pdf_name(application_id: int, variant: str, html: str) -> str:
    """The stored PDF's name: one file per application, variant and content (the SHA-256 of its HTML)."""
    return f"{int(application_id)}-{variant}-{hashlib.sha256(html.encode()).hexdigest()[:40]}.pdf"


def _write_atomically(directory: Path, name: str, content: bytes) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / f"{name}.{secrets.token_hex(4)}.tmp"
    tmp.write_bytes(content)
    tmp.replace(directory / name)
    return directory / name


async def application_pdf(actor: Actor, application: ApplicationForUser, schema: Schema,
                          files: list[FileFacts], files_dir: Path, *, blind: bool) -> bytes:
    """The PDF of a submitted application with its receipt, made once per distinct content and kept.

    Side effects, only when this content was never made before (or its file is gone): the PDF is written to
    files_dir/application-pdfs/<application id>-<full|blind>-<SHA-256 of its HTML>.pdf, and one audit row
    `application.pdf_made` records its SHA-256, the variant, the receipt number and the SHA-256 of the
    submitted answers. Rendering is deterministic, so making it again gives the same bytes and the same hash.
    """
    variant = "blind" if blind else "full"
    meta = document_meta(application, hide_identifying=blind)
    html = application_html(meta, answer_sections(schema, application.answers, files, hide_identifying=blind))
    name = application_pdf_name(application.id, variant, html)
    stored = pdf.stored_path(files_dir, APPLICATION_PDFS, name)
    if stored is not None:
        return await asyncio.to_thread(stored.read_bytes)
    content = await asyncio.to_thread(pdf.render_pdf, html)
    async with write_transaction():
        await audit.record(actor, "application.pdf_made", "application", application.id, variant=variant,
                           pdf_sha256=hashlib.sha256(content).hexdigest(), receipt_number=meta["receipt_number"],
                           content_sha256=meta["content_sha256"])
    await asyncio.to_thread(_write_atomically, files_dir / APPLICATION_PDFS, name, content)
    return content


# --- the blank form -------------------------------------------------------------------------------------

def field_limits(field: Field) -> list[str]:
    """What the form will accept, in words (shown under the label of the blank form)."""
    kind = field.get("type", "")
    notes: list[str] = []
    if kind == "short_text" or (kind == "long_text" and not field.get("max_words")):
        notes.append(f"At most {formdef.max_chars(field):,} characters")
    if kind == "long_text" and field.get("max_words"):
        notes.append(f"At most {int(field['max_words']):,} words")
    if kind in PERCENT_TYPES:
        notes.append("A percentage, from 0 to 100")
    if kind in ("number", *PERCENT_TYPES):
        if field.get("integer"):
            notes.append("A whole number")
        low, high = field.get("min"), field.get("max")
        if low is not None and high is not None:
            notes.append(f"From {low:,} to {high:,}")
        elif low is not None:
            notes.append(f"At least {low:,}")
        elif high is not None:
            notes.append(f"At most {high:,}")
    if kind == "currency":
        low, high = field.get("min_cents"), field.get("max_cents")
        if low is not None and high is not None:
            notes.append(f"In dollars, from {money(low)} to {money(high)}")
        elif low is not None:
            notes.append(f"In dollars, at least {money(low)}")
        elif high is not None:
            notes.append(f"In dollars, at most {money(high)}")
        else:
            notes.append("In dollars")
        if field.get("requested_amount"):
            notes.append("This is the amount you request")
    if kind == "budget":
        low, high = field.get("min_cents"), field.get("max_cents")
        if low is not None and high is not None:
            notes.append(f"Total from {money(low)} to {money(high)}")
        elif high is not None:
            notes.append(f"Total at most {money(high)}")
        notes.append("One line per item, amounts in dollars" + (", with the cost share" if field.get("cost_share")
                                                                else ""))
        if field.get("requested_amount"):
            notes.append("The total is the amount you request")
    if kind == "multi_select":
        for key, word in (("min_choices", "at least"), ("max_choices", "at most")):
            if isinstance(field.get(key), int):
                notes.append(f"Choose {word} {field[key]}")
    if kind == "date":
        notes.append("A date (month, day, year)")
    if kind in MULTI_TYPES:
        notes.append("Choose all that apply")
    elif kind in SELECT_TYPES:
        notes.append("Choose one")
    if kind == "email":
        notes.append("An email address")
    if kind == "phone":
        notes.append("A phone number")
    if kind == "url":
        notes.append("A web address (https://...)")
    if kind == "file":
        accepted = ", ".join(t.split("/")[-1].upper() for t in formdef.accepted_types(field))
        count = "one or more files" if field.get("multiple") else "one file"
        notes.append(f"Upload in the portal: {count}, {accepted}, at most {_size(formdef.max_bytes(field))} each")
    for key, word in (("min_items", "at least"), ("max_items", "at most"), ("min_rows", "at least"),
                      ("max_rows", "at most")):
        if isinstance(field.get(key), int):
            notes.append(f"{word.capitalize()} {field[key]} {'entry' if field[key] == 1 else 'entries'}")
    return notes


def _blank_lines(field: Field) -> int:
    """How many ruled lines to leave for a text answer."""
    if field.get("type") != "long_text":
        return 1
    words = int(field.get("max_words") or min(formdef.max_chars(field) // 6, 400))
    return max(4, min(words // 20, 24))


def condition_note(field: Field, schema: Schema | None) -> str:
    """"Answer only if “Main focus” is Other": a conditional field (`show_if`) in words."""
    condition = field.get("show_if")
    if not isinstance(condition, dict) or schema is None:
        return ""
    target_key = condition.get("field")
    target = formdef.fields_by_key(schema).get(target_key) if isinstance(target_key, str) else None
    if target is None:
        return ""
    labels = dict(options_of(target))
    wanted = [("Yes" if v else "No") if isinstance(v, bool) else labels.get(str(v), str(v))
              for v in formdef.condition_values(field)]
    return f"Answer only if “{clean(target.get('label', target['key']))}” is " + " or ".join(clean(w) for w in wanted)


def blank_field(field: Field, schema: Schema | None = None) -> dict[str, Any]:
    """A field of the blank form: what to draw (ruled lines, boxes to tick, an empty table) and its notes."""
    kind = field.get("type", "")
    parts = subfields(field)
    condition = condition_note(field, schema)
    view: dict[str, Any] = {
        "key": clean(field.get("key", "")), "label": clean(field.get("label", "")), "help": clean(field.get("help", "")),
        "required": bool(field.get("required")), "limits": ([condition] if condition else []) + field_limits(field),
        "kind": "lines", "lines": 1,
        "options": [], "columns": [], "rows": [], "parts": [], "text": "",
    }
    if kind in NO_ANSWER_TYPES:
        text = field.get("text") or field.get("body") or field.get("content") or ""
        return view | {"kind": "instructions", "text": clean(text)}
    if kind == "file":
        return view | {"kind": "file"}
    if kind in YES_NO_TYPES:
        if kind in BOX_TYPES:
            return view | {"kind": "choices", "options": [clean(field.get("statement") or "Yes")]}
        return view | {"kind": "choices", "options": ["Yes", "No"]}
    if kind in SELECT_TYPES or field.get("options"):
        return view | {"kind": "choices", "options": [clean(label) for _, label in options_of(field)]}
    if parts and (kind in {"budget_table", "repeating_group", "table", "group", "repeating"} or "table" in kind
                  or "repeat" in kind or "budget" in kind):
        categories = [clean(label) for _, label in options_of({"options": field.get("categories") or []})]
        rows = max(len(categories), int(field.get("min_items") or field.get("min_rows") or 0), 4)
        columns = [clean(p.get("label", p["key"])) for p in parts]
        grid = [[categories[r] if r < len(categories) and c == 0 else "" for c in range(len(columns))]
                for r in range(rows)]
        total = any(_is_cents(p) for p in parts)
        return view | {"kind": "table", "columns": columns, "rows": grid, "total": total}
    if parts or kind == "address":
        parts = parts or [{"key": "street", "label": "Street"}, {"key": "city", "label": "City"},
                          {"key": "state", "label": "State"}, {"key": "zip", "label": "ZIP code"}]
        return view | {"kind": "parts", "parts": [clean(p.get("label", p["key"])) for p in parts]}
    return view | {"lines": _blank_lines(field)}


def _blank_field_or_lines(field: Field, schema: Schema) -> dict[str, Any]:
    """blank_field, or a few plain lines when the field's options are malformed (the schema is staff input:
    a bad limit must not make the public form fail)."""
    try:
        return blank_field(field, schema)
    except (TypeError, ValueError, KeyError, AttributeError):
        return {"key": clean(field.get("key", "")), "label": clean(field.get("label", "")),
                "help": clean(field.get("help", "")), "required": bool(field.get("required")), "limits": [],
                "kind": "lines", "lines": 3, "options": [], "columns": [], "rows": [], "parts": [], "text": ""}


def blank_form_html(program: ProgramRecord, form: FormVersionRecord) -> str:
    """The program's application form with empty boxes and lines, as the HTML its PDF is made from."""
    sections = [{"title": clean(s.get("title", "")), "help": clean(s.get("help", "")),
                 "fields": [_blank_field_or_lines(f, form.schema) for f in s.get("fields", []) if isinstance(f, dict)]}
                for s in formdef.sections(form.schema)]
    return render("pdf/blank_form.html", {
        "program": {"title": clean(program.title), "network": clean(program.network_name),
                    "deadline": local_time(program.deadline_at, program.timezone),
                    "deadline_utc": iso_utc(program.deadline_at), "contact": clean(program.contact_email),
                    "slug": clean(program.slug)},
        "form_version": form.version, "sections": sections,
    })


def blank_form_pdf(program: ProgramRecord, form: FormVersionRecord, files_dir: Path) -> bytes:
    """The blank form as a PDF; kept under files_dir/form-pdfs/ by the SHA-256 of its HTML, so that a public
    link costs one rendering per form version (and program text), not one per download."""
    html = blank_form_html(program, form)
    name = f"{form.id}-{hashlib.sha256(html.encode()).hexdigest()[:40]}.pdf"
    stored = pdf.stored_path(files_dir, FORM_PDFS, name)
    if stored is not None:
        return stored.read_bytes()
    content = pdf.render_pdf(html)
    _write_atomically(files_dir / FORM_PDFS, name, content)
    return content
