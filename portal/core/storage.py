"""Uploaded files: checked by content (never by name or the browser's word), kept under random names.

Files live in `settings.files_dir / <area>`, named by a random token plus the extension of the type we
detected; the original name is only ever shown (see `display_name`), never used as a path.

The types a field may accept (TYPE_LABELS): PDF, PNG, JPEG, Word (.docx) and Excel (.xlsx). The type is
decided by the bytes alone; anything else is refused with a message that says what the file looks like
(a web page, an SVG image, a program, a ZIP archive, ...). PNG and JPEG are walked chunk by chunk (nothing
after the image's end, at most MAX_IMAGE_PIXELS pixels). Word and Excel files are ZIP archives: see
`check_ooxml` (no macros, no embedded files or archives, no path tricks in member names, no external
templates, and no more than MAX_OOXML_INFLATED bytes once unpacked, counted while unpacking).

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
import struct
import unicodedata
import zipfile
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
PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXTENSIONS = {PDF: ".pdf", PNG: ".png", JPEG: ".jpg", DOCX: ".docx", XLSX: ".xlsx"}
TYPE_LABELS = {PDF: "PDF", PNG: "PNG image", JPEG: "JPEG image", DOCX: "Word document", XLSX: "Excel workbook"}
NAME_RE = re.compile(r"^[0-9a-f]{32}\.(pdf|png|jpg|docx|xlsx)$")
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


EMPTY = "The file is empty (0 bytes). Choose the file again; if it still fails, save it again first."
DAMAGED_IMAGE = "The image is incomplete or damaged. Save or export it again and upload the new file."
HIDDEN_IMAGE = "The image has other content hidden after its end. Save or export it again and upload that."
MAX_IMAGE_PIXELS = 50_000_000
HUGE_IMAGE = (f"The image is too large to open safely (more than {MAX_IMAGE_PIXELS // 1_000_000} million pixels). "
              "Save it at a smaller size and upload that.")
MAX_OOXML_MEMBERS = 2_000
MAX_OOXML_INFLATED = 100 * 1024 * 1024
MAX_OOXML_RATIO = 100
DAMAGED_OFFICE = "The Word or Excel file is incomplete or damaged. Save it again and upload the new file."
HIDDEN_OFFICE = "The Word or Excel file has other content hidden in it. Save it again as a new file and upload that."
OFFICE_BOMB = (f"The Word or Excel file unpacks to more than {MAX_OOXML_INFLATED // 1048576} MB or is packed "
               f"suspiciously tightly (more than {MAX_OOXML_RATIO} to 1), which we do not accept. "
               "Save it again, or as PDF, and upload that.")
OFFICE_PATHS = ("The Word or Excel file contains parts with unsafe names (folders outside the file). "
                "Save it again as a new file, or as PDF, and upload that.")
PASSWORD_OFFICE = "The Word or Excel file is protected by a password. Save a copy without the password and upload that."
OFFICE_MACROS = ("The Word or Excel file contains macros or ActiveX controls, which we do not accept. "
                 "Save it as a plain .docx or .xlsx (or as PDF) and upload that.")
OFFICE_NESTED = ("The Word or Excel file contains embedded files, programs or archives, which we do not accept. "
                 "Remove them, or save the document as PDF, and upload that.")
OFFICE_EXTERNAL = ("The Word or Excel file loads content from elsewhere when it opens (an external template or "
                   "frame), which we do not accept. Save it as PDF and upload that.")
ENCRYPTED = ("The PDF is encrypted (it has an owner password or restrictions). "
             "Save or print it to a new PDF without protection and upload that.")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
ZIP_MAGIC = b"PK\x03\x04"
# Inside a Word or Excel file: names and first bytes of archives, programs and old Office containers.
NESTED_EXTENSIONS = frozenset({"zip", "7z", "rar", "gz", "tar", "jar", "exe", "dll", "scr", "js", "vbs", "ps1",
                               "bat", "cmd", "hta", "docx", "docm", "xlsx", "xlsm", "pptx", "pptm", "doc", "xls",
                               "pdf", "html", "htm", "svg", "lnk", "msi"})
NESTED_MAGICS = (ZIP_MAGIC, b"MZ", b"\x7fELF", b"\xd0\xcf\x11\xe0", b"Rar!", b"7z\xbc\xaf", b"\x1f\x8b", PDF_MAGIC)
_OOXML_MACRO_RE = re.compile(rb"macroEnabled|vbaProject|vbaData|ms-office\.activeX|/relationships/activeX", re.I)
_RELATIONSHIP_RE = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>", re.S)
_EXTERNAL_RE = re.compile(rb"TargetMode\s*=\s*[\"']External[\"']", re.I)
_HYPERLINK_RE = re.compile(rb"Type\s*=\s*[\"'][^\"']*/hyperlink[\"']", re.I)
# A JPEG frame header (SOF0-SOF15 but not DHT/JPG/DAC): length, precision, then height and width.
_JPEG_SOF_RE = re.compile(rb"\xff[\xc0-\xc3\xc5-\xc7\xc9-\xcb\xcd-\xcf]..\x08(....)", re.S)


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
        return PDF
    if content.startswith(PNG_MAGIC):
        return PNG
    if content.startswith(JPEG_MAGIC):
        return JPEG
    if content.startswith(ZIP_MAGIC):
        return _ooxml_kind(content)
    return None


# What a refused file looks like, for the message: (test on the first bytes, words for the person uploading).
_LOOKS_LIKE: tuple[tuple[re.Pattern[bytes], str], ...] = (
    (re.compile(rb"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*(<!doctype svg|<svg)", re.I | re.S),
     "an SVG image, which can carry scripts"),
    (re.compile(rb"^\s*(<!doctype html|<html|<head|<body|<script|<iframe|<meta|<!--)", re.I),
     "an HTML web page"),
    (re.compile(rb"^MZ"), "a Windows program"),
    (re.compile(rb"^\x7fELF"), "a program"),
    (re.compile(rb"^#!"), "a script"),
    (re.compile(rb"^PK\x03\x04"), "a ZIP archive"),
    (re.compile(rb"^\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), "an old Office file (.doc, .xls)"),
    (re.compile(rb"^(\x89PNG|\xff\xd8\xff|GIF8|RIFF....WEBP)", re.S), "an image"),
    (re.compile(rb"^%PDF-"), "a PDF"),
    (re.compile(rb"^\s*<"), "a web page or XML file"),
)


def looks_like(content: bytes) -> str | None:
    """Words for what a file of a type we do not accept seems to be ("an HTML web page"), or None."""
    head = content[:1024].lstrip(b"\xef\xbb\xbf")
    if content.startswith(ZIP_MAGIC) and _ooxml_kind(content) is None and _is_macro_office(content):
        return "an Office file with macros"
    for pattern, words in _LOOKS_LIKE:
        if pattern.match(head):
            kind = detect_type(content)
            return with_article(TYPE_LABELS[kind]) if kind else words
    return None


def not_accepted(accept: tuple[str, ...], content: bytes) -> str:
    """The message for a file whose bytes are none of the types the field accepts."""
    names = [TYPE_LABELS.get(kind, kind) for kind in accept] or ["PDF"]
    wanted = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
    seen = looks_like(content)
    seen = f": it looks like {seen}" if seen else ""
    target = "PDF" if names == ["PDF"] else "one of those"
    return f"The file is not {with_article(wanted)}{seen}. Save or export it as {target} and upload it again."


def with_article(label: str) -> str:
    return ("an " if label[0] in "AEIOU" else "a ") + label


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
        if pdf.is_encrypted:
            return ENCRYPTED
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

    Blocking (a PDF is parsed, an archive unpacked): from async code, run it with asyncio.to_thread.
    """
    if not content:
        raise Rejected(EMPTY)
    if len(content) > max_bytes:
        raise Rejected(f"The file is {size_text(len(content))}, larger than the {size_text(max_bytes)} allowed here. "
                       "Make it smaller (for a PDF: save it again with smaller images) and upload it again.")
    kind = detect_type(content)
    if kind is None or kind not in accept:
        raise Rejected(not_accepted(accept, content))
    CHECKS[kind](content)
    return kind


