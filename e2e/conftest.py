"""Browser tests: a real portal server per engine, driven by Debian's Chromium through Playwright.

`live_portal` starts the portal once per engine for the whole session (`[sqlite]`, `[postgres]`): a fresh data
directory (and a fresh PostgreSQL database), a loopback SMTP server, `portal migrate`, `portal seed-demo`
(skipped with `E2E_DEMO=0`; e2e/seed.py builds the test personas if the database is still empty), then
`portal serve` on a free port. Stripe runs beside it
(`python -m tests.stripe_servers`: localstripe and the Connect fake, delivering signed webhooks to that portal),
and the portal is configured for it, so payments and onboarding work as in production. The `base_url` of pytest-playwright points at it, so `page.goto("/programs")`
works. Everything here is synchronous: Playwright's sync API must not run inside an event loop, and
pytest-asyncio keeps a session loop for tests/. On pytest-xdist (a whole `.ci/test` run) all of one engine's
browser tests go to one worker, after that worker's tests/ items (tests/parallel.py), so each engine's server still
starts once.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.message import Message
from pathlib import Path

import pytest

from e2e.a11y import serious_violations
from tests.support import (
    PORTAL,
    ROOT,
    SERVER_START_TIMEOUT_S,
    Mailbox,
    create_pg_database,
    drop_pg_database,
    free_port,
    live_server_env,
    postgres_unavailable_reason,
    run_command,
    skip_or_fail,
    start_smtp,
    stop_process,
    wait_until_up,
)

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ENGINES = ["sqlite", "postgres"]
USE_DEMO = os.environ.get("E2E_DEMO", "1") != "0"
"""`E2E_DEMO=0` skips `portal seed-demo`: the tests then run on the test personas' world (e2e/seed.py)."""


def runs_on_postgres_too(item: pytest.Item) -> bool:
    """False for the PostgreSQL run of a test marked `sqlite_only`."""
    callspec = getattr(item, "callspec", None)
    on_postgres = callspec is not None and callspec.params.get("live_portal") == "postgres"
    return not (on_postgres and item.get_closest_marker("sqlite_only"))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Mark browser tests `e2e` and run them last: once Playwright's sync API is up, an event loop runs in the
    main thread until the session ends, and pytest-asyncio could not run tests/ after it. Tests marked
    `sqlite_only` (what they check, markup and layout, does not depend on the engine) are deselected on
    PostgreSQL, not skipped: they do not exist there."""
    here = Path(__file__).parent
    one_engine = [item for item in items if not runs_on_postgres_too(item)]
    if one_engine:
        config.hook.pytest_deselected(items=one_engine)
        items[:] = [item for item in items if runs_on_postgres_too(item)]
    browser_tests = [item for item in items if Path(str(item.path)).is_relative_to(here)]
    for item in browser_tests:
        item.add_marker(pytest.mark.e2e)
    chosen = {id(item) for item in browser_tests}
    items[:] = [item for item in items if id(item) not in chosen] + browser_tests


def run_async(coro):
    """Run a coroutine to its end in a thread of its own: Playwright's sync API keeps an event loop running in
    this thread once the browser is up (when the session moves on to the next engine)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


@dataclass
class LiveStripe:
    """The local Stripe servers beside a live portal (tests/stripe_servers.py in a process of its own)."""

    url: str
    """The API base the portal is given (the Connect fake, which forwards the rest to localstripe)."""
    localstripe_url: str
    publishable_key: str
    process: subprocess.Popen


def _start_stripe(webhook_url: str, log_path: Path) -> LiveStripe:
    """Start the Stripe servers and wait for their JSON line; a failure to start fails the run."""
    log = log_path.open("w")
    process = subprocess.Popen([sys.executable, "-m", "tests.stripe_servers", "--webhook-url", webhook_url],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True)
    with ThreadPoolExecutor(max_workers=1) as pool:
        line = pool.submit(process.stdout.readline)  # type: ignore[union-attr]
        try:
            ready = json.loads(line.result(timeout=SERVER_START_TIMEOUT_S))
        except Exception as exc:
            process.kill()
            process.wait()
            raise RuntimeError(f"the local Stripe servers did not start: {exc}\n{log_path.read_text()}") from exc
    return LiveStripe(url=ready["url"], localstripe_url=ready["localstripe_url"],
                      publishable_key=ready["publishable_key"], process=process)


