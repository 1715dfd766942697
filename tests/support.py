"""Test support shared by tests/ and e2e/: the engines to run on, a loopback SMTP server, a CSRF-aware client."""

from __future__ import annotations

import asyncio
import contextvars
import os
import re
import secrets
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Iterator

import asyncpg
import httpx
import pytest
from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent
PORTAL = str(Path(sys.executable).parent / "portal")
"""The `portal` command of the virtual environment the tests run in."""
SERVER_START_TIMEOUT_S = 90
"""Generous: on a loaded 2-core machine `portal serve` has taken more than 30 s to answer."""
PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() == "true"


async def postgres_unavailable_reason() -> str | None:
    """None if a PostgreSQL server answers at TEST_POSTGRES_URL, else why not."""
    try:
        conn = await asyncpg.connect(PG_ADMIN_URL, timeout=3)
        await conn.close()
    except Exception as exc:  # any failure to connect means: no PostgreSQL here
        return f"no PostgreSQL at {PG_ADMIN_URL}: {exc.__class__.__name__}: {exc}"
    return None


def skip_or_fail(reason: str) -> None:
    """With CI=true nothing may be skipped: fail loudly instead."""
    if IN_CI:
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


async def create_pg_database() -> tuple[str, str]:
    name = f"portal_test_{os.getpid()}_{secrets.token_hex(4)}"
    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return name, f"{base}/{name}"


