"""What the pledge page's Content-Security-Policy must allow for Stripe.js (pure: from the settings alone)."""

from __future__ import annotations

from urllib.parse import urlsplit

from portal.payments.gateway import STRIPE_API
from portal.settings import STRIPE_JS_URL, StripeSettings


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def stripe_js_sources(settings: StripeSettings) -> dict[str, list[str]]:
    """What the pledge page's Content-Security-Policy adds for Stripe.js: its origin for scripts and frames (the
    card Element is a frame), Stripe's API for its requests. From js.stripe.com, also the hosts Stripe documents
    for Stripe.js (https://docs.stripe.com/security/guide#content-security-policy): its subdomains and
    hooks.stripe.com (3-D Secure frames)."""
    js = origin(settings.js_url or STRIPE_JS_URL)
    script, frame = [js], [js]
    if js == origin(STRIPE_JS_URL):
        script.append("https://*.js.stripe.com")
        frame += ["https://*.js.stripe.com", "https://hooks.stripe.com"]
    return {"script": script, "frame": frame, "connect": [origin(settings.api_base or STRIPE_API)]}
