"""Time a panel's assignment end to end through the services (issue 4): compute the proposal (load the panel's
applications, members, conflicts, preferences and expertise from the database, solve, store the proposal) and
publish it (re-check conflicts and membership, insert the assignments, one email per reviewer), on SQLite and
PostgreSQL. 2,000 applications × 150 reviewers of capacity 45, k = 3; 3 % declared conflicts, a preference on
10 % of pairs, half the reviewers with expertise matching a quarter of the applications' focus.

    .venv/bin/python -m bench.bench_publish                    # SQLite, in a throwaway directory
    .venv/bin/python -m bench.bench_publish --engine postgres  # a throwaway database on TEST_POSTGRES_URL's server

Checks after publishing: as many assignments as proposed pairs, no declared conflict assigned, no capacity
exceeded, every application with k reviewers, one email per reviewer; publishing again adds nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
from pathlib import Path

os.environ.setdefault("PICCOLO_CONF", "portal.piccolo_conf")

from portal import db  # noqa: E402
from portal.settings import load_settings  # noqa: E402

FOCUS = ["screening", "diapers", "home_visiting", "child_care"]


async def seed(n_apps: int, n_reviewers: int, k: int, capacity: int, rng: random.Random) -> dict:
    from portal.core import clock
    from portal.core.actor import Actor, Principal
    from portal.reviews.tables import PanelMember, ReviewConflict, ReviewPreference
    from tests.factories import APPLICATION_SCHEMA, VALID_ANSWERS, add_member, make_org, make_program, make_user
    from tests.factories.reviews import make_panel

    schema = {"sections": [{**APPLICATION_SCHEMA["sections"][0], "fields": [
        *APPLICATION_SCHEMA["sections"][0]["fields"][:5],
        {"key": "focus", "type": "select", "label": "Focus area", "required": True,
         "options": [{"value": v, "label": v.replace("_", " ").title()} for v in FOCUS]},
    ]}]}
    async with db.write_transaction():
        staff = await make_user("staff@network.org", "Sam Staff")
        network = await make_org("network", "Bench Network")
        await add_member(staff, network, "staff")
        program = await make_program(network, "bench-program", schema=schema)
        panel = await make_panel(program, k=k)
        from portal.accounts.tables import Organisation
        from portal.applications.tables import Application
        from tests.factories import form_version_id

        now = clock.now()
        orgs = [Organisation(kind="city", name=f"City {i}", slug=f"city-{i}", state="WI", email_domain=f"city{i}.gov",
                             created_at=now) for i in range(n_apps)]
        for start in range(0, n_apps, 500):
            await Organisation.insert(*orgs[start:start + 500])
        org_ids = [r["id"] for r in await Organisation.select(Organisation.id).where(
            Organisation.kind == "city").order_by(Organisation.id)]
        version = await form_version_id(program)
        apps = [Application(program=program, organisation=org, form_version=version, status="submitted",
                            title=f"Plan {i}", answers={**VALID_ANSWERS, "focus": FOCUS[i % 4]},
                            requested_cents=100_000, created_by=staff, created_at=now, updated_at=now,
                            submitted_at=now, submitted_by=staff, receipt_number=f"B-{i}")
                for i, org in enumerate(org_ids)]
        for start in range(0, n_apps, 500):
            await Application.insert(*apps[start:start + 500])
        app_ids = [r["id"] for r in await Application.select(Application.id).order_by(Application.id)]
        reviewers = []
        for i in range(n_reviewers):
            user = await make_user(f"reviewer{i}@experts.org", f"Reviewer {i:03d}")
            reviewers.append(user)
            await PanelMember.insert(PanelMember(panel=panel, user=user, capacity=capacity, joined_at=now,
                                                 expertise=FOCUS[i % 4].replace("_", " ") if i % 2 else ""))
        conflicts = [ReviewConflict(application=a, reviewer=r, source="staff", reason="bench", declared_at=now)
                     for a in app_ids for r in reviewers if rng.random() < 0.03]
        for start in range(0, len(conflicts), 500):
            await ReviewConflict.insert(*conflicts[start:start + 500])
        declared = {(c.application, c.reviewer) for c in conflicts}
        prefs = [ReviewPreference(application=a, reviewer=r, level=rng.choice(["eager", "willing", "not"]),
                                  updated_at=now)
                 for a in app_ids for r in reviewers if (a, r) not in declared and rng.random() < 0.1]
        for start in range(0, len(prefs), 500):
            await ReviewPreference.insert(*prefs[start:start + 500])
    principal = Principal(id=staff, email="staff@network.org", name="Sam Staff", org_roles={network: "staff"},
                          org_kinds={network: "network"})
    return {"program": program, "panel": panel, "actor": Actor(principal, "127.0.0.1"), "declared": declared,
            "conflicts": len(conflicts), "preferences": len(prefs), "app_ids": app_ids}


async def run(engine_name: str, args: argparse.Namespace) -> None:
    from portal.core.tables import OutboundEmail
    from portal.reviews import queries
    from portal.reviews.assignment import services as assignment_services
    from portal.reviews.tables import Assignment

    pg_name = None
    tmp = tempfile.TemporaryDirectory(prefix="bench-publish-")
    if engine_name == "postgres":
        from tests.support import create_pg_database

        pg_name, url = await create_pg_database()
    else:
        url = f"sqlite:///{Path(tmp.name) / 'bench.sqlite3'}"
    settings = load_settings({"DATABASE_URL": url, "PORTAL_DATA_DIR": tmp.name,
                              "PORTAL_SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789"})
    engine = db.engine_for(settings.database)
    db.use_engine(engine)
    await db.open_engine(engine, 4)
    try:
        await db.migrate()
        started = time.perf_counter()
        world = await seed(args.applications, args.reviewers, args.k, args.capacity, random.Random(args.seed))
        print(f"[{engine_name}] seeded in {time.perf_counter() - started:.1f} s: {args.applications} applications, "
              f"{args.reviewers} reviewers (capacity {args.capacity}), k={args.k}, {world['conflicts']} declared "
              f"conflicts, {world['preferences']} preferences")
        panel = await queries.get_panel(world["program"])
        t0 = time.perf_counter()
        proposal = await assignment_services.compute_proposal(world["actor"], panel)
        t1 = time.perf_counter()
        outcome = await assignment_services.publish_proposal(world["actor"], panel["id"], "http://bench")
        t2 = time.perf_counter()
        again = await assignment_services.publish_proposal(world["actor"], panel["id"], "http://bench")
        from portal.reviews.assignment import queries as assignment_queries

        t3 = time.perf_counter()
        await assignment_queries.load_inputs(panel)  # the reads alone, for the breakdown
        reads = time.perf_counter() - t3

        rows = await Assignment.select(Assignment.application, Assignment.reviewer)
        pairs = {(r["application"], r["reviewer"]) for r in rows}
        assert len(rows) == len(proposal["pairs"]) == outcome.created, "assignments differ from the proposal"
        assert not pairs & world["declared"], "a declared conflict was assigned"
        loads: dict[int, int] = {}
        counts: dict[int, int] = {}
        for a, r in pairs:
            loads[r] = loads.get(r, 0) + 1
            counts[a] = counts.get(a, 0) + 1
        assert max(loads.values()) <= args.capacity, "a capacity was exceeded"
        assert all(counts.get(a, 0) == args.k for a in world["app_ids"]), "an application is short of k"
        assert await OutboundEmail.count() == outcome.reviewers == len(loads), "not one email per reviewer"
        assert not again.done and await Assignment.count() == len(rows), "publishing twice added assignments"
        print(f"[{engine_name}] compute {t1 - t0:.2f} s (proposal of {len(proposal['pairs'])} pairs, "
              f"{len(proposal['unfilled'])} unfilled; reading the inputs alone {reads:.2f} s); publish {t2 - t1:.2f} s ({outcome.created} assignments, "
              f"{outcome.reviewers} emails); end to end {t2 - t0:.2f} s; loads {min(loads.values())}..{max(loads.values())}")
    finally:
        await db.close_engine(engine)
        if pg_name:
            from tests.support import drop_pg_database

            await drop_pg_database(pg_name)
        tmp.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--applications", type=int, default=2000)
    parser.add_argument("--reviewers", type=int, default=150)
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--capacity", type=int, default=45)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    asyncio.run(run(args.engine, args))


if __name__ == "__main__":
    main()
