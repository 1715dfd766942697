"""The Connect fake as the browser tests use it (tests/stripe_servers.py run as a process of its own): the
one-button hosted onboarding an AccountLink opens, and events delivered to a webhook signed as Stripe signs them.
No database: the fake alone, on loopback, reached through httpx as a browser and the portal's SDK would."""

from __future__ import annotations

import asyncio
import json

import httpx
import stripe
from aiohttp import web

from tests.stripe_connect_fake import ConnectFake
from tests.support import free_port

SECRET = "whsec_fake_hosted_test"
KEY = {"Authorization": "Bearer sk_test_fake_hosted"}


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}"


async def test_an_account_link_opens_hosted_onboarding_that_completes_and_returns_and_each_event_is_delivered_signed():
    received: list[tuple[bytes, str]] = []

    async def inbox(request: web.Request) -> web.Response:
        received.append((await request.read(), request.headers.get("Stripe-Signature", "")))
        return web.Response(text="ok")

    inbox_app = web.Application()
    inbox_app.router.add_post("/hook", inbox)
    inbox_runner, inbox_url = await _serve(inbox_app)
    fake = ConnectFake("http://127.0.0.1:9")  # nothing is forwarded in this test
    fake_runner, url = await _serve(fake.app)
    fake.hosted_base = url
    fake.deliver_events_to(f"{inbox_url}/hook", SECRET)
    try:
        async with httpx.AsyncClient(base_url=url, headers=KEY) as client:
            account = (await client.post("/v1/accounts", data={"type": "express", "country": "US"})).json()
            link = (await client.post("/v1/account_links", data={
                "account": account["id"], "type": "account_onboarding",
                "refresh_url": "http://portal.test/refresh", "return_url": "http://portal.test/back"})).json()
            assert link["url"].startswith(f"{url}/_connect/onboarding/")
            async with httpx.AsyncClient() as browser:  # no API key: the grantee's browser
                page = await browser.get(link["url"])
                assert page.status_code == 200 and "Finish onboarding" in page.text and account["id"] in page.text
                finished = await browser.post(link["url"])
                assert finished.status_code == 303 and finished.headers["location"] == "http://portal.test/back"
                assert (await browser.post(link["url"])).status_code == 404  # a link is used once
            assert (await client.get(f"/v1/accounts/{account['id']}")).json()["payouts_enabled"] is True
            for _ in range(50):
                if received:
                    break
                await asyncio.sleep(0.1)
        [(body, signature)] = received
        event = stripe.Webhook.construct_event(body.decode(), signature, SECRET)
        assert event["type"] == "account.updated" and event["data"]["object"]["id"] == account["id"]
        assert json.loads(body)["id"] == fake.events[-1]["id"]
    finally:
        await fake.close()
        await fake_runner.cleanup()
        await inbox_runner.cleanup()


async def test_without_a_hosted_base_account_links_point_at_stripe_and_nothing_is_delivered():
    fake = ConnectFake("http://127.0.0.1:9")
    runner, url = await _serve(fake.app)
    try:
        async with httpx.AsyncClient(base_url=url, headers=KEY) as client:
            account = (await client.post("/v1/accounts", data={"type": "express"})).json()
            link = (await client.post("/v1/account_links", data={
                "account": account["id"], "type": "account_onboarding"})).json()
            assert (await client.get("/_connect/onboarding/x")).status_code == 404
        assert link["url"].startswith("https://connect.stripe.com/setup/e/")
    finally:
        await fake.close()
        await runner.cleanup()
