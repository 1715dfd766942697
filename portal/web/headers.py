"""Security headers on every response.

The Content-Security-Policy is strict (scripts, frames and fetches from the portal's own origin only). A page
that needs a third party (the pledge page loads Stripe.js) sets its own policy with `content_security_policy`
naming exactly those origins; `add_security_headers` only fills in headers a response has not set.
"""

from __future__ import annotations

from collections.abc import Iterable

from litestar import Response

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


def content_security_policy(*, script: Iterable[str] = (), frame: Iterable[str] = (),
                            connect: Iterable[str] = ()) -> str:
    """The portal's policy, with extra origins allowed for scripts, frames and fetches (for one page only)."""
    extra = {"script-src": list(script), "frame-src": list(frame), "connect-src": list(connect)}
    parts = []
    for name, sources in DIRECTIVES:
        allowed = list(sources) + [s for s in extra.get(name, []) if s not in sources]
        parts.append(f"{name} {' '.join(allowed)}")
    return "; ".join(parts)


CSP = content_security_policy()


def add_security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    return response
