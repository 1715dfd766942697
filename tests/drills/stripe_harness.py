"""The local Stripe servers for drill 6, in a process that can be stopped, frozen and started again without
forgetting what Stripe did (tests/drills/test_stripe_drill.py).

    python -m tests.drills.stripe_harness --port PORT --state FILE --webhook-url URL [--freeze-after-transfer]

It serves the Connect fake (tests/stripe_connect_fake.py: accounts, transfers, idempotency keys) on PORT of
loopback, in front of localstripe (on a free port, for everything else), as tests/stripe_servers.py does, and
delivers the fake's events, signed, to the portal's webhook at URL. What differs:

- State on disk. Before every answer is sent, the fake's accounts, transfers, events, saved idempotent results
  and request log are written to FILE (a temporary file, then renamed: atomic), and a restarted process reads
  them back. So stopping Stripe (SIGTERM or SIGKILL) and starting it again keeps its transfers and its memory of
  idempotency keys, as the real Stripe does, and the drill counts transfers across the restart. localstripe's own
  store is memory only (its write to the fixed path /tmp/localstripe.pickle is turned off, and it never reads
  it: only its CLI does), so drills running at once under pytest-xdist, each with its own FILE and ports, share
  nothing.
- `--freeze-after-transfer`: the first transfer made is written to FILE, then the process stops itself
  (SIGSTOP) before its answer leaves: Stripe did it, the portal never hears (its request times out). SIGCONT
  resumes it (the answer then goes to a closed connection); SIGKILL loses only what was never written.
- SIGUSR1 delivers every event in FILE to the webhook again, as Stripe retries a webhook until it is answered
  (the portal applies each event id once). A restarted process does not deliver old events by itself, so a drill
  can see the portal's own retry record the transfer first.

Prints one JSON line (`url`) once it answers, then serves until SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
from dataclasses import asdict
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.stripe_connect_fake import ConnectFake, Saved
from tests.stripe_servers import STRIPE_WEBHOOK_SECRET
from tests.support import free_port


def save(fake: ConnectFake, path: Path) -> None:
    state = {
        "accounts": fake.accounts, "transfers": fake.transfers, "events": fake.events,
        "available_cents": fake.available_cents, "requests": fake.requests,
        "saved": [[slot[0], slot[1], {**asdict(s), "body": bytes(s.body).decode("utf-8", "replace")}]
                  for slot, s in fake._saved.items() if s.done],
    }
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(state))
    os.replace(partial, path)


def load(fake: ConnectFake, path: Path) -> None:
    if not path.exists():
        return
    state = json.loads(path.read_text())
    fake.accounts.update(state["accounts"])
    fake.transfers.update(state["transfers"])
    fake.events.extend(state["events"])
    fake.available_cents = state["available_cents"]
    fake.requests.extend(tuple(r) for r in state["requests"])
    for api_key, key, saved in state["saved"]:
        fake._saved[(api_key, key)] = Saved(**{**saved, "body": saved["body"].encode()})


def read_state(path: Path) -> dict[str, Any]:
    """What the harness wrote (for the drill): transfers, events, requests (method, path, idempotency key)."""
    return json.loads(path.read_text()) if path.exists() else {"transfers": {}, "events": [], "requests": []}


async def serve(port: int, state: Path, webhook_url: str, freeze_after_transfer: bool) -> None:
    import localstripe.resources
    import localstripe.server

    localstripe.resources.Store.dump_to_disk = lambda self: None  # type: ignore[method-assign]
    localstripe.resources.store.clear()
    runners = []
    local = web.AppRunner(localstripe.server.app, access_log=None)
    await local.setup()
    local_port = free_port()
    await web.TCPSite(local, "127.0.0.1", local_port).start()
    runners.append(local)

    fake = ConnectFake(f"http://127.0.0.1:{local_port}")
    fake.hosted_base = f"http://127.0.0.1:{port}"  # AccountLinks open the fake's one-button onboarding
    load(fake, state)
    froze = False

    async def before_answer(request: web.Request, response: web.StreamResponse) -> None:
        nonlocal froze
        if request.path.startswith("/v1/") or request.path.startswith("/_connect/"):
            save(fake, state)
        if (freeze_after_transfer and not froze and request.method == "POST" and request.path == "/v1/transfers"
                and response.status == 200):
            froze = True
            os.kill(os.getpid(), signal.SIGSTOP)  # the transfer is made and saved; its answer waits

    fake.app.on_response_prepare.append(before_answer)
    runner = web.AppRunner(fake.app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port, reuse_address=True)
    await site.start()
    runners.append(runner)
    fake.deliver_events_to(webhook_url, STRIPE_WEBHOOK_SECRET)

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)

    def redeliver() -> None:
        for event in list(fake.events):
            task = loop.create_task(fake._deliver(event, webhook_url, STRIPE_WEBHOOK_SECRET))
            fake._deliveries.add(task)
            task.add_done_callback(fake._deliveries.discard)

    loop.add_signal_handler(signal.SIGUSR1, redeliver)
    print(json.dumps({"url": f"http://127.0.0.1:{port}"}), flush=True)
    try:
        await stop.wait()
    finally:
        await fake.close()
        for started in reversed(runners):
            await started.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="the Stripe servers of drill 6, their state kept in a file")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--state", type=Path, required=True)
    parser.add_argument("--webhook-url", required=True)
    parser.add_argument("--freeze-after-transfer", action="store_true")
    args = parser.parse_args()
    asyncio.run(serve(args.port, args.state, args.webhook_url, args.freeze_after_transfer))
