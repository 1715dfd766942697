"""A pytest plugin: a test run must not leave threads behind that keep the interpreter alive.

aiosqlite (0.22 and later) runs each connection in a non-daemon thread that ends only when the connection is
closed, so one connection left open makes Python wait forever at exit after every test has passed (a CI run
once timed out that way). This plugin records where each aiosqlite connection was opened; at the end of the
session any non-daemon thread still alive is listed (with that place for a connection), the run fails, and
the process exits instead of hanging.

Loaded for tests/ and e2e/ alike through `-p tests.thread_guard` in pyproject.toml. Under pytest-xdist each worker
checks its own threads and sends what it found to the main process (`workeroutput`), which lists it and fails the
run: a worker's own exit status would not reach the result.
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
"""Threads left running in this process."""
_leaked_on_workers: list[str] = []
"""Under pytest-xdist, in the main process: threads the workers reported left running, with the worker's id."""
_workers_heard: set[str] = set()
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
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: xdist sends this to the main process after this hook
        workeroutput["threads_left_running"] = list(_leaked)
    if _leaked or _leaked_on_workers:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    """In the main process of an xdist run: collect what a finished worker found left running (once per worker:
    a worker that exits after reporting may be reported down a second time)."""
    worker = node.gateway.id
    if worker in _workers_heard:
        return
    _workers_heard.add(worker)
    for entry in getattr(node, "workeroutput", {}).get("threads_left_running", []):
        _leaked_on_workers.append(f"[{worker}] {entry}")


def pytest_terminal_summary(terminalreporter) -> None:
    if _leaked or _leaked_on_workers:
        terminalreporter.section("threads left running (the interpreter would never exit)", red=True)
        for entry in _leaked + _leaked_on_workers:
            terminalreporter.line(entry)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    if _leaked:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(int(pytest.ExitCode.TESTS_FAILED))
