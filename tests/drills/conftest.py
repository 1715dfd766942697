"""The fault drills' harness: a real `portal serve` on each engine, killed with SIGKILL and started again on the
same database, with a real SMTP server on loopback that the drills stop, start and stall.

`site` (one per engine, `[sqlite]` and `[postgres]`, for the module) is a data directory and a database of its
own (a SQLite file there, or a PostgreSQL database made with tests/support.py's helpers), migrated and seeded
by tests/drills/seed.py in a process of its own, an SMTP server on a free port, and the portal served on
another free port. Both engines' sites are made at once, when the module starts (`sites`), so that their
seeding and first server start overlap. The drills share a site in turn, each with its own program and people:
a drill finds the server running (`drill_start` starts it if need be), kills it, and leaves the server it
started again running for the next, so that five drills cost five server starts per engine, not ten. Nothing
here uses a fixed path or port, so that several test processes (pytest-xdist) can run drills at once (two whole
runs side by side passed).

The server runs in a session of its own and is killed as a crash kills it: SIGKILL to its whole process group
(granian's main process, its worker, and the worker's PDF renderer), so that no child lives on holding the port
or a claim. The test process reads the drill's database with plain sqlite3 / asyncpg (`SiteDb`), never through
Piccolo: pointing Piccolo's tables at the drill's database would move the in-process app of tests/integration
(its workers run on whatever engine the tables name) there too.

The timeouts are the drill's, so that each drill takes seconds (see SITE_SETTINGS).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable

import asyncpg
import pytest
from aiosmtpd.controller import Controller

from tests.support import (
    PORTAL,
    ROOT,
    Client,
    create_pg_database,
    drop_pg_database,
    free_port,
    live_server_env,
    postgres_unavailable_reason,
    run_command,
    skip_or_fail,
    wait_until_up,
)

ENGINES = ["sqlite", "postgres"]

SITE_SETTINGS = {
    # Drill 3 kills the server within milliseconds of the stalled DATA; 2 s is the margin before that send would
    # time out by itself (the drill checks that the email was still being sent when the server died).
    "SMTP_TIMEOUT_SECONDS": "2",
    "MAIL_RECLAIM_AFTER_SECONDS": "3",  # past by the time a killed server has started again
    "MAIL_RETRY_FIRST_SECONDS": "1",
    "MAIL_RETRY_MAX_SECONDS": "1",  # a retry every 0.5-1 s: drill 2's outage outlasts five attempts in seconds
    "MAIL_POLL_SECONDS": "1",
    "LETTER_RECLAIM_AFTER_SECONDS": "2",  # past by the time a killed server has started again
    "REMINDER_INTERVAL_SECONDS": "0",
}


async def until(check: Callable[[], Awaitable[Any]], what: str, timeout: float = 30.0, every: float = 0.02) -> Any:
    """Poll `check` until it returns something true, and return that; fail with `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what} (last: {result!r})")
        await asyncio.sleep(every)


# -- SMTP ---------------------------------------------------------------------------------------------------

class Sink:
    """The SMTP server's handler: keeps every message it accepts; a message to an address in `stall_to` is
    received in full and then not answered (the client waits for the reply to DATA) until `release()`,
    and is then refused, so that it counts as not delivered."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.stall_to: set[str] = set()
        self.stalled: list[Message] = []
        self.stalled_event = threading.Event()
        self._release: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        message = message_from_bytes(envelope.content)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        if self.stall_to & {address.lower() for address in envelope.rcpt_tos}:
            self._loop, self._release = asyncio.get_running_loop(), asyncio.Event()
            self.stalled.append(message)
            self.stalled_event.set()
            try:
                await asyncio.wait_for(self._release.wait(), timeout=60)
            except asyncio.TimeoutError:
                pass
            return "451 4.3.0 Not taken (the drill's stalling server)"
        self.messages.append(message)
        return "250 OK"

    def release(self) -> None:
        """Stop stalling: the stalled conversation is refused, later messages to the address are taken."""
        self.stall_to.clear()
        if self._loop is not None and self._release is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._release.set)
        self._loop = self._release = None

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if address.lower() in m["X-Envelope-To"].lower()]


class Smtp:
    """A real SMTP server (aiosmtpd) on a loopback port of its own, which a drill stops and starts again on the
    same port (the portal's SMTP_PORT) to make a mail outage."""

    def __init__(self) -> None:
        self.sink = Sink()
        self.port = free_port()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def ensure_started(self) -> None:
        if self._controller is None:
            self.start()

    def stop(self) -> None:
        self.sink.release()
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


# -- the database, read as it is ----------------------------------------------------------------------------

class SiteDb:
    """Plain reads of a drill site's database, the same SQL on both engines (`?` placeholders)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sqlite_path = url.split("sqlite:///", 1)[1] if url.startswith("sqlite") else ""
        self._pg: asyncpg.Connection | None = None

    async def rows(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        if self.sqlite_path:
            with sqlite3.connect(self.sqlite_path, timeout=30) as conn:
                conn.row_factory = sqlite3.Row
                return [dict(row) for row in conn.execute(sql, args).fetchall()]
        if self._pg is None or self._pg.is_closed():
            self._pg = await asyncpg.connect(self.url)
        numbered, n = "", 0
        for part in sql.split("?")[:-1]:
            n += 1
            numbered += f"{part}${n}"
        numbered += sql.split("?")[-1]
        return [dict(row) for row in await self._pg.fetch(numbered, *args)]

    async def value(self, sql: str, *args: Any) -> Any:
        rows = await self.rows(sql, *args)
        return next(iter(rows[0].values())) if rows else None

    async def close(self) -> None:
        if self._pg is not None:
            await self._pg.close()


# -- the site ------------------------------------------------------------------------------------------------

@dataclass
class Site:
    """One engine's drill site: its database, data directory, SMTP server, seeded data and server process."""

    engine: str
    data_dir: Path
    env: dict[str, str]
    base_url: str
    port: int
    smtp: Smtp
    db: SiteDb
    seeded: dict[str, Any]
    log_path: Path
    pg_name: str = ""
    """The PostgreSQL database made for the site, dropped with it."""
    server: subprocess.Popen | None = None
    starts: int = 0
    clients: list[Client] = field(default_factory=list)

    @property
    def letters_dir(self) -> Path:
        return self.data_dir / "files" / "letters"

    @property
    def running(self) -> bool:
        return self.server is not None and self.server.poll() is None

    async def start(self) -> None:
        """Start `portal serve` on the site's port and wait until it answers."""
        assert not self.running
        with self.log_path.open("a") as log:
            log.write(f"\n---- start {self.starts + 1} ----\n")
            log.flush()
            self.server = subprocess.Popen(
                [PORTAL, "serve", "--host", "127.0.0.1", "--port", str(self.port)], env=self.env, cwd=ROOT,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.starts += 1
        await asyncio.to_thread(wait_until_up, self.server, f"{self.base_url}/programs", self.log_path, 0.05)

    async def ensure_running(self) -> None:
        if not self.running:
            await self.start()

    def kill(self) -> None:
        """SIGKILL to the server's whole process group, as a crash or the OOM killer ends it; waits for it."""
        assert self.server is not None and self.running, "the server is not running"
        os.killpg(self.server.pid, signal.SIGKILL)
        self.server.wait()

    async def client(self, email: str | None = None) -> Client:
        """An HTTP client on the server (cookies, CSRF token like a browser), signed in as `email` if given."""
        c = Client(base_url=self.base_url)
        self.clients.append(c)
        if email:
            await c.login(email, self.seeded["password"])
        return c


async def open_site(engine: str, data_dir: Path) -> Site:
    """Make the engine's database, migrate and seed it, start its SMTP server and its portal."""
    pg_name = ""
    if engine == "postgres":
        pg_name, db_url = await create_pg_database()
    else:
        db_url = f"sqlite:///{data_dir / 'portal.sqlite3'}"
    smtp = Smtp()
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = live_server_env(data_dir, db_url, smtp.port, base_url) | SITE_SETTINGS
    site = Site(engine=engine, data_dir=data_dir, env=env, base_url=base_url, port=port, smtp=smtp,
                db=SiteDb(db_url), seeded={}, log_path=data_dir / "server.log", pg_name=pg_name)
    try:
        smtp.start()
        out = await asyncio.to_thread(run_command, [sys.executable, "-m", "tests.drills.seed"], env)
        site.seeded = json.loads(out.strip().splitlines()[-1])
        await site.start()
    except BaseException:
        await close_site(site)
        raise
    return site


async def close_site(site: Site) -> None:
    """Kill the server (a drill site has nothing to shut down gracefully), stop SMTP, drop the database."""
    for c in site.clients:
        await c.aclose()
    if site.running:
        site.kill()
    site.smtp.stop()
    await site.db.close()
    if site.pg_name:
        await drop_pg_database(site.pg_name)


@pytest.fixture(scope="module")
async def sites(tmp_path_factory) -> AsyncIterator[dict[str, Site | str]]:
    """Both engines' sites, made at once (their seeding and first start overlap); for an engine that cannot run
    here, the reason instead."""
    reason = await postgres_unavailable_reason()
    engines = [e for e in ENGINES if e == "sqlite" or not reason]
    made = await asyncio.gather(*(open_site(e, tmp_path_factory.mktemp(f"drills-{e}")) for e in engines),
                                return_exceptions=True)
    opened = {e: m for e, m in zip(engines, made) if isinstance(m, Site)}
    try:
        for m in made:
            if isinstance(m, BaseException):
                raise m
        yield {"postgres": reason or "", **opened}  # type: ignore[dict-item]
    finally:
        for site in opened.values():
            await close_site(site)


@pytest.fixture(scope="module", params=ENGINES)
def site(request, sites) -> Site:
    """The drill site of one engine (`[sqlite]`, `[postgres]`)."""
    found = sites[request.param]
    if isinstance(found, str):
        skip_or_fail(found)
    return found


@pytest.fixture
async def drill_start(site: Site) -> Site:
    """Every drill of tests/drills/test_drills.py (which uses this for each of its tests) starts on a running
    server and an SMTP server that is up and stalls nothing, whatever the drill before it left (one that failed
    half-way included). Not autouse: drill 6 (test_stripe_drill.py) has a server of its own and no `site`, and
    an autouse fixture here would run each of its drills once more for every engine's site, and start the sites."""
    site.smtp.sink.release()
    site.smtp.ensure_started()
    await site.ensure_running()
    return site
