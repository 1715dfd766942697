"""A pytest plugin: how a parallel run (pytest-xdist, `-n N`) hands the tests to its worker processes.

`.ci/test` runs the whole suite on two workers (TEST_WORKERS). What keeps the workers apart: each builds its
own app per engine (a SQLite file in its own temporary directory, a PostgreSQL database named after its process
id: tests/support.py create_pg_database), its own SMTP server and Stripe servers on free ports (localstripe in
memory only: tests/stripe_servers.py), and, for the browser tests, its own `portal serve` on a free port.

xdist's own `load` distribution would spread the browser tests over every worker, and each worker would then start
a portal server, a Stripe process and a Chromium per engine (about 20 s each), and could run asyncio tests after
Playwright had started, which fails (e2e/conftest.py: the browser tests run last). So with `--dist load` (xdist's
default) this plugin's scheduler is used instead:

- tests/: handed out a few at a time, in collection order, to whichever worker is free (each worker runs its
  SQLite tests, then its PostgreSQL ones, so it builds each engine's app once).
- e2e/: all the browser tests of one engine go to one worker as one unit: one portal server, one Stripe process
  and one Chromium per engine in the whole run, as in a serial run. A worker that has taken a unit is given
  nothing from tests/ after it (the other unit, if it is still there when the first one ends).
- A unit is handed out as soon as the rest (the tests/ items not handed out yet and the other units) would keep
  the other workers busy about as long as the unit takes, so that the workers end together. How long things take
  is estimated: tests/ items by the mean duration of those finished so far, a unit by
  `E2E_SECONDS_TO_START` plus `E2E_SECONDS_PER_TEST` per test.

Another `--dist` mode (`loadfile`, `loadscope`, ...) is left to xdist as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from xdist.workermanage import WorkerController

E2E_DIR = "e2e/"
ENGINES = ("sqlite", "postgres")
E2E_SECONDS_TO_START = 30.0
"""Migrating, seeding and starting one engine's portal server, the Stripe process and Chromium: 15-25 s serially
on a loaded 2-core machine (December 2026), more beside another worker."""
E2E_SECONDS_PER_TEST = 3.5
"""A browser test. On two workers (`.ci/run`, load average 5-11) the 42 SQLite ones took 177 s with the start, the
35 PostgreSQL ones 167 s, and the two workers ended 8 s apart."""
ITEMS_AHEAD = 3
"""tests/ items a worker holds beyond the one it runs: enough that it never waits for the next."""


def browser_unit(nodeid: str) -> str | None:
    """The unit of a browser test ("e2e-sqlite", "e2e-postgres"); None for a test in tests/."""
    if not nodeid.startswith(E2E_DIR):
        return None
    params = nodeid.rpartition("[")[2].rstrip("]").split("-") if nodeid.endswith("]") else []
    return "e2e-" + next((engine for engine in ENGINES if engine in params), "other")


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    if config.getvalue("dist") != "load":
        return None
    return _make_scheduler(config, log)


def _make_scheduler(config: pytest.Config, log):
    from xdist.scheduler import LoadScheduling

    class BrowserTestsLastScheduling(LoadScheduling):
        """xdist's `load` scheduling, with the browser tests of each engine kept together and last on a worker."""

        def __init__(self, config: pytest.Config, log=None) -> None:
            super().__init__(config, log)
            self.units: dict[str, list[int]] = {}
            """Browser tests not handed out yet, by unit, in collection order."""
            self.finished = 0
            self.finished_seconds = 0.0
            """Count and total duration of the tests/ items finished so far."""
            self.took_unit: set[WorkerController] = set()

        @property
        def tests_finished(self) -> bool:
            return not self.units and super().tests_finished

        @property
        def has_pending(self) -> bool:
            return bool(self.units) or super().has_pending

        def schedule(self) -> None:
            assert self.collection_is_completed
            if self.collection is not None:
                for node in self.nodes:
                    self.check_schedule(node)
                return
            if not self._check_nodes_have_same_collection():
                self.log("**Different tests collected, aborting run**")
                return
            self.collection = next(iter(self.node2collection.values()))
            for index, nodeid in enumerate(self.collection):
                unit = browser_unit(nodeid)
                if unit is None:
                    self.pending.append(index)
                else:
                    self.units.setdefault(unit, []).append(index)
            for node in self.nodes:
                self.check_schedule(node)

        def mark_test_complete(self, node: WorkerController, item_index: int, duration: float = 0) -> None:
            if self.collection is not None and browser_unit(self.collection[item_index]) is None:
                self.finished += 1
                self.finished_seconds += duration
            super().mark_test_complete(node, item_index, duration)

        def check_schedule(self, node: WorkerController, duration: float = 0) -> None:
            if node.shutting_down or len(self.node2pending[node]) > ITEMS_AHEAD:
                return
            unit = self._unit_due(node)
            if unit is not None:
                self.took_unit.add(node)
                self._send(node, self.units.pop(unit))
            elif self.pending and node not in self.took_unit:
                wanted = ITEMS_AHEAD + 1 - len(self.node2pending[node])
                self._send(node, self.pending[:wanted])
                del self.pending[:wanted]
            if not self.pending and not self.units:
                node.shutdown()  # it runs what it holds, then ends

        def _unit_due(self, node: WorkerController) -> str | None:
            """The browser unit this worker should take now, if any (the longest first)."""
            if not self.units:
                return None
            longest = max(self.units, key=lambda unit: len(self.units[unit]))
            if not self.pending or node in self.took_unit:
                return longest  # nothing else left, or nothing else allowed: a worker running out of work takes it
            others = len([n for n in self.nodes if n not in self.took_unit and not n.shutting_down]) - 1
            if others <= 0:
                return None  # the last worker without a unit finishes tests/ first
            mean = self.finished_seconds / self.finished if self.finished else 0.5
            rest = len(self.pending) * mean + sum(
                self._estimate(unit) for unit in self.units if unit != longest)
            return longest if rest / others <= self._estimate(longest) else None

        def _estimate(self, unit: str) -> float:
            return E2E_SECONDS_TO_START + E2E_SECONDS_PER_TEST * len(self.units[unit])

        def remove_node(self, node: WorkerController) -> str | None:
            """A worker that crashed: its tests/ items go back to the queue, its browser tests back to their
            unit (pytest reports the test it was running as crashed)."""
            pending = self.node2pending.pop(node)
            self.took_unit.discard(node)
            if not pending:
                return None
            assert self.collection is not None
            crashed = self.collection[pending.pop(0)]
            for index in pending:
                unit = browser_unit(self.collection[index])
                if unit is None:
                    self.pending.append(index)
                else:
                    self.units.setdefault(unit, []).append(index)
            self.pending.sort()
            for other in self.nodes:
                self.check_schedule(other)
            return crashed

        def _send(self, node: WorkerController, indices: Sequence[int]) -> None:
            self.node2pending[node].extend(indices)
            node.send_runtest_some(list(indices))

    return BrowserTestsLastScheduling(config, log)
