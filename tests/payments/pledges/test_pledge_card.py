"""A funder's pledge paid by card in the browser (Stripe.js), through the portal's HTTP interface and the Stripe
fakes over real HTTP: the page's states (no publishable key: how else to pay; with one: "Pay", then the card form
with the PaymentIntent's client secret), the Content-Security-Policy that allows Stripe.js on that page only, a
reload that finds the payment under way instead of starting a second one, the htmx polling of the figures, and
the Connect fake's publishable-key confirm endpoint that the test Stripe.js calls (tests/stripe_js_fake.js)."""

from __future__ import annotations

import json
import re

import httpx

from portal.payments.gateway import gateway_for
from portal.payments.tables import Payment
from portal.web.headers import content_security_policy
from tests.stripe_events import deliver
from tests.stripe_servers import STRIPE_PUBLISHABLE_KEY

SECRET = re.compile(r'data-client-secret="(pi_\w+?_secret_\w+)"')


def pledge_url(world) -> str:
    return f"/funder/programs/{world['program']}/pledge"


async def pay(funder, world) -> httpx.Response:
    """Press "Pay": 303 back to the pledge page (reloading it never posts again), which shows the card form."""
    response = await funder.post(pledge_url(world), {})
    assert (response.status_code, response.headers["location"]) == (303, pledge_url(world))
    return await funder.get(pledge_url(world))


async def started(as_persona, world):
    """The funder, signed in, has pressed "Pay": its client, the intent's client secret and the intent's id."""
    funder = await as_persona("funder")
    secret = client_secret((await pay(funder, world)).text)
    return funder, secret, secret.split("_secret_")[0]


def directives(response: httpx.Response) -> dict[str, str]:
    return dict(part.split(" ", 1) for part in response.headers["Content-Security-Policy"].split("; "))


def client_secret(html: str) -> str:
    found = SECRET.findall(html)
    assert len(found) == 1, found
    return found[0]


async def confirm(servers, intent_id: str, secret: str, number: str, key: str = STRIPE_PUBLISHABLE_KEY,
                  origin: str = "http://127.0.0.1:8000") -> httpx.Response:
    """What Stripe.js (tests/stripe_js_fake.js) sends from the browser: no Authorization header."""
    async with httpx.AsyncClient(base_url=servers.url, headers={"Origin": origin}) as browser:
        return await browser.post(f"/v1/payment_intents/{intent_id}/confirm", data={
            "key": key, "client_secret": secret, "payment_method_data[type]": "card",
            "payment_method_data[card][number]": number, "payment_method_data[card][exp_month]": "12",
            "payment_method_data[card][exp_year]": "2030", "payment_method_data[card][cvc]": "123",
            "payment_method_data[billing_details][address][postal_code]": "12345"})


# -- without a publishable key: no card form, and how else to pay --------------------------------------------------

async def test_pledge_without_a_publishable_key_says_how_to_pay(world, as_persona, stripe_portal, portal):
    funder = await as_persona("funder")
    page = await funder.get(pledge_url(world))
    assert page.status_code == 200
    assert 'data-testid="pledge-how-to-pay"' in page.text and "Paying by card is not available" in page.text
    assert "contact the" in page.text
    assert "pay-pledge" not in page.text and "card-element" not in page.text and "js.stripe.com" not in page.text
    assert page.headers["Content-Security-Policy"] == content_security_policy(portal.state.settings.stripe)
    # A forged "Pay" creates nothing the browser could not finish.
    assert (await funder.post(pledge_url(world), {})).status_code == 409
    assert await Payment.count() == 0


async def test_pledge_without_stripe_at_all_says_how_to_pay(world, as_persona):
    page = await (await as_persona("funder")).get(pledge_url(world))
    assert page.status_code == 200 and "Paying by card is not available" in page.text
    assert "pay-pledge" not in page.text


# -- with a publishable key -------------------------------------------------------------------------------------