def size_text(size: int) -> str:
    """A size for people: "812 KB", "10 MB", "52.4 MB" (1 MB = 1,048,576 bytes, as the limits are set)."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024)):,} KB"
    return f"{size / 1048576:,.1f}".removesuffix(".0") + " MB"


# --- images -------------------------------------------------------------------------------------------

def check_png(content: bytes) -> None:
    """Rejected unless `content` is a whole PNG: chunks with good checksums from IHDR to IEND, nothing after,
    and a pixel count a viewer can open (a small file may declare a huge image: a decompression bomb)."""
    pos, first = len(PNG_MAGIC), True
    while True:
        if pos + 12 > len(content):
            raise Rejected(DAMAGED_IMAGE)
        length, kind = struct.unpack(">I4s", content[pos:pos + 8])
        data = content[pos + 8:pos + 8 + length]
        if len(data) != length or pos + 12 + length > len(content):
            raise Rejected(DAMAGED_IMAGE)
        (crc,) = struct.unpack(">I", content[pos + 8 + length:pos + 12 + length])
        if zlib.crc32(kind + data) != crc or (first and kind != b"IHDR"):
            raise Rejected(DAMAGED_IMAGE)
        if kind == b"IHDR":
            width, height = struct.unpack(">II", data[:8])
            if width * height > MAX_IMAGE_PIXELS:
                raise Rejected(HUGE_IMAGE)
        pos += 12 + length
        first = False
        if kind == b"IEND":
            break
    if content[pos:].strip(_TRAILING_OK):
        raise Rejected(HIDDEN_IMAGE)


def check_jpeg(content: bytes) -> None:
    """Rejected unless `content` is a JPEG that ends with its end-of-image marker, with a sane size, and
    carries no archive (a ZIP directory) in its tail."""
    if not content.rstrip(_TRAILING_OK).endswith(b"\xff\xd9"):
        raise Rejected(DAMAGED_IMAGE)
    if _ZIP_END in content[-_ZIP_TAIL:]:
        raise Rejected(HIDDEN_IMAGE)
    for match in _JPEG_SOF_RE.finditer(content):
        height, width = struct.unpack(">HH", match.group(1))
        if width * height > MAX_IMAGE_PIXELS:
            raise Rejected(HUGE_IMAGE)


# --- Word and Excel (Office Open XML: ZIP archives) ---------------------------------------------------

def _zip(content: bytes) -> zipfile.ZipFile | None:
    try:
        return zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError, OSError):
        return None


def _ooxml_kind(content: bytes) -> str | None:
    """DOCX or XLSX if the ZIP has the parts that make one (checked in full by check_ooxml), else None."""
    archive = _zip(content)
    if archive is None:
        return None
    names = set(archive.namelist())
    if "[Content_Types].xml" not in names:
        return None
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names:
        return XLSX
    return None


def _is_macro_office(content: bytes) -> bool:
    archive = _zip(content)
    return archive is not None and any(n.lower().endswith("vbaproject.bin") for n in archive.namelist())


def _member_name_problem(name: str) -> bool:
    """A member name that could write outside the folder it is unpacked into, or hide what it is."""
    parts = name.replace("\\", "/").split("/")
    return (name.startswith(("/", "\\")) or "\\" in name or ".." in parts or bool(re.match(r"^[A-Za-z]:", name))
            or any(not ch.isprintable() for ch in name) or len(name) > 260)


def check_ooxml(content: bytes) -> None:
    """Rejected unless `content` is a plain Word or Excel file: a ZIP with nothing before or after it,
    member names without path tricks, no encrypted members, no macros or ActiveX controls, no embedded
    files or nested archives, no external templates or frames (remote content fetched on opening), and
    at most MAX_OOXML_MEMBERS members and MAX_OOXML_INFLATED bytes unpacked (counted while unpacking,
    since a ZIP's stated sizes can lie), each compressed no more than MAX_OOXML_RATIO to one."""
    archive = _zip(content)
    if archive is None or not content.startswith(ZIP_MAGIC):
        raise Rejected(DAMAGED_OFFICE)
    with archive:
        members = archive.infolist()
        if len(members) > MAX_OOXML_MEMBERS:
            raise Rejected(OFFICE_BOMB)
        directory_end = content.rfind(_ZIP_END)
        comment = int.from_bytes(content[directory_end + 20:directory_end + 22], "little")
        if directory_end + 22 + comment != len(content):
            raise Rejected(HIDDEN_OFFICE)
        for member in members:
            lower = member.filename.lower()
            if _member_name_problem(member.filename):
                raise Rejected(OFFICE_PATHS)
            if member.flag_bits & 0x1:
                raise Rejected(PASSWORD_OFFICE)
            if lower.endswith("vbaproject.bin") or "activex" in lower:
                raise Rejected(OFFICE_MACROS)
            if "/embeddings/" in lower or lower.rsplit(".", 1)[-1] in NESTED_EXTENSIONS:
                raise Rejected(OFFICE_NESTED)
        inflated = 0
        for member in members:
            if member.file_size > MAX_OOXML_RATIO * max(member.compress_size, 1) and member.file_size > 1024 * 1024:
                raise Rejected(OFFICE_BOMB)
            whole = member.filename == "[Content_Types].xml" or member.filename.endswith(".rels")
            head, kept = b"", []
            try:
                with archive.open(member) as stream:
                    while chunk := stream.read(65536):
                        head = head or chunk[:8]
                        inflated += len(chunk)
                        if inflated > MAX_OOXML_INFLATED:
                            raise Rejected(OFFICE_BOMB)
                        if whole:
                            kept.append(chunk)
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
                raise Rejected(DAMAGED_OFFICE) from exc
            if head.startswith(NESTED_MAGICS):
                raise Rejected(OFFICE_NESTED)
            if whole:
                _check_ooxml_part(b"".join(kept))


def _check_ooxml_part(xml: bytes) -> None:
    """[Content_Types].xml or a relationships part: no macro content types, no external targets other than
    hyperlinks (an external template or frame is fetched when the document opens)."""
    if _OOXML_MACRO_RE.search(xml):
        raise Rejected(OFFICE_MACROS)
    for tag in _RELATIONSHIP_RE.findall(xml):
        if _EXTERNAL_RE.search(tag) and not _HYPERLINK_RE.search(tag):
            raise Rejected(OFFICE_EXTERNAL)


CHECKS = {PDF: check_pdf, PNG: check_png, JPEG: check_jpeg, DOCX: check_ooxml, XLSX: check_ooxml}


MAX_NAME_CHARS = 200
NAME_PATH = ("The file's name contains folder parts (such as ../ or C:\\). "
             "Rename the file to a plain name, like budget.pdf, and upload it again.")
NAME_HIDDEN = ("The file's name contains hidden control or text-direction characters, which can disguise what the "
               "file is. Rename the file to a plain name, like budget.pdf, and upload it again.")
NAME_LONG = (f"The file's name is longer than {MAX_NAME_CHARS} characters. "
             "Rename it to something shorter and upload it again.")
NAME_EXTENSIONS = {PDF: ("pdf",), PNG: ("png",), JPEG: ("jpg", "jpeg", "jpe", "jfif"), DOCX: ("docx",),
                   XLSX: ("xlsx",)}


def name_problem(name: str, kind: str) -> str | None:
    """Why the name a file was uploaded under is refused, or None. Browsers send a plain name, so folder
    parts, control or direction-override characters and very long names mean a crafted request; a name
    whose extension is not the type the bytes are ("budget.pdf.exe" holding a PDF) would be saved under a
    misleading name by whoever downloads it."""
    if "/" in name or "\\" in name or re.match(r"^[A-Za-z]:", name) or name.strip(" .") == "":
        return NAME_PATH
    if any(not ch.isprintable() or unicodedata.category(ch) in ("Cf", "Co", "Cs") for ch in name):
        return NAME_HIDDEN
    if len(name) > MAX_NAME_CHARS:
        return NAME_LONG
    stem, dot, extension = name.rpartition(".")
    allowed = NAME_EXTENSIONS[kind]
    if dot and stem and extension.lower() not in allowed:
        return (f"The file's name ends in .{extension}, but the file is {with_article(TYPE_LABELS[kind])}. "
                f"Rename it to end in .{allowed[0]} and upload it again.")
    return None


def display_name(name: str, limit: int = 120) -> str:
    """The uploaded file's name, safe to show and to send back as a download name: the last path part only
    (either slash), no control or direction-override characters (U+202E turns "invoice\u202efdp.exe" into
    what looks like "invoiceexe.pdf"), no leading dots, at most `limit` characters keeping the extension."""
    name = re.split(r"[\\/]", name or "")[-1]
    name = unicodedata.normalize("NFC", name)
    name = " ".join(name.split())  # tabs, newlines and no-break spaces become one space
    name = "".join(ch for ch in name if ch.isprintable() and unicodedata.category(ch) not in ("Cf", "Co", "Cs"))
    name = name.lstrip(". ").rstrip(" ")
    if not name:
        return "upload"
    if len(name) > limit:
        stem, dot, ext = name.rpartition(".")
        ext = ext[:10] if dot and stem else ""
        name = name[: limit - len(ext) - 2].rstrip() + "…" + ("." + ext if ext else "")
    return name


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
