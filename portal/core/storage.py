"""Uploaded files: checked by content (never by name or the browser's word), kept under random names.

Files live in `settings.files_dir / <area>`, named by a random token plus the extension of the type we
detected; the original name is only ever shown, never used as a path.

A PDF is checked three ways, and refused on the first problem, with a message saying what to do:
1. the bytes: `%PDF-` at offset 0, the last `%%EOF` followed by nothing but whitespace (so no HTML or ZIP
   rides along after it, and a truncated file is caught), no ZIP directory in the tail, and no active-content
   name (JavaScript, launch, embedded file, automatic action, ...) in the raw bytes or in Flate-compressed
   streams, with `#xx` name escapes decoded;
2. pikepdf (qpdf) must open it: a damaged file or one that needs a password is refused;
3. the structure: every object (and the dictionaries and arrays inside it) is walked, and any active-content
   key, action type or annotation type refuses the file. The work is bounded (MAX_PDF_OBJECTS objects,
   MAX_PDF_NODES dictionaries and arrays); call `check_upload` in a thread from async code.
"""

from __future__ import annotations

import hashlib
import io
import re
import secrets
import zlib
from dataclasses import dataclass
from pathlib import Path

import pikepdf

PDF_MAGIC = b"%PDF-"
PDF_EOF = b"%%EOF"
ACTIVE_PDF_NAMES = (b"/JavaScript", b"/JS", b"/Launch", b"/EmbeddedFile", b"/AA", b"/RichMedia", b"/XFA")
# Dictionary keys that only exist to carry active content or attachments.
ACTIVE_KEYS = frozenset({"/JS", "/JavaScript", "/Launch", "/EmbeddedFile", "/EmbeddedFiles", "/EF", "/AA",
                         "/RichMediaContent", "/RichMediaSettings", "/XFA"})
# Action types (/S) that run code, open or send files.
ACTIVE_ACTIONS = frozenset({"/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/RichMediaExecute",
                            "/GoToE", "/Rendition"})
# Object types (/Type, /Subtype) that are attachments or embedded players.
ACTIVE_TYPES = frozenset({"/EmbeddedFile", "/RichMedia", "/FileAttachment"})
MAX_PDF_OBJECTS = 50_000
MAX_PDF_NODES = 1_000_000
EXTENSIONS = {"application/pdf": ".pdf"}
NAME_RE = re.compile(r"^[0-9a-f]{32}\.(pdf)$")
_STREAM_RE = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)
_NAME_ESCAPE_RE = re.compile(rb"#([0-9A-Fa-f]{2})")
_MAX_INFLATED = 50 * 1024 * 1024
_TRAILING_OK = b" \t\r\n\f\x00"
_ZIP_END = b"PK\x05\x06"
_ZIP_TAIL = 22 + 65535  # a ZIP's end-of-directory record lies within this many bytes of the end

NOT_PDF = "The file is not a PDF. Save or export it as PDF and upload it again."
ACTIVE = ("The PDF contains scripts, attachments or actions, which we do not accept. "
          "Print it to a new PDF and upload that.")
DAMAGED = "The PDF is incomplete or damaged. Save or export it again and upload the new file."
PASSWORD = "The PDF is protected by a password. Save a copy without the password and upload that."
HIDDEN = ("The file has other content hidden after the end of the PDF. "
          "Print it to a new PDF and upload that.")
TOO_COMPLEX = (f"The PDF is too complex for us to check (more than {MAX_PDF_OBJECTS:,} parts). "
               "Print it to a new PDF and upload that.")


class Rejected(ValueError):
    """The file may not be stored; the message says why, in words for the person uploading."""


@dataclass(frozen=True)
class Stored:
    stored_name: str
    content_type: str
    size_bytes: int
    sha256: str


def detect_type(content: bytes) -> str | None:
    """The MIME type the bytes really are, among the ones we accept; None for anything else."""
    if content.startswith(PDF_MAGIC):
        return "application/pdf"
    return None


def _names_in(data: bytes) -> bytes:
    return _NAME_ESCAPE_RE.sub(lambda m: bytes([int(m.group(1), 16)]), data)


def _active_name(data: bytes) -> bytes | None:
    data = _names_in(data)
    for name in ACTIVE_PDF_NAMES:
        # A PDF name ends at a delimiter or whitespace: /JS must not match /JSomething.
        if re.search(re.escape(name) + rb"(?=[\s/<>\[\]()%{}]|$)", data):
            return name
    return None


