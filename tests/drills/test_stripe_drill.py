"""Drill 6 (issue 11): Stripe unreachable during a tranche release, then back -> exactly one transfer.

A real portal server (`portal serve`, its own SQLite file or its own PostgreSQL database) and the local Stripe
servers in a process of their own that keeps its state in a file (tests/drills/stripe_harness.py: the Connect
fake, which honours idempotency keys, before localstripe), so a transfer made before Stripe went away is still
counted after it comes back. The city accepts its award over HTTP; the portal releases the tranche and asks
Stripe for the transfer while Stripe is unreachable in one of two ways:

- nothing listening: the Stripe process is stopped before the release, started again later;
- the answer lost: Stripe makes the transfer and freezes (SIGSTOP) before answering, so the portal's request
  times out; then Stripe is either killed and started again from its state file, or resumed (SIGCONT).

Either way the portal keeps the payment released with the error, its payment retry worker (one in each of the
server's two processes) sends the same idempotency key again with backoff while Stripe is away and once it is
back, and the drill checks Stripe's own records: exactly one transfer, and the payment holds its id; the tranche
is paid once the webhook arrives.
The test process never points Piccolo at the drill's database (the in-process apps of tests/integration run
their background workers on whatever engine Piccolo's tables name): tests/drills/stripe_seed.py migrates and
seeds it in a process of its own, every drill's award included, and the drill reads it with plain SQL
(tests/drills/conftest.py's SiteDb).
Timeouts and retry delays are set small (STRIPE_TIMEOUT_SECONDS=1, PAYMENT_RETRY_FIRST_SECONDS=1,
PAYMENT_RETRY_MAX_SECONDS=2) so each drill runs in seconds. Ports, data directory and database are the test's
own (pytest-xdist safe).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.drills.conftest import SiteDb
from tests.drills.stripe_harness import read_state
from tests.drills.stripe_seed import AMOUNT
from tests.stripe_servers import STRIPE_TEST_KEY, STRIPE_WEBHOOK_SECRET
from tests.support import (
    Client,
    create_pg_database,
    drop_pg_database,
    free_port,
    postgres_unavailable_reason,
    run_command,
    skip_or_fail,
    stop_process,
)

ROOT = Path(__file__).resolve().parents[2]
PORTAL = str(Path(sys.executable).parent / "portal")
START_TIMEOUT_S = 90
WAIT_S = 60
"""Deadlines for what happens in the background (polled, never slept): generous for a loaded 2-core machine."""
ACCEPT = {"decision": "accept", "typed_name": "Applicant", "title": "Mayor", "agree": "yes"}
AWARDS = 3
"""Awards seeded, one for each drill of the module (on each engine)."""
WORKERS = 2
"""Server processes: each runs a payment retry worker, and the drills check that only one sends at a time."""


class LiveClient(Client):
    """tests.support.Client (CSRF tokens found as a browser would) against a server over the network."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.AsyncClient(base_url=base_url, follow_redirects=False, timeout=60)
        self.csrf = ""