async def test_pledge_pay_shows_the_card_form_with_the_client_secret(world, as_persona, stripe_card_portal, portal):
    servers = stripe_card_portal
    funder = await as_persona("funder")
    page = await funder.get(pledge_url(world))
    # The Pay button waits for pledge.js (hidden without JavaScript); the notice says how else to pay meanwhile.
    assert re.search(r'<form method="post" action="[^"]+/pledge" class="usa-form" data-needs-stripe hidden>', page.text)
    assert "Pay $100,000" in page.text and 'data-testid="pledge-how-to-pay"' in page.text
    assert f'<script src="{servers.url}/js.stripe.com/v3/"></script>' in page.text
    assert "/static/js/pledge.js" in page.text

    response = await pay(funder, world)
    assert response.status_code == 200
    secret = client_secret(response.text)
    row = await Payment.select().where(Payment.kind == "payment_intent").first()
    assert (row["status"], row["amount_cents"]) == ("released", 10_000_000)
    assert secret.startswith(row["stripe_id"] + "_secret_")
    intent = await gateway_for(portal.state.settings.stripe).retrieve_payment_intent(row["stripe_id"])
    assert (intent.client_secret, intent.status) == (secret, "requires_payment_method")
    html = response.text
    assert f'data-publishable-key="{STRIPE_PUBLISHABLE_KEY}"' in html
    assert 'id="card-element"' in html and 'aria-labelledby="card-element-label"' in html
    assert 'data-testid="confirm-payment">Confirm payment</button>' in html
    assert 'role="status" aria-live="polite" data-testid="pledge-card-status"' in html
    assert "pay-pledge" not in html


async def test_pledge_page_csp_allows_stripe_and_other_pages_do_not(world, as_persona, stripe_card_portal):
    origin = stripe_card_portal.url  # the fake serves both Stripe.js and the API here
    funder = await as_persona("funder")
    for response in (await funder.get(pledge_url(world)), await pay(funder, world)):
        policy = directives(response)
        assert policy["script-src"] == f"'self' {origin}"
        assert policy["frame-src"] == f"'self' {origin}"
        assert policy["connect-src"] == f"'self' {origin}"
        assert policy["default-src"] == "'self'" and policy["object-src"] == "'none'"
    for other in ("/funder", f"/funder/programs/{world['program']}", "/dashboard"):
        response = await funder.get(other)
        assert response.status_code == 200, other
        policy = directives(response)
        assert (policy["script-src"], policy["frame-src"], policy["connect-src"]) == ("'self'", "'self'", "'self'")


async def test_pledge_reload_finds_the_payment_under_way_and_never_starts_a_second(world, as_persona,
                                                                                   stripe_card_portal):
    funder = await as_persona("funder")
    secret = client_secret((await pay(funder, world)).text)
    again = await funder.get(pledge_url(world))
    assert client_secret(again.text) == secret and "pay-pledge" not in again.text
    # Pressing "Pay" again (another tab, a double click) offers the same PaymentIntent.
    assert client_secret((await pay(funder, world)).text) == secret
    assert await Payment.count() == 1
    creates = [r for r in stripe_card_portal.fake.requests if r[:2] == ("POST", "/v1/payment_intents")]
    assert len(creates) == 1


async def test_pledge_paid_in_the_browser_is_received_after_the_webhook(world, as_persona, stripe_card_portal):
    servers = stripe_card_portal
    funder, secret, intent_id = await started(as_persona, world)
    response = await confirm(servers, intent_id, secret, "4242424242424242")
    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["id"]) == ("succeeded", intent_id)
    assert response.headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:8000"
    # Until the webhook arrives: Stripe has it, the page waits and polls (htmx), no card form, no Pay button.
    waiting = await funder.get(pledge_url(world))
    assert 'data-testid="pledge-waiting"' in waiting.text and 'hx-trigger="every 2s"' in waiting.text
    assert "data-client-secret" not in waiting.text and "pay-pledge" not in waiting.text
    poll = await funder.htmx("GET", pledge_url(world))
    assert poll.status_code == 200 and "<html" not in poll.text and 'hx-trigger="every 2s"' in poll.text
    body, signature = await servers.inbox.wait_for(
        lambda e: e["type"] == "payment_intent.succeeded" and e["data"]["object"]["id"] == intent_id)
    assert (await deliver(funder, body, signature)).json()["outcome"] == "applied"
    done = await funder.htmx("GET", pledge_url(world))
    assert 'data-testid="pledge-received">$100,000' in done.text and "hx-trigger" not in done.text
    assert "data-pledge-paid=" in done.text
    page = await funder.get(pledge_url(world))
    assert 'data-testid="pledge-paid"' in page.text and "data-client-secret" not in page.text


