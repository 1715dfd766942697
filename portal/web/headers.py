"""Security headers on every response.

The Content-Security-Policy is strict: scripts, frames and fetches from the portal's own origin only; forms post
to the portal and, with Stripe configured, to Stripe's hosted onboarding (the payouts form redirects there). A
page that needs a third party (the funder's pledge page loads Stripe.js) sets its own policy with `page_policy`,
naming exactly those origins; `add_security_headers` fills in only the headers a response has not set.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import urlsplit

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

from portal.settings import StripeSettings

DIRECTIVES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("default-src", ("'self'",)),
    ("script-src", ("'self'",)),
    ("style-src", ("'self'", "'unsafe-inline'")),
    ("img-src", ("'self'", "data:")),
    ("font-src", ("'self'",)),
    ("connect-src", ("'self'",)),
    ("frame-src", ("'self'",)),
    ("frame-ancestors", ("'none'",)),
    ("form-action", ("'self'",)),
    ("base-uri", ("'self'",)),
    ("object-src", ("'none'",)),
)
STRIPE_HOSTED_ORIGIN = "https://connect.stripe.com"
"""Where Stripe's hosted onboarding lives (an AccountLink's URL)."""


def policy(*, script: Iterable[str] = (), frame: Iterable[str] = (), connect: Iterable[str] = (),
           form_action: Iterable[str] = ()) -> str:
    """The portal's policy, with extra origins allowed for scripts, frames, fetches and form targets."""
    extra = {"script-src": list(script), "frame-src": list(frame), "connect-src": list(connect),
             "form-action": list(form_action)}
    parts = []
    for name, sources in DIRECTIVES:
        allowed = list(sources) + [s for s in dict.fromkeys(extra.get(name, [])) if s not in sources]
        parts.append(f"{name} {' '.join(allowed)}")
    return "; ".join(parts)


CSP = policy()


def stripe_hosted_origins(stripe: StripeSettings) -> tuple[str, ...]:
    """The origins of Stripe's hosted pages that a form of ours sends the browser to (the payouts form answers
    with a 303 to an AccountLink): Stripe's own and, with `STRIPE_API_BASE` (a local Stripe in the tests), that
    server's, which may serve the hosted pages too. None while Stripe is not configured."""
    if not stripe.configured:
        return ()
    origins = [STRIPE_HOSTED_ORIGIN]
    if stripe.api_base:
        parts = urlsplit(stripe.api_base)
        origins.append(f"{parts.scheme}://{parts.netloc}")
    return tuple(dict.fromkeys(origins))


@lru_cache(maxsize=8)
def content_security_policy(stripe: StripeSettings) -> str:
    """The policy, with Stripe's hosted origin among the allowed form targets: browsers apply `form-action` to
    the redirects that follow a form's submission too, so without it "Set up payouts with Stripe" stops dead."""
    return policy(form_action=stripe_hosted_origins(stripe))


def page_policy(stripe: StripeSettings, *, script: Iterable[str] = (), frame: Iterable[str] = (),
                connect: Iterable[str] = ()) -> str:
    """The policy of one page that needs more than the portal itself (the pledge page: Stripe.js): every page's,
    plus these origins for scripts, frames and fetches."""
    return policy(script=script, frame=frame, connect=connect, form_action=stripe_hosted_origins(stripe))


SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)


def hsts(seconds: int) -> tuple[tuple[str, str], ...]:
    """Strict-Transport-Security when configured (production): browsers then refuse plain http to the portal's
    host for `seconds`. Not on subdomains: a city's other sites under the same domain are not ours to decide."""
    return (("Strict-Transport-Security", f"max-age={seconds}"),) if seconds > 0 else ()


async def add_security_headers(message: Message, scope: Scope) -> None:
    """The app's `before_send` hook: the security headers on every response that does not set its own.

    A `before_send` hook rather than `after_request`: Litestar memoises a route handler's `after_request` on the
    handler, which every app in a process shares (the tests run two, one per engine), and the policy depends on
    the Stripe settings of the app answering (`scope["app"]`, as they are now: the tests configure Stripe on a
    running app)."""
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    settings = scope["app"].state.settings
    wanted = (("Content-Security-Policy", content_security_policy(settings.stripe)), *SECURITY_HEADERS,
              *hsts(settings.hsts_seconds))
    for name, value in wanted:
        if name not in headers:
            headers[name] = value
