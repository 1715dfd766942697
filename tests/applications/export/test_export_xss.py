"""Fifty-odd hostile answers, one a line, stay inert text in every document made from an application: the PDF
(no links, attachments, scripts or local files), Markdown (a renderer that allows HTML shows them as text)
and Word."""

from __future__ import annotations

import io
from html.parser import HTMLParser
from pathlib import Path

from docx import Document
from markdown_it import MarkdownIt
from pypdf import PdfReader

from portal.applications.tables import Application
from tests.factories import VALID_ANSWERS
from tests.factories.applications import signed

PAYLOADS = [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<svg onload=alert(1)>",
    "<iframe src=javascript:alert(1)>", "<body onload=alert(1)>", '<a href="javascript:alert(1)">x</a>',
    "<math><mi xlink:href=javascript:alert(1)>x</mi></math>", '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>", "</textarea><script>alert(1)</script>", "</title><script>alert(1)</script>",
    "<style>@import 'file:///etc/passwd';</style>", "<link rel=stylesheet href=file:///etc/passwd>",
    "<link rel=attachment href=file:///etc/passwd>", "<object data=file:///etc/passwd>",
    "<embed src=file:///etc/passwd>", "<img src=file:///etc/passwd>", "<img src=http://127.0.0.1:9/x.png>",
    "<base href=file:///etc/>", "<meta http-equiv=refresh content=0;url=javascript:alert(1)>", "{{ 7*7 }}",
    "{% raw %}", "${7*7}", '<div style="background:url(file:///etc/passwd)">x</div>',
    "<input onfocus=alert(1) autofocus>", "<details open ontoggle=alert(1)>",
    "<video><source onerror=alert(1)></video>", "<audio src=x onerror=alert(1)>", "<marquee onstart=alert(1)>",
    "<isindex action=javascript:alert(1)>", "javascript:alert(1)", "data:text/html,<script>alert(1)</script>",
    "file:///etc/passwd", "<!--<img src=x onerror=alert(1)>-->", "<![CDATA[<script>alert(1)</script>]]>",
    '<?xml version="1.0"?><x/>', "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;", "<scr<script>ipt>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>", '<img """><script>alert(1)</script>">',
    '<table background="javascript:alert(1)">', "<form action=javascript:alert(1)><button>x</button></form>",
    "<x onclick=alert(1)>click", "[x](javascript:alert(1))", "![x](file:///etc/passwd)", "<file:///etc/passwd>",
    "| a | b |", "**bold** _it_ `code`", "# heading", "\\<script\\>",
    '<a rel="attachment" href="/static/../../etc/passwd">x</a>', '<img src="/static/../../../etc/passwd">',
    "@import url(file:///etc/passwd);", "1. not a list", "> not a quote", "---",
]
PASSWD_LINE = Path("/etc/passwd").read_text().splitlines()[0]
MARKDOWN_TAGS = {"h1", "h2", "h3", "p", "ul", "li", "em", "strong", "blockquote", "br", "code", "table", "thead",
                 "tbody", "tr", "th", "td"}


def squeezed(text: str) -> str:
    """Without any whitespace: PDF text extraction breaks lines where the layout wrapped them."""
    return "".join(text.split())


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_data(self, data):
        self.text.append(data)


async def hostile_draft(world) -> int:
    answers = {**VALID_ANSWERS, "project_title": PAYLOADS[0] + " title", "contact_name": PAYLOADS[1],
               "need": "\n".join(PAYLOADS)}
    await Application.update({Application.answers: answers}).where(Application.id == world["application_b"])
    return world["application_b"]


async def test_hostile_answers_are_text_in_the_pdf(world, as_persona):
    application_id = await hostile_draft(world)
    client = await as_persona("stranger")
    await client.get(f"/applications/{application_id}")
    assert (await client.post(f"/applications/{application_id}/submit", signed("Stranger"))).status_code == 303
    response = await client.get(f"/applications/{application_id}/application.pdf")
    reader = PdfReader(io.BytesIO(response.content))
    text = squeezed("".join(page.extract_text() for page in reader.pages))
    missing = [p for p in PAYLOADS if squeezed(p) not in text]
    assert missing == []
    assert PASSWD_LINE not in text
    assert all("/Annots" not in page for page in reader.pages)
    assert "/Names" not in reader.trailer["/Root"] and "/OpenAction" not in reader.trailer["/Root"]
    for marker in (b"/JavaScript", b"/JS ", b"/EmbeddedFile", b"/Launch", b"/URI"):
        assert marker not in response.content, marker


async def test_hostile_answers_are_text_in_markdown(world, as_persona):
    application_id = await hostile_draft(world)
    client = await as_persona("stranger")
    markdown = (await client.get(f"/applications/{application_id}/answers.md")).text
    parser = Tags()
    parser.feed(MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown))
    assert {tag for tag, _ in parser.tags} <= MARKDOWN_TAGS
    assert [(tag, attrs) for tag, attrs in parser.tags if attrs] == []
    shown = squeezed("".join(parser.text))
    assert [p for p in PAYLOADS if squeezed(p) not in shown] == []
    assert PASSWD_LINE not in markdown


async def test_hostile_answers_are_text_in_word(world, as_persona):
    application_id = await hostile_draft(world)
    client = await as_persona("stranger")
    document = Document(io.BytesIO((await client.get(f"/applications/{application_id}/answers.docx")).content))
    text = squeezed("".join(p.text for p in document.paragraphs))
    assert [p for p in PAYLOADS if squeezed(p) not in text] == []
    assert PASSWD_LINE not in text