async def test_declined_card_then_another_card_on_the_same_payment_intent(world, as_persona, stripe_card_portal):
    servers = stripe_card_portal
    funder, secret, intent_id = await started(as_persona, world)
    declined = await confirm(servers, intent_id, secret, "4000000000000002")
    assert declined.status_code == 402
    error = declined.json()["error"]
    assert (error["type"], error["code"], error["message"]) == ("card_error", "card_declined",
                                                                "Your card was declined.")
    assert error["payment_intent"]["status"] == "requires_payment_method"
    body, signature = await servers.inbox.wait_for(
        lambda e: e["type"] == "payment_intent.payment_failed" and e["data"]["object"]["id"] == intent_id)
    assert (await deliver(funder, body, signature)).json()["outcome"] == "applied"
    assert (await Payment.select(Payment.status).first())["status"] == "failed"
    # The page offers to finish the same PaymentIntent (the funder may try another card), not a new one.
    page = await funder.get(pledge_url(world))
    assert client_secret(page.text) == secret and "did not go through (Your card was declined). Try again" in page.text
    assert client_secret((await pay(funder, world)).text) == secret
    assert await Payment.count() == 1
    accepted = await confirm(servers, intent_id, secret, "4242424242424242")
    assert accepted.status_code == 200 and accepted.json()["status"] == "succeeded"
    body, signature = await servers.inbox.wait_for(
        lambda e: e["type"] == "payment_intent.succeeded" and e["data"]["object"]["id"] == intent_id)
    assert (await deliver(funder, body, signature)).json()["outcome"] == "applied"
    assert (await Payment.select(Payment.status).first())["status"] == "paid"


# -- the Connect fake's Stripe.js and its publishable-key confirm -------------------------------------------------

async def test_fake_confirm_checks_the_publishable_key_and_the_client_secret(world, as_persona,
                                                                             stripe_card_portal):
    servers = stripe_card_portal
    funder, secret, intent_id = await started(as_persona, world)
    wrong = await confirm(servers, intent_id, f"{intent_id}_secret_notTheRightOne", "4242424242424242")
    assert wrong.status_code == 400 and wrong.json()["error"]["param"] == "client_secret"
    other = await confirm(servers, "pi_doesnotexist", secret, "4242424242424242")
    assert other.status_code == 404
    no_key = await confirm(servers, intent_id, secret, "4242424242424242", key="")
    secret_key = await confirm(servers, intent_id, secret, "4242424242424242", key="sk_test_in_the_browser")
    assert (no_key.status_code, secret_key.status_code) == (401, 401)
    # Nothing was charged by those: the right secret still confirms it, once.
    assert (await confirm(servers, intent_id, secret, "4242424242424242")).json()["status"] == "succeeded"
    again = await confirm(servers, intent_id, secret, "4242424242424242")
    assert (again.status_code, again.json()["error"]["code"]) == (400, "payment_intent_unexpected_state")


async def test_fake_serves_localstripe_js_with_a_confirm_card_payment_like_stripes(stripe_card_portal):
    async with httpx.AsyncClient(base_url=stripe_card_portal.url) as browser:
        response = await browser.get("/js.stripe.com/v3/")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/javascript")
    script = response.text
    assert "LOCALSTRIPE_BASE_API" in script and "class Element" in script  # localstripe's own mock first
    assert script.index("class Element") < script.index('"payment_method_data[type]", "card"')
    assert '"/v1/payment_intents/" + match[1] + "/confirm"' in script


async def test_two_pays_at_once_start_one_payment_intent(world, stripe_card_portal, portal):
    import asyncio

    from portal.payments import services

    gateway = gateway_for(portal.state.settings.stripe)

    async def start():
        return await services.record_pledge_payment(program_id=world["program"], funder_id=world["foundation"],
                                                    amount_cents=10_000_000, gateway=gateway)

    results = await asyncio.gather(start(), start(), return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "tuple"]
    assert await Payment.count() == 1
    creates = [r for r in stripe_card_portal.fake.requests if r[:2] == ("POST", "/v1/payment_intents")]
    assert len(creates) == 1


async def test_fake_card_needing_3d_secure_is_authenticated_through_localstripe(world, as_persona,
                                                                               stripe_card_portal):
    servers = stripe_card_portal
    funder, secret, intent_id = await started(as_persona, world)
    response = await confirm(servers, intent_id, secret, "4000002760003184")
    assert (response.status_code, response.json()["status"]) == (200, "requires_action")
    # What localstripe's own confirmCardPayment sends once the dialog's "Complete authentication" is pressed.
    async with httpx.AsyncClient(base_url=servers.url) as browser:
        done = await browser.post(f"/v1/payment_intents/{intent_id}/_authenticate?success=true",
                                  content=json.dumps({"key": STRIPE_PUBLISHABLE_KEY, "client_secret": secret}))
    assert (done.status_code, done.json()["status"]) == (200, "succeeded")
