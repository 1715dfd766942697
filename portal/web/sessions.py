"""Session, user and CSRF middleware.

- Loads the session named by the cookie and puts the signed-in `Principal` in `scope["user"]`.
- Checks a CSRF token on every unsafe request: from the session for signed-in users; for anonymous
  visitors (sign-in, registration, reset forms) an HMAC of a random pre-session cookie. Cross-site
  requests (`Sec-Fetch-Site: cross-site`) are refused outright.
- Owns the cookie: handlers call `SessionState.sign_in` / `sign_out`, and the new or cleared cookie is
  written when the response starts.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from litestar import Request
from litestar.datastructures import Cookie, MutableScopeHeaders, State
from litestar.enums import ScopeType
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send

from portal.accounts import sessions
from portal.core import clock
from portal.core.actor import Actor, Principal
from portal.core.errors import Forbidden
from portal.core.security import same, sign
from portal.settings import Settings
from portal.web.proxy import client_ip

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# Anchored: only these exact paths skip CSRF (they authenticate by signature instead).
CSRF_EXEMPT = re.compile(r"^/webhooks/stripe$")
CSRF_FIELD = "_csrf"
CSRF_HEADER = "x-csrf-token"


class CsrfFailed(Forbidden):
    title = "Your form expired"

    def __init__(self) -> None:
        super().__init__(
            "This form could not be accepted because its security token is missing or out of date. "
            "Nothing was lost: go back, reload the page and send it again."
        )


@dataclass
class SessionState:
    settings: Settings
    ip: str
    session: sessions.LoadedSession | None = None
    user: Principal | None = None
    anon_id: str = ""
    expired: sessions.LoadedSession | None = None
    """On an unsafe request: the session the cookie named if it has expired and the request's CSRF token is
    that session's (the same browser). The visitor is anonymous; pages may keep what they sent for later."""
    _new_cookie: str | None = None
    _new_anon: bool = False
    _clear: bool = False
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def actor(self) -> Actor:
        return Actor(user=self.user, ip=self.ip)

    def csrf_token(self) -> str:
        if self.session is not None:
            return self.session.csrf_token
        if not self.anon_id:
            self.anon_id = secrets.token_urlsafe(24)
            self._new_anon = True
        return sign(self.settings.secret_key, "anon-csrf:" + self.anon_id)

    async def sign_in(self, user_id: int) -> None:
        """Start a new session for `user_id`, ending the current one: the id always changes at sign-in."""
        if self.session is not None:
            await sessions.end_session(self.session.id)
        token, self.session = await sessions.create_session(user_id, self.ip, self.settings.session_hours)
        self.user = await sessions.load_principal(user_id)
        self._new_cookie = token
        self._clear = False

    async def sign_out(self) -> None:
        if self.session is not None:
            await sessions.end_session(self.session.id)
        self.session = None
        self.user = None
        self._clear = True


PortalRequest = Request[Principal | None, SessionState, State]
"""A request as the portal's handlers get it: `user` is the signed-in Principal (or None), `auth` the session
state this middleware puts in the scope."""


class PortalScope(HTTPScope, total=False):
    """The HTTP scope with the keys this middleware adds (app.py and the submission handlers read them)."""

    received_at: datetime
    """When the request reached the portal, before any waiting: a submission's time against its deadline."""
    csrf_failed: bool
    """The CSRF check failed: the app answers with its "form expired" page."""
    body_too_large: bool
    """The form was over the size limit, so no CSRF token could be read from it: the app answers 413."""


def cookie_names(settings: Settings) -> tuple[str, str]:
    prefix = "__Host-" if settings.secure_cookies else ""
    return prefix + "portal_session", prefix + "portal_anon"


def state_of(request: PortalRequest) -> SessionState:
    state: SessionState = request.scope["auth"]
    return state


class SessionMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)
    exclude_path_pattern = ("^/static/", "^/vendor/")

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.session_cookie, self.anon_cookie = cookie_names(settings)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        # When the request reached the portal, before any waiting (for the database, for other writers): a
        # submission that arrived before the deadline counts as on time however long the queue behind it.
        # (Only HTTP scopes reach this middleware: `scopes` above.)
        portal_scope = cast(PortalScope, scope)
        portal_scope.setdefault("received_at", clock.now())
        path: str = scope["path"]
        request: PortalRequest = Request(scope, receive)
        # The app's settings as they are now (the tests change them on a running app), not as at start-up.
        settings: Settings = scope["app"].state.settings
        state = SessionState(settings=settings, ip=client_ip(scope, settings.trusted_proxies))
        state.session = await sessions.load_session(request.cookies.get(self.session_cookie, ""),
                                                    settings.session_hours, settings.session_max_hours)
        if state.session is not None and state.session.user_id is not None:
            state.user = state.session.principal
            if state.user is None:  # deactivated since
                await sessions.end_session(state.session.id)
                state.session = None
                state._clear = True
        state.anon_id = request.cookies.get(self.anon_cookie, "")[:64]
        scope["auth"] = state
        scope["user"] = state.user

        if request.method not in SAFE_METHODS and not CSRF_EXEMPT.match(path):
            cookie = request.cookies.get(self.session_cookie, "")
            if state.session is None and cookie:
                state.expired = await sessions.load_expired_session(cookie, settings.session_max_hours)
            if not await self._csrf_ok(request, state):
                state.expired = None
                # Raised here, the app's exception handlers are not in reach: render through the app.
                portal_scope["csrf_failed"] = True

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._write_cookies(message, state)
            await send(message)

        await next_app(scope, receive, send_wrapper)

    async def _csrf_ok(self, request: PortalRequest, state: SessionState) -> bool:
        if request.headers.get("sec-fetch-site") == "cross-site":
            return False
        presented = request.headers.get(CSRF_HEADER, "")
        if not presented:
            content_type, _ = request.content_type
            if content_type in {"application/x-www-form-urlencoded", "multipart/form-data"}:
                try:
                    form = await request.form()
                except RequestEntityTooLarge:  # no token read, but the form did not expire: say it is too large
                    cast(PortalScope, request.scope)["body_too_large"] = True
                    return False
                except Exception:  # malformed body: no token can be read from it
                    return False
                value = form.get(CSRF_FIELD)
                presented = value if isinstance(value, str) else ""
        if not presented:
            return False
        if state.session is not None:
            return same(presented, state.session.csrf_token)
        if state.expired is not None and same(presented, state.expired.csrf_token):
            return True
        state.expired = None
        if not state.anon_id:
            return False
        return same(presented, sign(self.settings.secret_key, "anon-csrf:" + state.anon_id))

    def _write_cookies(self, message: Message, state: SessionState) -> None:
        headers = MutableScopeHeaders.from_message(message)
        secure = self.settings.secure_cookies
        max_age = state.settings.session_max_hours * 3600  # the session itself ends sooner if left idle
        if state._new_cookie:
            headers.add("set-cookie", Cookie(key=self.session_cookie, value=state._new_cookie, path="/", secure=secure,
                                             httponly=True, samesite="lax", max_age=max_age).to_header(header=""))
        elif state._clear:
            headers.add("set-cookie", Cookie(key=self.session_cookie, value="", path="/", secure=secure, httponly=True,
                                             samesite="lax", max_age=0).to_header(header=""))
        if state._new_anon:
            headers.add("set-cookie", Cookie(key=self.anon_cookie, value=state.anon_id, path="/", secure=secure,
                                             httponly=True, samesite="lax").to_header(header=""))
