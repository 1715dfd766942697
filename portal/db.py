"""The database engine, write transactions and engine-neutral errors.

SQLite (the embedded default) runs in WAL mode with a busy timeout, and every write transaction is
IMMEDIATE so that concurrent read-then-write requests queue instead of failing with "database is locked".
PostgreSQL runs with a connection pool per process.
"""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import date, datetime
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable

import aiosqlite
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType, dict_factory

from portal.settings import DatabaseSettings, load_settings

try:  # asyncpg is installed with the postgres extra; SQLite-only installs may lack it.
    from asyncpg.exceptions import UniqueViolationError as _PgUniqueViolation
except ImportError:  # pragma: no cover
    _PgUniqueViolation = ()

SQLITE_BUSY_TIMEOUT_S = 30

PortalEngine = PostgresEngine | SQLiteEngine
"""The engines the portal runs on (Piccolo's `Engine` is generic in its transaction class)."""


class Duplicate(Exception):
    """A unique constraint refused a row: the thing already exists."""


class PooledSQLiteEngine(SQLiteEngine):
    """Piccolo's SQLite engine, keeping a few connections open for queries outside transactions.

    Stock Piccolo opens a new connection, and with aiosqlite a new thread, for every such query (0.5-1 ms
    each); a page making ten queries spent most of its time there. Each statement still runs in autocommit
    mode exactly as before, so every read sees the latest committed data. Transactions keep their own
    connection, as in Piccolo.
    """

    def __init__(self, *args: Any, pool_size: int = 4, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pool_size = pool_size
        self._idle: list[aiosqlite.Connection] = []
        self._opened = 0
        self._available: asyncio.Condition | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False
        """After `close_pool` (the app shut down) a connection is closed after each use instead of kept: each
        aiosqlite connection runs in a non-daemon thread, and one left open keeps the process from exiting."""

    async def _acquire(self) -> aiosqlite.Connection:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a new event loop (CLI commands, tests): start afresh
            stale = self._idle
            self._loop, self._idle, self._opened, self._available = loop, [], 0, asyncio.Condition()
            for connection in stale:
                await connection.close()
        assert self._available is not None
        async with self._available:
            while not self._idle and self._opened >= self._pool_size:
                await self._available.wait()
            if self._idle:
                return self._idle.pop()
            self._opened += 1
        try:
            connection = await aiosqlite.connect(**self.connection_kwargs)
            await connection.execute("PRAGMA foreign_keys = 1")
        except BaseException:
            await self._release(None)
            raise
        connection.row_factory = dict_factory  # type: ignore[assignment]
        return connection

    async def _release(self, connection: aiosqlite.Connection | None) -> None:
        assert self._available is not None
        async with self._available:
            if connection is None:
                self._opened -= 1
            elif self._closed:
                self._opened -= 1
                await connection.close()
            else:
                self._idle.append(connection)
            self._available.notify()

    async def _run_in_new_connection(self, query: str, args: list[Any] | None = None, query_type: str = "generic",
                                     table: Any = None) -> Any:
        connection = await self._acquire()
        try:
            # One trip to aiosqlite's thread for a read; a write (which opened an implicit transaction)
            # is committed straight after, as Piccolo does.
            rows = await connection.execute_fetchall(query, args or [])
            if connection.in_transaction:
                await connection.commit()
        except BaseException:
            # Whatever state it was left in (an error, a cancelled await), do not reuse it.
            try:
                await asyncio.shield(connection.close())
            finally:
                await self._release(None)
            raise
        await self._release(connection)
        return rows

    def open_pool(self) -> None:
        self._closed = False

    async def close_pool(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        for connection in idle:
            await connection.close()
        self._opened -= len(idle)


def engine_for(settings: DatabaseSettings) -> PortalEngine:
    if settings.engine == "postgres":
        return PostgresEngine(config={"dsn": settings.url}, log_queries=False)
    path = settings.url.removeprefix("sqlite:///")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return PooledSQLiteEngine(path=path, timeout=SQLITE_BUSY_TIMEOUT_S)


_engine: PortalEngine | None = None
"""The engine in use; Piccolo finds it as `portal.piccolo_conf.DB`, which reads it from here."""


def current_engine() -> PortalEngine:
    """The engine in use: the one for the settings in the environment, until `use_engine` replaces it (the
    tests run one process against SQLite and PostgreSQL in turn)."""
    global _engine
    if _engine is None:
        _engine = engine_for(load_settings().database)
    return _engine


def use_engine(engine: PortalEngine) -> None:
    """Point Piccolo (migrations and every table) at `engine`."""
    global _engine
    from portal.piccolo_app import ALL_TABLES  # the registry of tables; it imports no module that imports this one

    from piccolo.apps.migrations.tables import Migration

    _engine = engine
    for table in [*ALL_TABLES, Migration]:  # Piccolo's own record of applied migrations too
        table._meta.db = engine


async def open_engine(engine: PortalEngine, pool_size: int) -> None:
    if isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(min_size=1, max_size=pool_size)
    elif isinstance(engine, SQLiteEngine):
        if isinstance(engine, PooledSQLiteEngine):
            engine.open_pool()
        # WAL lets readers run beside the one writer; the mode is kept in the database file.
        with sqlite3.connect(engine.path) as conn:
            conn.execute("PRAGMA journal_mode=WAL")


async def close_engine(engine: PortalEngine) -> None:
    if isinstance(engine, PostgresEngine):
        await engine.close_connection_pool()
    elif isinstance(engine, PooledSQLiteEngine):
        await engine.close_pool()


def _writer_lock(engine: SQLiteEngine) -> asyncio.Lock:
    """The engine's lock for write transactions in the running event loop."""
    loop = asyncio.get_running_loop()
    held = getattr(engine, "_portal_writer", None)
    if held is None or held[0] is not loop:
        held = (loop, asyncio.Lock())
        engine._portal_writer = held  # type: ignore[attr-defined]
    return held[1]


_before_commit: ContextVar[dict[str, tuple[list[Any], Callable[[list[Any]], Awaitable[None]]]] | None] = ContextVar(
    "before_commit", default=None)


def collect_before_commit(key: str, flush: Callable[[list[Any]], Awaitable[None]]) -> list[Any] | None:
    """The list that `flush` receives just before the current write transaction commits (one list per `key`
    and transaction), or None outside a write transaction. The audit trail appends its rows there, so that
    the lock serialising its chain is held only for the last statements before commit."""
    pending = _before_commit.get()
    if pending is None:
        return None
    if key not in pending:
        pending[key] = ([], flush)
    return pending[key][0]


@asynccontextmanager
async def write_transaction() -> AsyncIterator[None]:
    """A transaction for a read-then-write change; unique violations surface as `Duplicate`.

    Nested use joins the outer transaction. Work collected by `collect_before_commit` runs as the outermost
    one ends without an error, inside the transaction.
    """
    if _before_commit.get() is not None:
        async with _transaction():
            yield
        return
    pending: dict[str, tuple[list[Any], Callable[[list[Any]], Awaitable[None]]]] = {}
    token = _before_commit.set(pending)
    try:
        async with _transaction():
            yield
            for items, flush in pending.values():
                if items:
                    await flush(items)
    finally:
        _before_commit.reset(token)


@asynccontextmanager
async def _transaction() -> AsyncIterator[None]:
    engine = current_engine()
    try:
        if isinstance(engine, SQLiteEngine):
            if engine.current_transaction.get() is not None:
                yield
                return
            # One writer at a time per process: waiting here costs nothing, while a transaction waiting on
            # SQLite's lock polls it with sleeps of up to 100 ms, so a burst of writers mostly sleeps.
            async with _writer_lock(engine), engine.transaction(transaction_type=TransactionType.immediate):
                yield
        else:
            async with engine.transaction(allow_nested=True):
                yield
    except sqlite3.IntegrityError as exc:
        if "UNIQUE" in str(exc):
            raise Duplicate(str(exc)) from exc
        raise
    except _PgUniqueViolation as exc:
        raise Duplicate(str(exc)) from exc


# Hot read paths use plain SQL (Piccolo's query building cost more than the query). These helpers keep the
# few engine differences of raw rows in one place.

def placeholders(values: list[Any]) -> str:
    """`{}, {}, {}` for an IN list: Piccolo's raw() binds each {} as a parameter."""
    return ", ".join(["{}"] * len(values))


def to_datetime(value: Any) -> datetime | None:
    """SQLite hands back a timestamp read through raw SQL as its stored text; PostgreSQL as a datetime."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def to_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value.date() if isinstance(value, datetime) else value
    return date.fromisoformat(str(value)[:10])


async def migrate() -> None:
    """Run every migration not yet applied (the same history on both engines)."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    result = await run_forwards(app_name="all")
    if not result.success:
        raise RuntimeError(f"migrations failed: {result.message}")
