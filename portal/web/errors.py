"""HTML error pages (and fragments for HTMX requests) for every error; no JSON or trace reaches a browser."""

from __future__ import annotations

import logging

from litestar import Response
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.plugins.htmx import HTMXRequest
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from portal.core.errors import DomainError
from portal.web.render import render
from portal.web.sessions import PortalRequest

log = logging.getLogger("portal.errors")

TITLES = {
    400: "This request could not be understood",
    401: "Please sign in",
    403: "You do not have permission to do this",
    404: "Page not found",
    405: "This action is not available here",
    409: "This changed since you loaded it",
    413: "That upload is too large",
    422: "Please correct the errors below",
    429: "Too many attempts",
    500: "Something went wrong on our side",
}

MESSAGES = {
    400: "The request was malformed. Go back and try again; nothing you entered has been changed.",
    404: "There is nothing here, or you do not have access to it.",
    405: "This address does not accept that kind of request.",
    413: "The file or form you sent is larger than the portal accepts.",
    500: "The error has been logged. Nothing you saved before this is lost; please try again in a moment.",
}


class BodyTooLarge(DomainError):
    """A form (with its files) larger than the app reads. Nothing of it was read, so nothing was saved: the page
    says the limit and what to do; the form the user filled in is still in the browser (Back)."""

    status_code = 413
    title = "That upload is too large"

    def __init__(self, limit_bytes: int | None) -> None:
        limit = f"{limit_bytes // (1024 * 1024)} MB" if limit_bytes else "the limit"
        super().__init__(
            f"The portal accepts at most {limit} in one form, files included, and this one was larger. Nothing "
            "from this form was saved or uploaded. Go back to the form (your browser's Back button keeps what you "
            "typed), save your answers, and upload a smaller file: each file field shows its own limit. To make a "
            "PDF smaller, save it with a lower image quality or split it into parts.")


def error_response(request: PortalRequest, status: int, message: str = "", title: str = "") -> Response[str]:
    ctx = {
        "status": status,
        "title": title or TITLES.get(status, "Something is wrong with this request"),
        "message": message or MESSAGES.get(status, ""),
    }
    headers = {}
    if isinstance(request, HTMXRequest) and request.htmx:
        # Show the message in the page's alert region instead of replacing the target.
        headers = {"HX-Retarget": "#page-alerts", "HX-Reswap": "innerHTML"}
    return render(request, "errors/error.html", ctx, block="alert", status_code=status, headers=headers)


def handle_domain_error(request: PortalRequest, exc: DomainError) -> Response[str]:
    return error_response(request, exc.status_code, exc.message, exc.title)


def handle_http_exception(request: PortalRequest, exc: HTTPException) -> Response[str]:
    status = exc.status_code
    if isinstance(exc, NotAuthorizedException) or status == 401:
        return sign_in_redirect(request)
    if isinstance(exc, ValidationException):
        return error_response(request, 400)
    if status == 413:  # a body over the limit read anywhere else than read_form: the same page
        too_large = BodyTooLarge(request.route_handler.resolve_request_max_body_size())
        return error_response(request, 413, too_large.message, too_large.title)
    detail = exc.detail if status < 500 and exc.detail and exc.detail not in TITLES.values() else ""
    return error_response(request, status, detail if len(detail) < 300 else "")


def handle_server_error(request: PortalRequest, exc: Exception) -> Response[str]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(request, HTTP_500_INTERNAL_SERVER_ERROR)


def sign_in_redirect(request: PortalRequest) -> Response[str]:
    from urllib.parse import quote

    target = "/login?next=" + quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    if isinstance(request, HTMXRequest) and request.htmx:
        return Response(content="", status_code=401, headers={"HX-Redirect": target, "Vary": "HX-Request"})
    return Response(content="", status_code=303, headers={"Location": target, "Vary": "HX-Request"})
