"""The PDF URL fetcher serves the static assets and data: URLs, and nothing else."""

from __future__ import annotations

import pytest

from portal.core.pdf import BASE_URL, RefusedURL, StaticOnlyFetcher, render_pdf
from portal.settings import ROOT


@pytest.fixture
def fetcher():
    return StaticOnlyFetcher()


@pytest.mark.parametrize("url", [
    "file:///etc/passwd",
    "FILE:///etc/passwd",
    "http://127.0.0.1/",
    "http://127.0.0.1:1/x",
    "https://example.org/static/css/portal.css",
    BASE_URL + "static/../portal/settings.py",
    BASE_URL + "static/%2e%2e/portal/settings.py",
    BASE_URL + "static/..%2fpyproject.toml",
    BASE_URL + "portal/settings.py",
    BASE_URL + "vendor/uswds/js/uswds.min.js",
    BASE_URL + "static/",
    BASE_URL + "static/css/missing.css",
    "ftp://127.0.0.1/x",
])
def test_fetcher_refuses_url_outside_static(fetcher, url):
    with pytest.raises(RefusedURL):
        fetcher.fetch(url)


def test_fetcher_serves_static_file(fetcher):
    response = fetcher.fetch(BASE_URL + "static/css/portal.css")
    assert response.read() == (ROOT / "static/css/portal.css").read_bytes()
    assert response.content_type == "text/css"


def test_fetcher_serves_uswds_font(fetcher):
    response = fetcher.fetch(BASE_URL + "vendor/uswds/fonts/public-sans/PublicSans-Regular.ttf")
    assert response.read()[:4] == b"\x00\x01\x00\x00"


def test_fetcher_serves_data_url(fetcher):
    assert fetcher.fetch("data:text/plain;base64,aGVsbG8=").read() == b"hello"
    assert fetcher.fetch("data:text/plain,hi%20there").read() == b"hi there"


def test_render_pdf_embeds_no_local_file():
    from io import BytesIO

    from pypdf import PdfReader

    html = ('<html><body><p>Letter</p><img src="file:///etc/passwd">'
            '<a rel="attachment" href="file:///etc/passwd">passwd</a>'
            '<link rel="stylesheet" href="file:///etc/passwd"></body></html>')
    content = render_pdf(html)
    assert content[:5] == b"%PDF-"
    reader = PdfReader(BytesIO(content))
    assert reader.attachments == {}
    assert b"root:" not in content