@dataclass
class LivePortal:
    """A running portal server: where it answers, its mail, its engine, and how it was configured."""

    base_url: str
    mailbox: Mailbox
    engine: str
    env: dict[str, str]
    data_dir: Path
    applicant: dict | None = None
    """Email and password of an applicant with a city (a demo account, or the factories' persona)."""
    seed_source: str = ""
    """`demo` if `portal seed-demo` loaded data, `factories` if e2e/seed.py had to build the personas' world."""
    log_path: Path = field(default=Path())
    stripe: LiveStripe | None = None

    def expire_sessions(self) -> None:
        """End every session as if its time had run out (the rows stay, expired), straight in the database."""
        url = self.env["DATABASE_URL"]
        if url.startswith("sqlite"):
            import sqlite3

            with sqlite3.connect(url.split("sqlite:///", 1)[1]) as conn:
                # Stored as Piccolo writes Timestamptz on SQLite: "YYYY-MM-DD HH:MM:SS.ffffff+00:00".
                a_minute_ago = datetime.now(timezone.utc) - timedelta(minutes=1)
                conn.execute("UPDATE web_session SET expires_at = ?", (str(a_minute_ago),))
        else:
            async def expire() -> None:
                import asyncpg

                conn = await asyncpg.connect(url)
                try:
                    await conn.execute("UPDATE web_session SET expires_at = now() - interval '1 minute'")
                finally:
                    await conn.close()

            run_async(expire())

    def wait_for_mail(self, address: str, subject_contains: str = "", timeout: float = 10.0) -> Message:
        """The first message to `address` whose subject contains the text (the server's outbox sends it)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.mailbox.to(address):
                if subject_contains.lower() in str(message["Subject"]).lower():
                    return message
            time.sleep(0.1)
        subjects = [(m["X-Envelope-To"], m["Subject"]) for m in self.mailbox.messages]
        raise AssertionError(f"no mail to {address} about {subject_contains!r}; got {subjects}")


@pytest.fixture(scope="session", params=ENGINES)
def live_portal(request, tmp_path_factory):
    """The portal served on one engine for the whole session, with the demo data (or the test personas), and a
    mail server of its own: one engine's emails (an invitation link, say) are never found by the other's tests."""
    engine = request.param
    data_dir = tmp_path_factory.mktemp(f"e2e-{engine}")
    pg_name = None
    if engine == "postgres":
        reason = run_async(postgres_unavailable_reason())
        if reason:
            skip_or_fail(reason)
        pg_name, db_url = run_async(create_pg_database())
    else:
        db_url = f"sqlite:///{data_dir / 'portal.sqlite3'}"
    controller, mailbox = start_smtp()
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = live_server_env(data_dir, db_url, controller.port, base_url)
    server = None
    log_path = data_dir / "server.log"
    stripe = None
    try:
        from tests.stripe_servers import STRIPE_TEST_KEY, STRIPE_WEBHOOK_SECRET

        stripe = _start_stripe(f"{base_url}/webhooks/stripe", data_dir / "stripe.log")
        env |= {"STRIPE_SECRET_KEY": STRIPE_TEST_KEY, "STRIPE_WEBHOOK_SECRET": STRIPE_WEBHOOK_SECRET,
                "STRIPE_API_BASE": stripe.url, "STRIPE_PUBLISHABLE_KEY": stripe.publishable_key,
                "STRIPE_JS_URL": f"{stripe.url}/js.stripe.com/v3/"}
        run_command([PORTAL, "migrate"], env)
        if USE_DEMO:
            run_command([PORTAL, "seed-demo"], env)
        seeded = json.loads(run_command([sys.executable, "-m", "e2e.seed"], env).strip().splitlines()[-1])
        with log_path.open("w") as log:
            server = subprocess.Popen([PORTAL, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env,
                                      cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        wait_until_up(server, f"{base_url}/programs", log_path)
        yield LivePortal(base_url=base_url, mailbox=mailbox, engine=engine, env=env, data_dir=data_dir,
                         applicant=seeded["applicant"], seed_source=seeded["source"], log_path=log_path,
                         stripe=stripe)
    finally:
        if server is not None:
            stop_process(server)
        if stripe is not None:
            stop_process(stripe.process)
        controller.stop()
        if pg_name:
            run_async(drop_pg_database(pg_name))


@pytest.fixture(scope="session")
def base_url(live_portal) -> str:
    """pytest-playwright's base URL: relative `page.goto("/programs")` reaches the live portal."""
    return live_portal.base_url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium (Playwright cannot download its own browser here), headless, no network chatter."""
    if not Path(CHROMIUM).exists():
        skip_or_fail(f"no Chromium at {CHROMIUM} (apt-get install -y chromium)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture
def mailbox(live_portal) -> Mailbox:
    live_portal.mailbox.clear()
    return live_portal.mailbox


@pytest.fixture
def applicant(live_portal) -> dict:
    """Credentials of an applicant with a city; skips if the demo names none (it then should)."""
    if not live_portal.applicant:
        pytest.fail("the demo data has no account whose role names an applicant or a city", pytrace=False)
    return live_portal.applicant


@pytest.fixture
def axe():
    """`axe(page)` asserts that axe-core finds no serious or critical violation on the page as it is now."""

    def check(page) -> None:
        found = serious_violations(page)
        assert found == [], f"serious/critical accessibility violations on {page.url}:\n" + "\n".join(
            f"- {v['id']} ({v['impact']}): {v['help']} — {', '.join(v['targets'])}" for v in found)

    return check



@pytest.fixture
def sign_in_as(new_context):
    """`sign_in_as(email, password)` opens a browser context of its own (its own session cookie, downloads
    accepted), signs in there and returns the page, on the dashboard: one person per context, several at once."""
    from e2e.pages import SignInPage

    def open_as(email: str, password: str):
        page = new_context(accept_downloads=True).new_page()
        SignInPage(page).sign_in(email, password)
        return page

    return open_as
