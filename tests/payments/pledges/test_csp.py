"""The Content-Security-Policy: strict for every page; the pledge page adds exactly Stripe.js's origins."""

from __future__ import annotations

from portal.payments.pledges.rules import stripe_js_sources
from portal.settings import StripeSettings
from portal.web.headers import CSP, page_policy


def directives(policy: str) -> dict[str, str]:
    return dict(part.split(" ", 1) for part in policy.split("; "))


def test_default_policy_allows_only_the_portal_itself():
    policy = directives(CSP)
    assert (policy["script-src"], policy["connect-src"], policy["frame-src"]) == ("'self'", "'self'", "'self'")
    assert (policy["frame-ancestors"], policy["object-src"]) == ("'none'", "'none'")


def test_stripe_js_from_js_stripe_com_adds_stripes_documented_origins():
    settings = StripeSettings(secret_key="sk_1", publishable_key="pk_1")
    policy = directives(page_policy(settings, **stripe_js_sources(settings)))
    assert policy["script-src"] == "'self' https://js.stripe.com https://*.js.stripe.com"
    assert policy["frame-src"] == "'self' https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com"
    assert policy["connect-src"] == "'self' https://api.stripe.com"
    assert policy["default-src"] == "'self'" and policy["img-src"] == "'self' data:"
    assert policy["form-action"] == "'self' https://connect.stripe.com"  # as on every page (payouts)


def test_stripe_js_elsewhere_adds_only_its_origin_and_the_api_base():
    settings = StripeSettings(secret_key="sk_1", publishable_key="pk_1", api_base="http://127.0.0.1:9000",
                              js_url="http://127.0.0.1:9000/js.stripe.com/v3/")
    policy = directives(page_policy(settings, **stripe_js_sources(settings)))
    assert (policy["script-src"], policy["frame-src"], policy["connect-src"]) == (
        "'self' http://127.0.0.1:9000", "'self' http://127.0.0.1:9000", "'self' http://127.0.0.1:9000")