class StripeProcess:
    """The harness process: started, stopped, frozen and started again on one port with one state file."""

    def __init__(self, port: int, state: Path, webhook_url: str, log: Path) -> None:
        self.port, self.state, self.webhook_url, self.log = port, state, webhook_url, log
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen | None = None

    def start(self, *, freeze_after_transfer: bool = False) -> None:
        args = [sys.executable, "-m", "tests.drills.stripe_harness", "--port", str(self.port), "--state",
                str(self.state), "--webhook-url", self.webhook_url]
        if freeze_after_transfer:
            args.append("--freeze-after-transfer")
        with self.log.open("a") as log:
            self.process = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True)
        with ThreadPoolExecutor(max_workers=1) as pool:
            line = pool.submit(self.process.stdout.readline)  # type: ignore[union-attr]
            try:
                json.loads(line.result(timeout=START_TIMEOUT_S))
            except Exception as exc:
                self.kill()
                raise RuntimeError(f"the Stripe harness did not start: {exc}\n{self.log.read_text()}") from exc

    def kill(self) -> None:
        """Gone at once (SIGKILL works on a frozen process too): nothing listens on the port any more."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)
            stop_process(self.process)
            self.process = None

    def signal(self, sig: int) -> None:
        assert self.process is not None
        self.process.send_signal(sig)

    async def wait_frozen(self) -> None:
        """Until the process has stopped itself after making the transfer (state T in /proc)."""
        assert self.process is not None
        await until(lambda: _proc_state(self.process.pid) == "T", "the Stripe process froze after the transfer")

    def transfers(self) -> dict[str, Any]:
        return read_state(self.state)["transfers"]

    def sends(self, key: str) -> int:
        return sum(1 for m, p, k in read_state(self.state)["requests"] if (m, p, k) == ("POST", "/v1/transfers", key))


def _proc_state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return ""


async def until(check: Any, what: str, timeout: float = WAIT_S) -> Any:
    """Poll `check` (sync or async) until it returns something truthy; fail with `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        await asyncio.sleep(0.1)


class Drill:
    """One portal server on one engine beside one Stripe harness, and the world the drill needs."""

    def __init__(self, engine: str, tmp: Path) -> None:
        self.engine, self.tmp = engine, tmp
        self.portal_port, stripe_port = free_port(), free_port()
        self.base_url = f"http://127.0.0.1:{self.portal_port}"
        self.stripe = StripeProcess(stripe_port, tmp / "stripe-state.json", f"{self.base_url}/webhooks/stripe",
                                    tmp / "stripe.log")
        self.server: subprocess.Popen | None = None
        self.pg_name: str | None = None
        self.db: SiteDb | None = None
        self.ids: dict[str, int] = {}
        self.awards: list[dict[str, int]] = []

    async def open(self) -> None:
        if self.engine == "postgres":
            reason = await postgres_unavailable_reason()
            if reason:
                skip_or_fail(reason)
            self.pg_name, url = await create_pg_database()
        else:
            url = f"sqlite:///{self.tmp / 'portal.sqlite3'}"
        self.env = {
            **os.environ, "PICCOLO_CONF": "portal.piccolo_conf", "PYTHONPATH": str(ROOT),
            "PORTAL_DATA_DIR": str(self.tmp / "data"), "DATABASE_URL": url,
            "PORTAL_SECRET_KEY": "drill-secret-key-that-is-long-enough-0123456789",
            "PORTAL_PUBLIC_URL": self.base_url, "SMTP_HOST": "", "REMINDER_INTERVAL_SECONDS": "0",
            "STRIPE_SECRET_KEY": STRIPE_TEST_KEY, "STRIPE_WEBHOOK_SECRET": STRIPE_WEBHOOK_SECRET,
            "STRIPE_API_BASE": self.stripe.url, "STRIPE_TIMEOUT_SECONDS": "1",
            "PAYMENT_RETRY_FIRST_SECONDS": "1", "PAYMENT_RETRY_MAX_SECONDS": "2",
        }
        self.db = SiteDb(url)

    async def close(self) -> None:
        stop_process(self.server)
        self.stripe.stop()
        if self.db is not None:
            await self.db.close()
        if self.pg_name:
            await drop_pg_database(self.pg_name)

    async def seed(self) -> None:
        """Migrate and seed the database in a process of its own (tests/drills/stripe_seed.py): the personas' world,
        the city's Stripe account, onboarded (made in the Stripe harness, which must be running: it keeps the
        account in its state file for the drills' later starts), and AWARDS awards, one for each drill."""
        out = await asyncio.to_thread(run_command, [sys.executable, "-m", "tests.drills.stripe_seed", str(AWARDS)],
                                      self.env)
        seeded = json.loads(out.strip().splitlines()[-1])
        self.ids, self.account, self.awards = seeded["ids"], seeded["account"], seeded["awards"]

    def next_award(self) -> None:
        """The next seeded award (a program of its own with the city's submitted application and an offered award
        in one tranche paid on acceptance) becomes this drill's."""
        assert self.awards, f"every one of the {AWARDS} seeded awards is used: raise AWARDS"
        award = self.awards.pop(0)
        self.ids["award"], self.ids["tranche"] = award["award"], award["tranche"]

    def transfers_of(self, payment_id: int) -> list[str]:
        """The ids of the transfers Stripe made for this payment (by their metadata), from the harness's file."""
        return [t["id"] for t in self.stripe.transfers().values() if t["metadata"].get("payment") == str(payment_id)]

    async def serve(self) -> None:
        log_path = self.tmp / "server.log"
        with log_path.open("w") as log:
            self.server = subprocess.Popen(
                [PORTAL, "serve", "--host", "127.0.0.1", "--port", str(self.portal_port), "--workers", str(WORKERS)],
                env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)

        async def up() -> bool:
            assert self.server is not None
            if self.server.poll() is not None:
                raise AssertionError(f"portal serve exited:\n{log_path.read_text()}")
            try:
                async with httpx.AsyncClient(timeout=2) as http:
                    return (await http.get(f"{self.base_url}/programs")).status_code == 200
            except httpx.HTTPError:
                return False

        await until(up, "portal serve answers", START_TIMEOUT_S)

    async def accept_award(self) -> None:
        """The city accepts its award over HTTP: the portal releases the tranche and asks Stripe at once."""
        from tests.factories import PASSWORD, PERSONAS

        client = LiveClient(self.base_url)
        try:
            await client.login(PERSONAS["applicant"], PASSWORD)
            response = await client.post(f"/awards/{self.ids['award']}/acceptance", ACCEPT)
            assert response.status_code == 303, response.text[:2000]
        finally:
            await client.aclose()

    async def payment(self) -> dict[str, Any]:
        """The drill's tranche's payment as it is in the database (plain SQL), with the tranche's status."""
        assert self.db is not None
        tranches = await self.db.rows("SELECT payment, status FROM tranche WHERE id = ?", self.ids["tranche"])
        assert tranches and tranches[0]["payment"] is not None, "the tranche was not released"
        payments = await self.db.rows("SELECT * FROM payment WHERE id = ?", tranches[0]["payment"])
        return payments[0] | {"tranche_status": tranches[0]["status"]}

    @property
    def key(self) -> str:
        return f"tranche-{self.ids['tranche']}-v1"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
async def live(request, tmp_path_factory):
    """One portal server per engine for this module's drills (starting one takes seconds), beside the Stripe
    harness's port and state file, with the world and the city's Stripe account; Stripe is left stopped."""
    d = Drill(request.param, tmp_path_factory.mktemp(f"drill6-{request.param}"))
    try:
        await d.open()
        d.stripe.start()
        await d.seed()
        d.stripe.kill()
        await d.serve()
        yield d
    finally:
        await d.close()


@pytest.fixture
async def drill(live):
    """The live portal with an award of its own for this drill; Stripe stopped (and thawed) afterwards."""
    live.next_award()
    try:
        yield live
    finally:
        live.stripe.stop()


async def retried_while_away(drill: Drill, after: int) -> None:
    """The worker sent the transfer again at least once more while Stripe was away (and noted the error)."""
    async def tried() -> bool:
        row = await drill.payment()
        return (row["send_attempts"] or 0) > after and row["stripe_id"] is None
    await until(tried, f"the payment retry worker sent {drill.key} again while Stripe was away")


async def test_drill_stripe_not_listening_during_release_then_back_one_transfer(drill):
    # Stripe is away: nothing listens on its port.

    await drill.accept_award()
    row = await drill.payment()
    assert (row["status"], row["stripe_id"], row["idempotency_key"]) == ("released", None, drill.key)
    assert row["send_error"] and row["send_attempts"] >= 1
    await retried_while_away(drill, row["send_attempts"])
    assert drill.transfers_of(row["id"]) == []

    drill.stripe.start()  # back, with what it knew
    row = await until(lambda: _answered(drill), "the worker's retry got the transfer's id")
    assert drill.transfers_of(row["id"]) == [row["stripe_id"]]
    transfer = drill.stripe.transfers()[row["stripe_id"]]
    assert (transfer["amount"], transfer["destination"]) == (AMOUNT, drill.account)
    await until(lambda: _paid(drill), "the transfer's webhook made the tranche paid")
    assert drill.transfers_of(row["id"]) == [row["stripe_id"]]


@pytest.mark.parametrize("comes_back", ["restarted", "resumed"])
async def test_drill_stripe_answer_lost_then_back_one_transfer(drill, comes_back):
    drill.stripe.start(freeze_after_transfer=True)

    await drill.accept_award()  # Stripe makes the transfer, then freezes: the portal's request times out
    await drill.stripe.wait_frozen()
    row = await drill.payment()
    made = drill.transfers_of(row["id"])
    assert len(made) == 1
    assert (row["status"], row["stripe_id"], row["idempotency_key"]) == ("released", None, drill.key)
    assert row["send_error"]
    if comes_back == "restarted":
        drill.stripe.kill()  # and then Stripe is gone altogether for a while
        await retried_while_away(drill, row["send_attempts"])
        drill.stripe.start()  # back from its state file; webhooks not yet sent again
        row = await until(lambda: _answered(drill), "the worker's retry got the first transfer's id")
        assert drill.stripe.sends(drill.key) >= 2  # the retry reached Stripe with the same key: a replay
        assert row["tranche_status"] == "released"
        drill.stripe.signal(signal.SIGUSR1)  # Stripe delivers its webhook again
    else:
        await retried_while_away(drill, row["send_attempts"])
        drill.stripe.signal(signal.SIGCONT)
    await until(lambda: _paid(drill), "the tranche paid, once Stripe's webhook arrived")
    row = await drill.payment()
    assert drill.transfers_of(row["id"]) == made == [row["stripe_id"]]
    assert (row["status"], row["send_error"], row["retry_at"], row["attention_at"]) == ("paid", None, None, None)


async def _answered(drill: Drill) -> dict[str, Any] | None:
    row = await drill.payment()
    return row if row["stripe_id"] else None


async def _paid(drill: Drill) -> bool:
    row = await drill.payment()
    return row["status"] == "paid" and row["tranche_status"] == "paid"
