"""A pytest plugin: a test run must not leave threads behind that keep the interpreter alive.

aiosqlite (0.22 and later) runs each connection in a non-daemon thread that ends only when the connection is
closed, so one connection left open makes Python wait forever at exit after every test has passed (a CI run
once timed out that way). This plugin records where each aiosqlite connection was opened; at the end of the
session any non-daemon thread still alive is listed (with that place for a connection), the run fails, and
the process exits instead of hanging.

Loaded for tests/ and e2e/ alike through `-p tests.thread_guard` in pyproject.toml.
"""

from __future__ import annotations

import os
import sys
import threading
import traceback

import pytest

_opened_at: dict[int, str] = {}
"""Thread ident of an aiosqlite connection's worker -> the stack that opened the connection."""
_leaked: list[str] = []
_current_test = "(outside any test)"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    global _current_test
    _current_test = item.nodeid
    try:
        return (yield)
    finally:
        _current_test = "(between tests)"


def _record_connection_stacks() -> None:
    import aiosqlite.core

    original_init = aiosqlite.core.Connection.__init__
    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        thread = getattr(self, "_thread", None)
        if isinstance(thread, threading.Thread):
            thread._opened_at = f"during {_current_test}\n" + "".join(  # type: ignore[attr-defined]
                traceback.format_stack(limit=14)[:-1])

    aiosqlite.core.Connection.__init__ = init  # type: ignore[method-assign]


def pytest_configure(config: pytest.Config) -> None:
    _record_connection_stacks()


def _lingering_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate()
            if t is not threading.main_thread() and t.is_alive() and not t.daemon]


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # Threads that are shutting down get a moment to finish.
    for thread in _lingering_threads():
        thread.join(timeout=2)
    for thread in _lingering_threads():
        where = getattr(thread, "_opened_at", "")
        _leaked.append(f"{thread.name}" + (f", an aiosqlite connection opened at:\n{where}" if where else ""))
    if _leaked:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter) -> None:
    if _leaked:
        terminalreporter.section("threads left running (the interpreter would never exit)", red=True)
        for entry in _leaked:
            terminalreporter.line(entry)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    if _leaked:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(int(pytest.ExitCode.TESTS_FAILED))
