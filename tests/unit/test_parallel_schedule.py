"""tests/parallel.py: on pytest-xdist, each engine's browser tests go to one worker as one unit, after that worker's
tests/ items and with none after them, and every test is handed out exactly once."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.parallel import _make_scheduler, browser_unit

COLLECTION = (
    [f"tests/integration/test_a.py::test_{i}[sqlite]" for i in range(30)]
    + [f"tests/integration/test_a.py::test_{i}[postgres]" for i in range(30)]
    + [f"tests/unit/test_b.py::test_{i}" for i in range(10)]
    + [f"e2e/test_c.py::test_{i}[sqlite-chromium]" for i in range(5)]
    + [f"e2e/test_c.py::test_{i}[postgres-chromium]" for i in range(4)]
)


class FakeConfig:
    def __init__(self, workers: int) -> None:
        self.values = {"tx": [f"{workers}*popen"], "maxschedchunk": None, "dist": "load"}

    def getvalue(self, name: str):
        return self.values[name]

    getoption = getvalue


class FakeWorker:
    def __init__(self, name: str) -> None:
        self.name, self.sent, self.shutting_down = name, [], False
        self.gateway = SimpleNamespace(id=name)

    def send_runtest_some(self, indices: list[int]) -> None:
        self.sent.append(list(indices))

    def shutdown(self) -> None:
        self.shutting_down = True


def run(workers: int) -> list[FakeWorker]:
    """Schedule COLLECTION on fake workers that each finish their oldest test in turn, a second a test."""
    scheduler = _make_scheduler(FakeConfig(workers), None)
    nodes = [FakeWorker(f"gw{i}") for i in range(workers)]
    for node in nodes:
        scheduler.add_node(node)
    for node in nodes:
        scheduler.add_node_collection(node, COLLECTION)
    scheduler.schedule()
    while any(scheduler.node2pending[node] for node in nodes):
        for node in nodes:
            if scheduler.node2pending[node]:
                scheduler.mark_test_complete(node, scheduler.node2pending[node][0], duration=1.0)
    assert scheduler.tests_finished  # xdist then shuts down the workers still waiting
    return nodes


def test_browser_unit_is_the_engine_of_a_browser_test():
    assert [browser_unit(nodeid) for nodeid in (
        "e2e/test_c.py::test_x[sqlite-chromium]", "e2e/test_c.py::test_x[postgres-chromium]",
        "tests/integration/test_a.py::test_x[postgres]", "tests/unit/test_b.py::test_y")] == [
        "e2e-sqlite", "e2e-postgres", None, None]


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_each_engines_browser_tests_go_to_one_worker_last_and_everything_runs_once(workers):
    nodes = run(workers)
    sent = [index for node in nodes for batch in node.sent for index in batch]
    assert sorted(sent) == list(range(len(COLLECTION)))
    units = {}
    for node in nodes:
        order = [COLLECTION[index] for batch in node.sent for index in batch]
        kinds = [browser_unit(nodeid) for nodeid in order]
        first_browser = next((i for i, kind in enumerate(kinds) if kind), len(kinds))
        assert [kind for kind in kinds[first_browser:] if kind is None] == [], node.name  # nothing after e2e
        for batch in node.sent:
            for unit in {browser_unit(COLLECTION[index]) for index in batch} - {None}:
                units.setdefault(unit, []).append((node.name, len(batch)))
    assert units == {"e2e-sqlite": [(units["e2e-sqlite"][0][0], 5)],
                     "e2e-postgres": [(units["e2e-postgres"][0][0], 4)]}


def test_on_two_workers_each_takes_one_unit_after_its_share_of_tests():
    workers = run(2)
    for node in workers:
        kinds = [browser_unit(COLLECTION[index]) for batch in node.sent for index in batch]
        assert (len(set(kinds) - {None}), None in kinds) == (1, True), node.name
