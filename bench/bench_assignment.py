"""Time reviewer assignment (issue 4): 2,000 applications, 150 reviewers, k = 3, ~3 % random conflicts,
capacity 45 each. Prints seconds per run and checks the result's invariants.

    .venv/bin/python -m bench.bench_assignment [--runs 3] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from portal.reviews.assignment.solver import Reviewer, assign


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--applications", type=int, default=2000)
    parser.add_argument("--reviewers", type=int, default=150)
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--capacity", type=int, default=45)
    parser.add_argument("--conflict-rate", type=float, default=0.03)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    applications = list(range(1, args.applications + 1))
    reviewers = [Reviewer(10_000 + i, args.capacity) for i in range(args.reviewers)]
    conflicts = {(a, r.id) for a in applications for r in reviewers if rng.random() < args.conflict_rate}
    choices = ["eager", "willing", "not"]
    preferences = {(a, r.id): rng.choice(choices) for a in applications for r in reviewers if rng.random() < 0.1}
    expertise = {(a, r.id) for a in applications for r in reviewers if rng.random() < 0.2}

    seconds = []
    for _ in range(args.runs):
        start = time.perf_counter()
        result = assign(applications, reviewers, args.k, conflicts, preferences, expertise)
        seconds.append(time.perf_counter() - start)

        assert not set(result.pairs) & conflicts, "a conflicted pair was assigned"
        assert all(result.loads[r.id] <= r.capacity for r in reviewers), "a capacity was exceeded"
        assert result.unfilled == [], "an application was left short although the instance is feasible"
        assert all(result.counts[a] == args.k for a in applications)
        spread = max(result.loads.values()) - min(result.loads.values())
        assert spread <= 1, f"loads spread by {spread}"

    loads = result.loads.values()
    print(
        f"{args.applications} applications x {args.reviewers} reviewers, k={args.k}, capacity {args.capacity}, "
        f"{len(conflicts)} conflicts ({len(conflicts) / (args.applications * args.reviewers):.1%})"
    )
    print(f"pairs {len(result.pairs)}, loads {min(loads)}..{max(loads)}, pair cost {result.total_cost}")
    print("seconds per run: " + ", ".join(f"{s:.2f}" for s in seconds))
    print(f"median {statistics.median(seconds):.2f} s")


if __name__ == "__main__":
    main()
