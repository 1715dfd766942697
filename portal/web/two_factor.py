"""Staff and administrators enrol a second factor before anything else (issue 10, security finding 5).

Runs after the session middleware: a signed-in staff member or administrator without a confirmed authenticator
app or passkey is sent to the account security page from every other page (303 for a page, `HX-Redirect` for
an HTMX request), and every other unsafe request is refused with 403. Off when the setting
`two_factor_required_for_staff` is (read per request, from the app's settings).
"""

from __future__ import annotations

import re

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Response
from litestar.types import ASGIApp, Receive, Scope, Send

from portal.accounts.two_factor import queries
from portal.core.actor import Principal
from portal.web.errors import error_response

ENROL_URL = "/account/security?required=1"
# What a staff member without a factor may still reach: the enrolment itself, sign-in and sign-out.
ALLOWED = re.compile(r"^/(account/security(/[a-z0-9/-]*)?|login(/two-factor(/passkey-options)?)?|logout)$")
SAFE_METHODS = {"GET", "HEAD"}


class TwoFactorEnrolmentMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)
    exclude_path_pattern = ("^/static/", "^/vendor/")

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        user: Principal | None = scope.get("user")
        if (user is None or not user.is_staff or ALLOWED.match(scope["path"])
                or not scope["app"].state.settings.two_factor_required_for_staff
                or await queries.has_second_factor(user.id)):
            await next_app(scope, receive, send)
            return
        request: HTMXRequest = HTMXRequest(scope, receive)
        if request.htmx:
            response = Response(content="", status_code=403, headers={"HX-Redirect": ENROL_URL, "Vary": "HX-Request"})
        elif request.method in SAFE_METHODS:
            response = Response(content="", status_code=303, headers={"Location": ENROL_URL, "Vary": "HX-Request"})
        else:
            response = error_response(request, 403, "Staff and administrators set up two-factor sign-in before "
                                                    "they use the portal. Go to Account security to set it up.")
        await response.to_asgi_response(None, request)(scope, receive, send)
