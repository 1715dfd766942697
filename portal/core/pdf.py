"""PDF documents with WeasyPrint, fenced off from the network and from local files.

WeasyPrint's default URL fetcher opens any URL it meets, `file://` included: a city name containing
`<img src="file:///etc/passwd">` (escaped by Jinja, but a template mistake away) or a stylesheet
link would embed server files or make the server call out. The fetcher here serves only:

- `/static/...`            -> files under the repository's static/ directory,
- `/vendor/uswds/fonts/...` -> the USWDS fonts (node_modules/@uswds/uswds/dist/fonts),
- `data:` URLs,

all addressed relative to BASE_URL, an origin that never leaves the process. Anything else is refused.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import mimetypes
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from portal.settings import ROOT

log = logging.getLogger(__name__)

# Relative URLs in documents resolve against this origin; `.invalid` never resolves in DNS (RFC 2606).
BASE_URL = "https://portal.invalid/"
# URL path prefix -> directory served under it.
SERVED_DIRS: dict[str, Path] = {
    "/static/": ROOT / "static",
    "/vendor/uswds/fonts/": ROOT / "node_modules" / "@uswds" / "uswds" / "dist" / "fonts",
}
_ORIGIN = BASE_URL.rstrip("/")


class RefusedURL(ValueError):
    """A document asked for a URL outside the static assets: it gets nothing."""


def local_file_for(url: str) -> Path:
    """The file a permitted URL names; RefusedURL for anything else (other schemes, hosts, paths, `..`)."""
    if not url.startswith(_ORIGIN + "/"):
        raise RefusedURL(f"not a static asset: {url[:200]}")
    parts = urlsplit(url)
    path = unquote(parts.path)
    if "\x00" in path or "\\" in path:
        raise RefusedURL(f"not a static asset: {url[:200]}")
    for prefix, directory in SERVED_DIRS.items():
        if path.startswith(prefix):
            base = directory.resolve()
            candidate = (base / path[len(prefix):]).resolve()
            if candidate != base and candidate.is_relative_to(base) and candidate.is_file():
                return candidate
            break
    raise RefusedURL(f"not a static asset: {url[:200]}")


def _data_url(url: str) -> tuple[bytes, str]:
    header, _, payload = url[5:].partition(",")
    media_type = header.removesuffix(";base64") or "text/plain"
    data = base64.b64decode(payload) if header.endswith(";base64") else unquote(payload).encode()
    return data, media_type


class StaticOnlyFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that never touches the network or files outside the static assets."""

    def __init__(self) -> None:
        super().__init__(timeout=1, allowed_protocols=("https", "data"), allow_redirects=False)

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        if url[:5].lower() == "data:":
            data, media_type = _data_url(url)
            return URLFetcherResponse(url, data, {"Content-Type": media_type})
        path = local_file_for(url)
        media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if path.suffix == ".ttf":
            media_type = "font/ttf"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": media_type})

    def open(self, url: Any, data: Any = None, timeout: Any = None) -> URLFetcherResponse:
        # urllib's entry point: same rules
        return self.fetch(url if isinstance(url, str) else url.full_url)


def render_pdf(html: str) -> bytes:
    """Render an HTML document to PDF bytes with the static-only fetcher."""
    pdf: bytes = HTML(string=html, base_url=BASE_URL, url_fetcher=StaticOnlyFetcher()).write_pdf()
    return pdf


def store_pdf(files_dir: Path, subdir: str, content: bytes) -> tuple[str, str]:
    """Write `content` under files_dir/subdir/<random>.pdf; returns (stored name, sha256)."""
    directory = files_dir / subdir
    directory.mkdir(parents=True, exist_ok=True)
    name = secrets.token_hex(16) + ".pdf"
    tmp = directory / (name + ".tmp")
    tmp.write_bytes(content)
    tmp.replace(directory / name)
    return name, hashlib.sha256(content).hexdigest()


def stored_path(files_dir: Path, subdir: str, name: str) -> Path | None:
    """The path of a stored file, or None if the name is not one we make or the file is gone."""
    if not name or "/" in name or "\\" in name or name.startswith(".") or not name.endswith(".pdf"):
        return None
    path = files_dir / subdir / name
    return path if path.is_file() else None
