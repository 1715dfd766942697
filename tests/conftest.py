"""Fixtures for unit and integration tests.

Integration tests run once per engine: `[sqlite]` on a file in a temporary directory, `[postgres]` on a
database created for the run on the local server (with CI=true a missing PostgreSQL fails the run).
Tables are emptied after every test.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import os
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

os.environ.setdefault("PICCOLO_CONF", "portal.piccolo_conf")

from portal import db  # noqa: E402
from portal.settings import load_settings  # noqa: E402
from tests.support import (  # noqa: E402
    Client,
    create_pg_database,
    drop_pg_database,
    postgres_unavailable_reason,
    skip_or_fail,
    start_smtp,
)

ENGINES = ["sqlite", "postgres"]


@pytest.fixture(scope="session")
def smtp_server():
    controller, mailbox = start_smtp()
    yield controller, mailbox
    controller.stop()


@pytest.fixture
def mailbox(smtp_server):
    _, box = smtp_server
    box.clear()
    return box


@pytest.fixture(scope="session", params=ENGINES)
async def app(request, smtp_server, tmp_path_factory):
    """The portal on one engine, migrated, with its lifespan running (outbox worker included)."""
    controller, _ = smtp_server
    data_dir: Path = tmp_path_factory.mktemp(f"data-{request.param}")
    pg_name = None
    if request.param == "postgres":
        reason = await postgres_unavailable_reason()
        if reason:
            skip_or_fail(reason)
        pg_name, url = await create_pg_database()
    else:
        url = f"sqlite:///{data_dir / 'test.sqlite3'}"
    settings = load_settings({
        "PORTAL_DATA_DIR": str(data_dir),
        "PORTAL_SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "DATABASE_URL": url,
        "DATABASE_POOL_SIZE": "10",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(controller.port),
        "PORTAL_PUBLIC_URL": "http://testserver",
        "LOGIN_ATTEMPTS_PER_15MIN": "5",
        "REMINDER_INTERVAL_SECONDS": "0",  # tests call send_deadline_reminders with the time they set
    })
    from portal.app import create_app

    application = create_app(settings)
    application.state.engine_name = request.param
    async with running(application):
        await db.migrate()
        yield application
    if pg_name:
        await drop_pg_database(pg_name)


@asynccontextmanager
async def running(application):
    """Run the app's lifespan in a task of its own: pytest-asyncio finalises fixtures in another task, and
    the lifespan's cancel scope must be exited in the task that entered it."""
    started, stop = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with application.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(hold())
    await asyncio.wait([task, asyncio.create_task(started.wait())], return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        task.result()  # the lifespan failed to start: raise its error here
    try:
        yield
    finally:
        stop.set()
        await task


@pytest.fixture
async def portal(app):
    """The app for one test; every table is emptied afterwards."""
    db.use_engine(app.state.engine)
    yield app
    await empty_tables(app.state.engine_name)


async def empty_tables(engine_name: str) -> None:
    from portal.piccolo_app import ALL_TABLES

    names = [t._meta.tablename for t in ALL_TABLES]
    first = ALL_TABLES[0]
    if engine_name == "postgres":
        async with first._meta.db.transaction():
            await first.raw(_postgres_reset(tuple(names)))
    else:
        for name in reversed(names):
            await first.raw(f"DELETE FROM {name}")


@functools.cache
def _postgres_reset(names: tuple[str, ...]) -> str:
    """One statement that empties the tables and starts their sequences at 1 again, as `TRUNCATE ... RESTART
    IDENTITY CASCADE` did, in milliseconds: TRUNCATE gives every table new files, which took about 0.9 s after each
    PostgreSQL test on a loaded machine (12 of the suite's 19 minutes). The same locks as TRUNCATE's first, so
    that a background worker's transaction still writing (the outbox, letters) ends before the rows go. The audit
    trail refuses DELETE by a trigger, and foreign keys would want an order: the reset runs as replication does,
    without either (session_replication_role)."""
    quoted = [f'"{name}"' for name in names]
    deletes = " ".join(f"DELETE FROM {table};" for table in quoted)
    tables = ", ".join(f"'{table}'" for table in quoted)
    return f"""DO $$
    DECLARE seq regclass;
    BEGIN
      SET LOCAL session_replication_role = replica;
      LOCK TABLE {', '.join(quoted)} IN ACCESS EXCLUSIVE MODE;
      {deletes}
      FOR seq IN SELECT s.oid::regclass FROM pg_class s JOIN pg_depend d ON d.objid = s.oid
                 WHERE s.relkind = 'S' AND d.deptype IN ('a', 'i') AND d.refobjid = ANY(ARRAY[{tables}]::regclass[])
      LOOP
        PERFORM setval(seq, 1, false);
      END LOOP;
    END $$"""


@pytest.fixture
async def demo(portal):
    """The demo seeded, with the portal set as `portal demo` runs it: two-factor sign-in is not required of the
    demo's staff and administrators (README, docs/configuration.md)."""
    from portal.demo import seed

    await seed(portal.state.settings)
    original = portal.state.settings
    portal.state.settings = dataclasses.replace(original, two_factor_required_for_staff=False)
    yield portal
    portal.state.settings = original


@pytest.fixture
async def client(portal):
    c = Client(portal)
    yield c
    await c.aclose()


@pytest.fixture
async def make_client(portal):
    """Clients for more personas in one test: `alice = await make_client()`."""
    clients: list[Client] = []

    async def make() -> Client:
        c = Client(portal)
        clients.append(c)
        return c

    yield make
    for c in clients:
        await c.aclose()


@pytest.fixture
async def world(portal):
    """The standard personas and programs (tests/factories/__init__.py: World)."""
    from portal.db import write_transaction
    from tests.factories import build_world

    async with write_transaction():  # one commit instead of fifty: the world is built in a few milliseconds
        return await build_world()


@pytest.fixture
async def as_persona(portal, world):
    """A signed-in client for a persona key of the world, or an anonymous one for "anonymous"."""
    from tests.factories import PASSWORD, PERSONAS

    clients: list[Client] = []

    async def sign_in(key: str) -> Client:
        c = Client(portal)
        clients.append(c)
        if key != "anonymous":
            await c.login(PERSONAS[key], PASSWORD)
        return c

    yield sign_in
    for c in clients:
        await c.aclose()


# -- Stripe, offline (issue 5 payments; tests/stripe_servers.py) --------------------------------------------------

@pytest.fixture(scope="session")
async def stripe_servers():
    """localstripe and the Connect fake on loopback, once per run; a failure to start fails the tests."""
    from tests.stripe_servers import STRIPE_WEBHOOK_SECRET, start_stripe_servers

    servers = await start_stripe_servers(STRIPE_WEBHOOK_SECRET)
    yield servers
    await servers.stop()


@pytest.fixture
async def stripe_portal(portal, stripe_servers):
    """The portal with Stripe configured against the local servers for one test (the key, the webhook secret
    and STRIPE_API_BASE); yields the servers."""
    import dataclasses

    from portal.settings import StripeSettings
    from tests.stripe_servers import STRIPE_TEST_KEY, STRIPE_WEBHOOK_SECRET

    original = portal.state.settings
    portal.state.settings = dataclasses.replace(original, stripe=StripeSettings(
        secret_key=STRIPE_TEST_KEY, webhook_secret=STRIPE_WEBHOOK_SECRET, api_base=stripe_servers.url))
    stripe_servers.reset()
    try:
        yield stripe_servers
    finally:
        portal.state.settings = original
        stripe_servers.reset()


@pytest.fixture
async def stripe_card_portal(portal, stripe_portal):
    """`stripe_portal` plus a publishable key and Stripe.js from the Connect fake (`/js.stripe.com/v3/`), so the
    pledge page offers card payment; yields the servers."""
    import dataclasses

    from tests.stripe_servers import STRIPE_PUBLISHABLE_KEY

    stripe = portal.state.settings.stripe
    portal.state.settings = dataclasses.replace(portal.state.settings, stripe=dataclasses.replace(
        stripe, publishable_key=STRIPE_PUBLISHABLE_KEY, js_url=f"{stripe_portal.url}/js.stripe.com/v3/"))
    yield stripe_portal