def pdf_active_content(content: bytes) -> str | None:
    """The first active-content name in the raw bytes of a PDF (plain or in a compressed stream), or None.

    A second line behind the structural check: it also sees what sits outside any object qpdf keeps.
    """
    found = _active_name(content)
    if found:
        return found.decode()
    budget = _MAX_INFLATED
    for match in _STREAM_RE.finditer(content):
        try:
            inflater = zlib.decompressobj()
            data = inflater.decompress(match.group(1), budget)
        except zlib.error:
            continue
        budget -= len(data)
        found = _active_name(data)
        if found:
            return found.decode()
        if budget <= 0:
            return "too much compressed content"
    return None


def _ending_problem(content: bytes) -> str | None:
    """DAMAGED if the PDF has no end (truncated), HIDDEN if anything but whitespace follows it, or a ZIP."""
    end = content.rfind(PDF_EOF)
    if end < 0:
        return DAMAGED
    if content[end + len(PDF_EOF):].strip(_TRAILING_OK):
        return HIDDEN
    if _ZIP_END in content[-_ZIP_TAIL:]:
        return HIDDEN
    return None


def _active_in(obj: pikepdf.Object, budget: list[int]) -> str | None:
    """The first active-content key or type in `obj` and the direct objects inside it; indirect ones are
    checked on their own turn. `budget` counts dictionaries and arrays left to look at."""
    stack = [obj]
    while stack:
        item = stack.pop()
        budget[0] -= 1
        if budget[0] < 0:
            raise Rejected(TOO_COMPLEX)
        if isinstance(item, pikepdf.Array):
            children = list(item)
        else:
            keys = set(item.keys())
            found = keys & ACTIVE_KEYS
            if found:
                return min(found)
            for key, names in (("/S", ACTIVE_ACTIONS), ("/Type", ACTIVE_TYPES), ("/Subtype", ACTIVE_TYPES)):
                value = item.get(key) if key in keys else None
                if isinstance(value, pikepdf.Name) and str(value) in names:
                    return f"{key} {value}"
            children = [item[key] for key in keys]
        stack.extend(child for child in children
                     if isinstance(child, pikepdf.Dictionary | pikepdf.Array) and not child.is_indirect)
    return None


def pdf_structure_problem(content: bytes) -> str | None:
    """Open the PDF with pikepdf and walk every object: a message for the person uploading, or None.

    CPU-bound (up to a few seconds for a large file): call it in a thread from async code.
    """
    try:
        pdf = pikepdf.open(io.BytesIO(content))
    except pikepdf.PasswordError:
        return PASSWORD
    except pikepdf.PdfError:
        return DAMAGED
    with pdf:
        objects = pdf.objects
        if len(objects) > MAX_PDF_OBJECTS:
            return TOO_COMPLEX
        budget = [MAX_PDF_NODES]
        for obj in objects:
            if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream | pikepdf.Array):
                if _active_in(obj, budget):
                    return ACTIVE
    return None


def check_pdf(content: bytes) -> None:
    """Rejected (with its message) unless `content` is a whole PDF with no active content and nothing else."""
    if not content.startswith(PDF_MAGIC):
        raise Rejected(NOT_PDF)
    if pdf_active_content(content):
        raise Rejected(ACTIVE)
    problem = _ending_problem(content) or pdf_structure_problem(content)
    if problem:
        raise Rejected(problem)


def check_upload(content: bytes, accept: tuple[str, ...], max_bytes: int) -> str:
    """The content type of an acceptable upload; Rejected (with a message for the user) otherwise.

    Blocking (a PDF is parsed): from async code, run it with asyncio.to_thread.
    """
    if not content:
        raise Rejected("The file is empty.")
    if len(content) > max_bytes:
        raise Rejected(f"The file is larger than {max_bytes / 1048576:g} MB.")
    kind = detect_type(content)
    if kind is None or kind not in accept:
        raise Rejected(NOT_PDF)
    if kind == "application/pdf":
        check_pdf(content)
    return kind


def store(files_dir: Path, area: str, content: bytes, content_type: str) -> Stored:
    """Write `content` under files_dir/area/<random>.<ext> (atomically); the caller checked it first."""
    directory = files_dir / area
    directory.mkdir(parents=True, exist_ok=True)
    name = secrets.token_hex(16) + EXTENSIONS[content_type]
    tmp = directory / (name + ".tmp")
    tmp.write_bytes(content)
    tmp.replace(directory / name)
    return Stored(name, content_type, len(content), hashlib.sha256(content).hexdigest())


def path_of(files_dir: Path, area: str, stored_name: str) -> Path | None:
    """The stored file's path, or None if the name is not one we make or the file is gone."""
    if not NAME_RE.match(stored_name or ""):
        return None
    path = files_dir / area / stored_name
    return path if path.is_file() else None


def remove(files_dir: Path, area: str, stored_name: str) -> None:
    path = path_of(files_dir, area, stored_name)
    if path is not None:
        path.unlink(missing_ok=True)
