"""Optimal reviewer assignment (issue 4, "Assignment"). Pure: no database, no web.

The model is a min-cost flow, solved as a linear programme with SciPy's HiGHS (interior point, then crossover
to a basic solution):

    source --(k)--> application --(1, pair cost)--> reviewer --(capacity unit edges: B, 2B, 3B, ...)--> sink

* An application edge carries at most k units: the reviewers it gets. It too is k parallel unit edges of
  rising cost, so when not every application can be filled the shortfall is spread evenly.
* An application -> reviewer edge exists only for pairs without a conflict of interest, so a conflicted
  pair can never be chosen. Its cost is the reviewer's preference (eager 0, willing 1, not 3; no stated
  preference counts as willing) plus 1 unless the reviewer declared expertise matching the application.
* A reviewer reaches the sink through `capacity` parallel unit edges costing B, 2B, 3B, ... The marginal
  cost of one more review grows with the load (a convex cost), and B is larger than any difference in pair
  cost, so the optimiser first balances loads and only then honours preferences and expertise. With ample
  capacity and no conflicts in the way, loads end within one of each other.

The constraint matrix is a network matrix (totally unimodular), so a basic optimal solution, which crossover
and the simplex method return, is integral. Two solves keep the priorities exact without a big-M weight: the first
finds the largest number of reviews that can be placed at all (SciPy's maximum flow on the same network), the
second fixes that total and minimises the cost. Applications left short of k are reported with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import OptimizeResult, linprog
from scipy.sparse import coo_matrix, csr_matrix, vstack
from scipy.sparse.csgraph import maximum_flow

PREFERENCE_COST = {"eager": 0, "willing": 1, "not": 3}
NO_EXPERTISE_COST = 1
# One step of load must outweigh the widest spread of pair costs, so balance comes before preference.
LOAD_STEP = max(PREFERENCE_COST.values()) + NO_EXPERTISE_COST + 1


@dataclass(frozen=True)
class Reviewer:
    id: int
    capacity: int


@dataclass(frozen=True)
class Unfilled:
    """An application that got fewer than k reviewers, and why."""

    application_id: int
    assigned: int
    eligible: int
    reason: str


@dataclass
class Assignment:
    pairs: list[tuple[int, int]]  # (application id, reviewer id), sorted
    counts: dict[int, int]  # application id -> reviewers assigned
    loads: dict[int, int]  # reviewer id -> applications assigned
    unfilled: list[Unfilled] = field(default_factory=list)
    total_cost: int = 0  # sum of pair costs (preference + expertise), loads excluded

    @property
    def complete(self) -> bool:
        return not self.unfilled


def pair_cost(preference: str | None, expert: bool) -> int:
    return PREFERENCE_COST[preference or "willing"] + (0 if expert else NO_EXPERTISE_COST)


def assign(
    applications: list[int],
    reviewers: list[Reviewer],
    k: int,
    conflicts: set[tuple[int, int]],
    preferences: Mapping[tuple[int, int], str] | None = None,
    expertise: Iterable[tuple[int, int]] = (),
    existing: Iterable[tuple[int, int]] = (),
) -> Assignment:
    """Assign up to k reviewers to each application; see the module docstring for the model.

    `conflicts`, `preferences`, `expertise` and `existing` are keyed by (application id, reviewer id). A
    preference is "eager", "willing" or "not". `existing` pairs are assignments already made: each counts
    toward its application's k and its reviewer's load and capacity, and is never proposed again (`pairs`
    holds only new pairs; `counts` and `loads` include the existing ones). Raises ValueError on a negative k
    or capacity, a repeated id, or an unknown preference.
    """
    preferences = preferences or {}
    expert_pairs = set(expertise)
    existing_pairs = set(existing)
    filled = dict.fromkeys(applications, 0)
    held = {r.id: 0 for r in reviewers}
    for a, r in existing_pairs:
        if a in filled:
            filled[a] += 1
        if r in held:
            held[r] += 1
    if k < 0:
        raise ValueError("k must not be negative")
    if len(set(applications)) != len(applications) or len({r.id for r in reviewers}) != len(reviewers):
        raise ValueError("application and reviewer ids must be unique")
    for reviewer in reviewers:
        if reviewer.capacity < 0:
            raise ValueError(f"reviewer {reviewer.id} has a negative capacity")
    for value in preferences.values():
        if value not in PREFERENCE_COST:
            raise ValueError(f"unknown preference {value!r}")

    pairs = [(a, r.id) for a in applications for r in reviewers
             if (a, r.id) not in conflicts and (a, r.id) not in existing_pairs]
    costs = [pair_cost(preferences.get(p), p in expert_pairs) for p in pairs]
    chosen = _solve(applications, reviewers, k, pairs, costs, filled, held) if pairs and k > 0 else set()

    counts = dict(filled)
    loads = dict(held)
    eligible = dict(filled)
    total = 0
    for pair, cost in zip(pairs, costs):
        eligible[pair[0]] += 1
        if pair in chosen:
            counts[pair[0]] += 1
            loads[pair[1]] += 1
            total += cost
    return Assignment(
        pairs=sorted(chosen),
        counts=counts,
        loads=loads,
        unfilled=[
            Unfilled(a, counts[a], eligible[a], _reason(eligible[a], k))
            for a in applications
            if counts[a] < k
        ],
        total_cost=total,
    )


def _reason(eligible: int, k: int) -> str:
    if eligible < k:
        return f"only {eligible} reviewer(s) have no conflict of interest; {k} are needed"
    return "the reviewers without a conflict of interest have no capacity left"


def _solve(
    applications: list[int],
    reviewers: list[Reviewer],
    k: int,
    pairs: list[tuple[int, int]],
    costs: list[int],
    filled: Mapping[int, int],
    held: Mapping[int, int],
) -> set[tuple[int, int]]:
    """Maximum flow, then the min-cost LP at that flow; returns the chosen pairs.

    Variables, all 0..1: x per pair; s per application seat (the j-th reviewer of an application, costing
    j times more than any load step, so a shortfall is spread: every application gets one reviewer before
    any gets a second); y per reviewer load unit (the j-th costing j·LOAD_STEP). Rows: per application
    sum s - sum x = 0; per reviewer sum x - sum y = 0; and sum s = the maximum flow. Seats and units
    already taken by existing assignments (`filled`, `held`) are left out, so numbering starts after them.
    """
    app_row = {a: i for i, a in enumerate(applications)}
    n_apps, n_pairs = len(applications), len(pairs)
    rev_row = {r.id: n_apps + i for i, r in enumerate(reviewers)}
    seats = [(i, j) for i, a in enumerate(applications) for j in range(filled[a] + 1, k + 1)]
    units = [(r.id, j) for r in reviewers
             for j in range(held[r.id] + 1, min(r.capacity, held[r.id] + n_apps) + 1)]
    s0 = n_pairs
    y0 = s0 + len(seats)
    n_vars = y0 + len(units)

    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    for col, (a, r) in enumerate(pairs):
        rows += [app_row[a], rev_row[r]]
        cols += [col, col]
        vals += [-1.0, 1.0]
    for col, (i, _) in enumerate(seats, start=s0):
        rows.append(i)
        cols.append(col)
        vals.append(1.0)
    for col, (r, _) in enumerate(units, start=y0):
        rows.append(rev_row[r])
        cols.append(col)
        vals.append(-1.0)
    n_rows = n_apps + len(reviewers)
    flow_rows = coo_matrix((vals, (rows, cols)), shape=(n_rows, n_vars)).tocsr()
    bounds = np.zeros((n_vars, 2))
    bounds[:, 1] = 1.0

    max_flow = _max_flow(app_row, rev_row, k, pairs, reviewers, filled, held)

    total_row = coo_matrix(
        (np.ones(len(seats)), (np.zeros(len(seats), dtype=int), np.arange(s0, y0))), shape=(1, n_vars)
    )
    seat_step = LOAD_STEP * (max((j for _, j in units), default=0) + 1)
    cost = np.zeros(n_vars)
    cost[:n_pairs] = costs
    cost[s0:y0] = [j * seat_step for _, j in seats]
    cost[y0:] = [j * LOAD_STEP for _, j in units]
    second = _linprog(
        cost, vstack([flow_rows, total_row]).tocsr(), np.append(np.zeros(n_rows), max_flow), bounds
    )
    return {pair for pair, x in zip(pairs, second.x[:n_pairs]) if x > 0.5}


def _max_flow(
    app_row: dict[int, int],
    rev_row: dict[int, int],
    k: int,
    pairs: list[tuple[int, int]],
    reviewers: list[Reviewer],
    filled: Mapping[int, int],
    held: Mapping[int, int],
) -> int:
    """The most reviews that can be placed at all (Dinic's maximum flow; integral capacities)."""
    n_apps = len(app_row)
    source, sink = n_apps + len(reviewers), n_apps + len(reviewers) + 1
    tails = [source] * n_apps + [app_row[a] for a, _ in pairs] + [rev_row[r.id] for r in reviewers]
    heads = list(range(n_apps)) + [rev_row[r] for _, r in pairs] + [sink] * len(reviewers)
    capacities = ([max(0, k - filled[a]) for a in app_row] + [1] * len(pairs)
                  + [max(0, min(r.capacity - held[r.id], n_apps)) for r in reviewers])
    graph = csr_matrix(
        (np.array(capacities, dtype=np.int32), (tails, heads)), shape=(sink + 1, sink + 1)
    )
    return int(maximum_flow(graph, source, sink, method="dinic").flow_value)


def _linprog(cost: np.ndarray, a_eq: csr_matrix, b_eq: np.ndarray, bounds: np.ndarray) -> OptimizeResult:
    """Interior point then crossover (HiGHS): about five times faster here than dual simplex alone.

    Crossover ends on a basic solution, integral because the matrix is totally unimodular; should it ever
    return a fractional one, the dual simplex (always basic) solves again.
    """
    for method in ("highs-ipm", "highs-ds"):
        result = linprog(cost, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method=method)
        if result.status != 0:  # pragma: no cover - the zero flow is always feasible
            raise RuntimeError(f"assignment solver failed: {result.message}")
        if np.allclose(result.x, np.round(result.x), atol=1e-6):
            return result
    raise RuntimeError("assignment solver returned a fractional solution")  # pragma: no cover
