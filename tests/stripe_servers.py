"""Stripe, offline: localstripe and the Connect fake on loopback, in the test's own event loop.

    portal gateway ──STRIPE_API_BASE──► ConnectFake (127.0.0.1:port A)
                                          ├─ /v1/accounts, /v1/account_links, /v1/transfers: answered here
                                          └─ everything else: forwarded to localstripe (127.0.0.1:port B)
    localstripe ──signed webhooks──► WebhookInbox (127.0.0.1:port C) ──► the test posts them to the portal

localstripe keeps its objects in one module-level store and writes it to the fixed path /tmp/localstripe.pickle
after every change; here that write is turned off (its state lives in memory only), so parallel test runs on one
machine cannot read each other's file, and it is started once per process (a session fixture). If it cannot
start, the run fails: nothing about Stripe is ever skipped.

The browser tests run them in a process of their own, beside the live portal (e2e/conftest.py):

    python -m tests.stripe_servers --webhook-url http://127.0.0.1:PORT/webhooks/stripe

prints one JSON line (`url`, `localstripe_url`, `publishable_key`) once everything answers, then serves until
terminated. There both localstripe and the Connect fake deliver their signed events straight to the portal's
webhook, and AccountLinks open the fake's one-button hosted onboarding page.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.stripe_connect_fake import ConnectFake
from tests.support import free_port

STRIPE_TEST_KEY = "sk_test_portal_offline_0123456789"
STRIPE_WEBHOOK_SECRET = "whsec_portal_offline_test_secret"
STRIPE_PUBLISHABLE_KEY = "pk_test_portal_offline_0123456789"
_started = False


@dataclass
class WebhookInbox:
    """Receives what localstripe delivers: (raw body, Stripe-Signature header) pairs."""

    received: list[tuple[bytes, str]] = field(default_factory=list)
    arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        async with self.arrived:
            self.received.append((body, request.headers.get("Stripe-Signature", "")))
            self.arrived.notify_all()
        return web.Response(text="ok")

    async def wait_for(self, predicate: Any, timeout: float = 10.0) -> tuple[bytes, str]:
        """The first delivery whose decoded event satisfies `predicate`; fails after `timeout` seconds."""
        import json

        async def find() -> tuple[bytes, str]:
            async with self.arrived:
                while True:
                    for body, signature in self.received:
                        if predicate(json.loads(body)):
                            return body, signature
                    await self.arrived.wait()

        return await asyncio.wait_for(find(), timeout)


@dataclass
class StripeServers:
    url: str
    """The one API base the portal is given (the Connect fake, which forwards the rest to localstripe)."""
    localstripe_url: str
    fake: ConnectFake
    inbox: WebhookInbox
    inbox_url: str
    runners: list[web.AppRunner]

    def reset(self) -> None:
        """Forget the previous test's Connect objects, events and deliveries (localstripe keeps its objects:
        each test creates its own)."""
        self.fake.reset()
        self.inbox.received.clear()

    async def stop(self) -> None:
        await self.fake.close()
        for runner in reversed(self.runners):
            await runner.cleanup()


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    return runner, f"http://127.0.0.1:{port}"


async def start_stripe_servers(webhook_secret: str, webhook_url: str = "") -> StripeServers:
    """Start localstripe, the Connect fake and the webhook inbox; register the inbox with localstripe.

    With `webhook_url` (the browser tests), events go there instead, from localstripe and from the Connect fake,
    and AccountLinks open the fake's hosted onboarding page."""
    global _started
    if _started:
        raise RuntimeError("localstripe keeps module-level state: start it once per process")
    import localstripe.resources
    import localstripe.server

    # Memory only: no /tmp/localstripe.pickle shared with other runs (see the module docstring).
    localstripe.resources.Store.dump_to_disk = lambda self: None  # type: ignore[method-assign]
    localstripe.resources.store.clear()
    _started = True
    runners: list[web.AppRunner] = []
    try:
        runner, localstripe_url = await _serve(localstripe.server.app)
        runners.append(runner)
        fake = ConnectFake(localstripe_url)
        runner, url = await _serve(fake.app)
        runners.append(runner)
        if webhook_url:
            fake.hosted_base = url
            fake.deliver_events_to(webhook_url, webhook_secret)
        inbox = WebhookInbox()
        inbox_app = web.Application()
        inbox_app.router.add_post("/stripe", inbox.handle)
        runner, inbox_base = await _serve(inbox_app)
        runners.append(runner)
        servers = StripeServers(url=url, localstripe_url=localstripe_url, fake=fake, inbox=inbox,
                                inbox_url=f"{inbox_base}/stripe", runners=runners)
        from aiohttp import ClientSession

        async with ClientSession() as session:
            async with session.post(f"{localstripe_url}/_config/webhooks/portal",
                                    data={"url": webhook_url or servers.inbox_url,
                                          "secret": webhook_secret}) as response:
                if response.status != 200:
                    raise RuntimeError(f"localstripe refused the webhook registration: {response.status}")
    except BaseException:
        for started in reversed(runners):
            await started.cleanup()
        raise
    return servers


async def _serve_forever(webhook_url: str) -> None:
    import json
    import signal

    servers = await start_stripe_servers(STRIPE_WEBHOOK_SECRET, webhook_url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(json.dumps({"url": servers.url, "localstripe_url": servers.localstripe_url,
                      "publishable_key": STRIPE_PUBLISHABLE_KEY}), flush=True)
    try:
        await stop.wait()
    finally:
        await servers.stop()


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="localstripe and the Connect fake on loopback, for e2e/")
    parser.add_argument("--webhook-url", required=True, help="the portal's /webhooks/stripe address")
    asyncio.run(_serve_forever(parser.parse_args().webhook_url))