async def drop_pg_database(name: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@dataclass
class Mailbox:
    """Messages received by the loopback SMTP server."""

    messages: list[Message] = field(default_factory=list)
    refusing: str = ""
    """While set (an SMTP reply, e.g. "451 4.3.0 Try again later"), every message is refused with it: delivery
    fails for the app's own outbox worker too, whose server cannot be stopped under it (tests/integration/
    test_mail_staff.py)."""

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        if self.refusing:
            return self.refusing
        message = message_from_bytes(envelope.content)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"

    def clear(self) -> None:
        self.messages.clear()

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if address.lower() in m["X-Envelope-To"].lower()]

    async def wait_for(self, address: str, subject_contains: str = "", timeout: float = 10.0) -> Message:
        """The first message to `address` whose subject contains the text; fails after `timeout` seconds."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            for message in self.to(address):
                if subject_contains.lower() in str(message["Subject"]).lower():
                    return message
            if asyncio.get_running_loop().time() > deadline:
                subjects = [(m["X-Envelope-To"], m["Subject"]) for m in self.messages]
                raise AssertionError(f"no mail to {address} about {subject_contains!r}; got {subjects}")
            await asyncio.sleep(0.05)


def body_of(message: Message) -> str:
    payload = message.get_payload(decode=True)
    return payload.decode() if isinstance(payload, bytes) else str(message.get_payload())


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_smtp() -> tuple[Controller, Mailbox]:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller, mailbox


def run_command(args: list[str], env: dict[str, str]) -> str:
    """Run a command (e.g. `portal migrate`) from the repository root; its output, or RuntimeError with it."""
    result = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout


def wait_until_up(server: subprocess.Popen, url: str, log_path: Path, interval: float = 0.2) -> None:
    """Wait until a started `portal serve` answers `url` with 200; RuntimeError (with its log) if it exits or
    does not answer within SERVER_START_TIMEOUT_S."""
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"portal serve exited with {server.returncode}:\n{log_path.read_text()}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(interval)
    raise RuntimeError(f"portal serve did not answer {url} in {SERVER_START_TIMEOUT_S} s:\n{log_path.read_text()}")


def live_server_env(data_dir: Path, db_url: str, smtp_port: int, base_url: str) -> dict[str, str]:
    """The environment of a `portal serve` under test (e2e/conftest.py, tests/drills): its own data directory
    and database, mail to a loopback SMTP server, sign-in throttles out of the way, and staff signing in with the
    password alone, as in `portal demo`."""
    return {
        **os.environ,
        "PICCOLO_CONF": "portal.piccolo_conf",
        "PORTAL_DATA_DIR": str(data_dir),
        "DATABASE_URL": db_url,
        "PORTAL_SECRET_KEY": "e2e-secret-key-that-is-long-enough-0123456789",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "PORTAL_PUBLIC_URL": base_url,
        "LOGIN_ATTEMPTS_PER_15MIN": "1000",
        # As in `portal demo`: the demo's staff have no second factor, and the browser tests sign them in with
        # the password. tests/security/test_two_factor_enforcement.py proves the requirement with it on.
        "TWO_FACTOR_REQUIRED_FOR_STAFF": "false",
        "PYTHONPATH": str(ROOT),
    }


CSRF_RE = re.compile(r'name="_csrf" value="([^"]+)"')


class Client:
    """An httpx client on the app with cookies, that finds and sends the CSRF token like a browser form."""

    def __init__(self, app=None, *, base_url: str = "") -> None:
        """On the app in process (`app`), or on a live server over HTTP (`base_url`, e.g. tests/drills)."""
        if base_url:
            self.http = httpx.AsyncClient(base_url=base_url, follow_redirects=False, timeout=30)
        else:
            self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver",
                                          follow_redirects=False)
        self.csrf = ""

    async def get(self, url: str, **kwargs) -> httpx.Response:
        response = await self.http.get(url, **kwargs)
        self._remember_csrf(response)
        return response

    async def refresh_csrf(self) -> None:
        """Read the token of the current session from a page with a form, as a browser would have it."""
        self.csrf = ""
        response = await self.get("/login")
        if response.status_code == 303:  # signed in: the sign-out form carries the token
            await self.get("/dashboard")

    async def post(self, url: str, data: dict | list | None = None, *, csrf: bool = True, files=None,
                   headers: dict | None = None) -> httpx.Response:
        if csrf and not self.csrf:
            await self.refresh_csrf()
        items = list(data.items()) if isinstance(data, dict) else list(data or [])
        if csrf:
            items.append(("_csrf", self.csrf))
        response = await self.http.post(url, data=_flatten(items), files=files, headers=headers)
        self._remember_csrf(response)
        if "portal_session=" in response.headers.get("set-cookie", ""):
            self.csrf = ""  # a new (or ended) session has a new token: fetch it before the next post
        return response

    async def htmx(self, method: str, url: str, data: dict | None = None, headers: dict | None = None) -> httpx.Response:
        if not self.csrf:
            await self.refresh_csrf()
        hx = {"HX-Request": "true", "X-CSRF-Token": self.csrf, **(headers or {})}
        response = await self.http.request(method, url, data=data, headers=hx)
        self._remember_csrf(response)
        return response

    async def login(self, email: str, password: str) -> None:
        await self.get("/login")
        response = await self.post("/login", {"email": email, "password": password})
        assert response.status_code == 303, f"sign-in as {email} failed: {response.status_code}"
        if response.headers["location"].startswith("/login/two-factor"):
            await self.pass_second_step(email)
        await self.get("/dashboard")

    async def pass_second_step(self, email: str) -> None:
        """Finish a sign-in with the authenticator app the factories give staff (tests/factories: give_totp), as
        its owner would: the code of a 30-second step not used yet (the portal takes each code once). A test
        that signs one person in more often than that allows (twice in 30 seconds) uses a one-use
        recovery code made for the purpose."""
        code = await unused_totp_code(email)
        if code is not None:
            form = {"method": "totp", "code": code}
        else:
            form = {"method": "recovery_code", "recovery_code": await fresh_recovery_code(email)}
        response = await self.post("/login/two-factor", form)
        assert response.status_code == 303, f"second step as {email} failed: {response.status_code}"

    def _remember_csrf(self, response: httpx.Response) -> None:
        if "text/html" in response.headers.get("content-type", ""):
            match = CSRF_RE.search(response.text)
            if match:
                self.csrf = match.group(1)

    async def aclose(self) -> None:
        await self.http.aclose()


async def unused_totp_code(email: str) -> str | None:
    """The code of the user's authenticator app for the earliest step, now or the next, that the portal has not
    seen yet; None when both were used. (Not the step before now, which the portal also accepts: on a loaded
    machine the portal's clock may have moved on to the next step by the time the code arrives.)"""
    from portal.accounts.tables import User
    from portal.accounts.two_factor import services
    from portal.accounts.two_factor.tables import TotpFactor

    user = await User.select(User.id).where(User.email == email.lower()).first()
    factor = await TotpFactor.select().where(TotpFactor.user == user["id"]).first()
    now = services._current_step()
    step = max(now, factor["last_used_step"] + 1)
    return services.totp_code_at(factor["secret"], step) if step <= now + 1 else None


async def fresh_recovery_code(email: str) -> str:
    """A new one-use recovery code for the user, written as the portal writes them (only its hash is kept)."""
    import secrets as _secrets

    from portal.accounts.tables import User
    from portal.accounts.two_factor.tables import RecoveryCode
    from portal.core import clock
    from portal.core.security import token_hash

    user = await User.select(User.id).where(User.email == email.lower()).first()
    code = _secrets.token_hex(8)
    await RecoveryCode.insert(RecoveryCode(user=user["id"], code_hash=token_hash(code), created_at=clock.now()))
    return code


def _flatten(items: list) -> dict:
    """httpx takes repeated form names as lists."""
    out: dict = {}
    for key, value in items:
        if key in out:
            out[key] = (out[key] if isinstance(out[key], list) else [out[key]]) + [value]
        else:
            out[key] = value
    return out


def stop_process(process: subprocess.Popen | None) -> None:
    """Terminate a server process and wait for it; kill it if it has not ended within 10 s."""
    if process is None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


_query_log: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("query_log", default=None)


@contextmanager
def counting_queries(engine) -> Iterator[list[str]]:
    """The queries that the code run inside the block makes, in a list that fills as they run.

    Only queries made in this context (this task, and tasks it starts) are counted: the app's background
    workers (the outbox every 3 s, the letter worker every second) run queries on the same engine, and a count
    of every query the engine ran while a slow test was in the block included theirs now and then.
    """
    cls = type(engine)
    original = cls.run_querystring
    ran: list[str] = []

    async def counting(self, querystring, *args, **kwargs):
        log = _query_log.get()
        if log is not None:
            log.append(str(querystring))
        return await original(self, querystring, *args, **kwargs)

    token = _query_log.set(ran)
    cls.run_querystring = counting
    try:
        yield ran
    finally:
        cls.run_querystring = original
        _query_log.reset(token)
