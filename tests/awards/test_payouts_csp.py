"""The payouts form may send the browser on to Stripe: browsers apply the page's Content-Security-Policy
`form-action` to the redirects that follow a form's submission, so the award page's policy must allow the
origin of the onboarding link the form answers with (before, `form-action 'self'` stopped Chromium there and
the owner could never onboard)."""

from __future__ import annotations

from urllib.parse import urlsplit

from portal.settings import StripeSettings
from tests.factories.awards import make_award


def form_targets(csp: str) -> list[str]:
    directive = next(d.strip() for d in csp.split(";") if d.strip().startswith("form-action"))
    return directive.split()[1:]


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


async def test_the_award_page_allows_the_onboarding_link_it_redirects_to(world, as_persona, stripe_portal):
    award = await make_award(world["application_a"], world["staff"])
    owner = await as_persona("applicant")
    page = await owner.get(f"/awards/{award}")
    assert page.status_code == 200 and 'data-testid="onboard"' in page.text
    response = await owner.post(f"/awards/{award}/payouts/onboard", {})
    assert response.status_code == 303
    assert origin(response.headers["location"]) in form_targets(page.headers["content-security-policy"])
    assert "'self'" in form_targets(page.headers["content-security-policy"])


async def test_without_stripe_forms_post_to_the_portal_only(world, as_persona):
    owner = await as_persona("applicant")
    page = await owner.get("/dashboard")
    assert form_targets(page.headers["content-security-policy"]) == ["'self'"]


def test_the_policy_names_stripes_hosted_origin_and_a_local_stripes():
    from portal.web.headers import content_security_policy

    assert form_targets(content_security_policy(StripeSettings())) == ["'self'"]
    assert form_targets(content_security_policy(StripeSettings(secret_key="sk_live_x"))) == [
        "'self'", "https://connect.stripe.com"]
    assert form_targets(content_security_policy(StripeSettings(secret_key="sk_test_x",
                                                               api_base="http://127.0.0.1:8420/"))) == [
        "'self'", "https://connect.stripe.com", "http://127.0.0.1:8420"]
