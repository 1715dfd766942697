"""The one render helper: a whole page, or one named block of it for HTMX requests."""

from __future__ import annotations

from collections.abc import Mapping

from litestar import Response
from litestar.enums import MediaType
from litestar.plugins.htmx import HTMXRequest

from portal.core.templating import render as render_template
from portal.web.sessions import PortalRequest, state_of


def page_context(request: PortalRequest) -> dict[str, object]:
    state = state_of(request) if "auth" in request.scope else None
    return {
        "request": request,
        "user": state.user if state else None,
        "csrf_token": state.csrf_token if state else (lambda: ""),
        "path": request.url.path,
        "flash": request.scope.get("flash"),
    }


def render(
    request: PortalRequest,
    template: str,
    context: Mapping[str, object] | None = None,
    *,
    block: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response[str]:
    """Render `template`; for an HTMX request with `block` set, only that block. Always `Vary: HX-Request`."""
    ctx = {**page_context(request), **(context or {})}
    is_htmx = isinstance(request, HTMXRequest) and bool(request.htmx)
    html = render_template(template, ctx, block=block if (block and is_htmx) else None)
    response = Response(content=html, media_type=MediaType.HTML, status_code=status_code, headers=headers or {})
    response.headers["Vary"] = "HX-Request"
    response.headers["Cache-Control"] = "no-store" if ctx["user"] else "no-cache"
    return response


def redirect(request: PortalRequest, url: str) -> Response[str]:
    """After a successful POST: 303 to `url`, or `HX-Location` for an HTMX request."""
    if isinstance(request, HTMXRequest) and request.htmx:
        return Response(content="", status_code=200, headers={"HX-Location": url, "Vary": "HX-Request"})
    return Response(content="", status_code=303, headers={"Location": url, "Vary": "HX-Request"})


def fragment(request: PortalRequest, template: str, block: str, context: Mapping[str, object] | None = None, *,
             status_code: int = 200, headers: dict[str, str] | None = None) -> Response[str]:
    """One named block of `template`, whoever asks (for endpoints that only page scripts call)."""
    ctx = {**page_context(request), **(context or {})}
    response = Response(content=render_template(template, ctx, block=block), media_type=MediaType.HTML,
                        status_code=status_code, headers=headers or {})
    response.headers["Cache-Control"] = "no-store"
    return response
