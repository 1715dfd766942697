"""One access-log line per request (`PORTAL_ACCESS_LOG=true`), written by the app itself, so that it looks the
same whatever server runs it: `GET /programs 200` on the logger `portal.access`.

Query strings are left out, and a path carrying a token (password reset, invitations) is logged as its route
(`/reset/{token}`): a log must not hold credentials.
"""

from __future__ import annotations

import logging

from litestar.enums import ScopeType
from litestar.types import Message, Scope

log = logging.getLogger("portal.access")


def logged_path(scope: Scope) -> str:
    template = scope.get("path_template") or ""
    return template if "{token" in template else scope["path"]


async def log_access(message: Message, scope: Scope) -> None:
    """A `before_send` hook: one line when the response starts, with its status (errors and 404s included)."""
    if message["type"] == "http.response.start" and scope["type"] == ScopeType.HTTP:
        log.info("%s %s %s", scope["method"], logged_path(scope), message["status"])
