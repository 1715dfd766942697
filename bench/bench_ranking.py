"""Latency of the panel ranking page (issue 4, Performance): 2,000 applications × 3 submitted reviews, 150
reviewers, a 3-criterion rubric, over HTTP on SQLite or PostgreSQL.

One run:
1. a fresh data directory (and for PostgreSQL a fresh database, dropped at the end: bench_pages.fresh_portal),
   `portal migrate`, then `python -m bench.bench_ranking seed` in the portal's environment: a network with a
   staff account, an open program with a 3-criterion rubric (weights 30/30/40, 1–5), a panel of 150 reviewers,
   2,000 cities each with a submitted application, 3 submitted reviews per application (reviewers in turn, so
   loads are equal; each reviewer has a bias, so calibration has work to do) and 40 declared conflicts on
   reviewed pairs (those reviews are left out);
2. `portal serve` (granian, 1 worker) pinned to CPU 0, signs in as the staff account through /login;
3. checks each page answers 200 with every application on it, then loads it with wrk (1 thread, on CPU 1) after a
   warm-up: first with 1 connection (one staff member: the latency is the service time), then with 4;
4. prints a table (bytes, req/s, p50/p95/p99) and writes report.md / report.json to bench/results/.

    .venv/bin/python -m bench.bench_ranking [--engine sqlite|postgres] [--duration 10] [--applications 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx

from bench.bench_pages import (
    RESULTS,
    ROOT,
    VENV_BIN,
    errors_of,
    fresh_portal,
    load,
    run,
    sign_in,
    start,
    stop,
    wait_until_up,
)

PASSWORD = "bench-password-2026"
STAFF_EMAIL = "staff@bench-network.example"
CHUNK = 400


async def seed(applications: int, reviewers: int, per_application: int, conflicts: int) -> dict:
    """The panel's data, inserted in bulk; returns the program id and the counts."""
    from portal import db
    from portal.accounts import services as accounts
    from portal.accounts.tables import Membership, Organisation, User
    from portal.applications.tables import Application
    from portal.core import clock
    from portal.core.actor import Actor
    from portal.programs.tables import Criterion, FormVersion, Program, ProgramRole
    from portal.reviews.tables import Assignment, PanelMember, ReviewConflict, ReviewPanel, Score
    from portal.settings import load_settings

    async def bulk(table, rows, returning=None):
        ids = []
        for start_at in range(0, len(rows), CHUNK):
            query = table.insert(*rows[start_at:start_at + CHUNK])
            if returning is not None:
                ids += [r["id"] for r in await query.returning(returning)]
            else:
                await query
        return ids

    settings = load_settings()
    engine = db.engine_for(settings.database)
    db.use_engine(engine)
    await db.open_engine(engine, 2)
    rng = random.Random(4)
    try:
        system = Actor(user=None)
        now = clock.now()
        network = await accounts.create_organisation(system, "network", "Bench Network", "bench-network")
        staff = await accounts.create_user(system, "Bench Staff", STAFF_EMAIL, PASSWORD)
        await accounts.add_membership(system, staff, network, "staff")
        password_hash = (await User.select(User.password_hash).where(User.id == staff).first())["password_hash"]
        program = (await Program.insert(Program(
            network=network, slug="bench-ranking", title="Ranking benchmark", summary="2,000 applications.",
            offer_kind="cash", budget_cents=100_000_000, max_award_cents=1_000_000, status="open",
            opens_at=now - timedelta(days=60), deadline_at=now - timedelta(days=1), created_at=now,
        )).returning(Program.id))[0]["id"]
        form = (await FormVersion.insert(FormVersion(program=program, kind="application", version=1,
                                                     title="Application", schema={"sections": []}, created_at=now)
                                         ).returning(FormVersion.id))[0]["id"]
        criteria = await bulk(Criterion, [
            Criterion(program=program, position=i + 1, name=name, weight=weight, scale_min=1, scale_max=5)
            for i, (name, weight) in enumerate((("Need", 30), ("Plan", 30), ("Impact", 40)))], Criterion.id)
        panel = (await ReviewPanel.insert(ReviewPanel(program=program, name="Bench panel", created_at=now,
                                                      overall_threshold=3.0)).returning(ReviewPanel.id))[0]["id"]
        reviewer_ids = await bulk(User, [
            User(email=f"reviewer{n}@experts-{n}.example", name=f"Reviewer {n:03d}", password_hash=password_hash,
                 created_at=now) for n in range(reviewers)], User.id)
        await bulk(PanelMember, [PanelMember(panel=panel, user=r, capacity=100, joined_at=now) for r in reviewer_ids])
        await bulk(ProgramRole, [ProgramRole(program=program, user=r, role="reviewer", created_at=now)
                                 for r in reviewer_ids])
        cities = await bulk(Organisation, [
            Organisation(kind="city", name=f"Bench City {n:04d}", slug=f"bench-city-{n}", state="WI",
                         population=20_000 + n, email_domain=f"city-{n}.example", created_at=now)
            for n in range(applications)], Organisation.id)
        owners = await bulk(User, [
            User(email=f"owner{n}@city-{n}.example", name=f"Owner {n}", password_hash=password_hash, created_at=now)
            for n in range(applications)], User.id)
        await bulk(Membership, [Membership(user=u, organisation=c, role="owner", created_at=now)
                                for u, c in zip(owners, cities)])
        app_ids = await bulk(Application, [
            Application(program=program, organisation=c, form_version=form, status="submitted",
                        title=f"Project {n:04d}: safer streets", answers={}, requested_cents=1_000_00 * (n % 50 + 1),
                        created_by=u, created_at=now, updated_at=now, submitted_at=now, submitted_by=u,
                        receipt_number=f"R-{program}-{n}")
            for n, (c, u) in enumerate(zip(cities, owners))], Application.id)
        bias = {r: rng.uniform(-0.8, 0.8) for r in reviewer_ids}
        quality = {a: rng.uniform(1.5, 4.5) for a in app_ids}
        pairs = [(a, reviewer_ids[(i * per_application + j) % reviewers])
                 for i, a in enumerate(app_ids) for j in range(per_application)]
        assignment_ids = await bulk(Assignment, [
            Assignment(application=a, reviewer=r, assigned_by=staff, assigned_at=now, status="submitted",
                       submitted_at=now, comment="Bench review.", version=1, revision=1) for a, r in pairs],
            Assignment.id)
        scores = []
        for assignment, (a, r) in zip(assignment_ids, pairs):
            for c in criteria:
                value = round(quality[a] + bias[r] + rng.uniform(-0.7, 0.7))
                scores.append(Score(assignment=assignment, criterion=c, value=float(min(5, max(1, value)))))
        await bulk(Score, scores)
        await bulk(ReviewConflict, [
            ReviewConflict(application=a, reviewer=r, source="staff", reason="Bench conflict", declared_by=staff,
                           declared_at=now) for a, r in rng.sample(pairs, conflicts)])
        return {"program": program, "applications": len(app_ids), "reviewers": len(reviewer_ids),
                "reviews": len(assignment_ids), "scores": len(scores), "conflicts": conflicts}
    finally:
        await db.close_engine(engine)


def table(rows: list[dict]) -> str:
    lines = ["| page | connections | bytes | req/s | p50 ms | p95 ms | p99 ms | requests | not 200 or failed |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lat = r["latency_us"]
        lines.append(f"| {r['name']} | {r['connections']} | {r['page_bytes']:,} | {r['rps']:.1f} | "
                     f"{lat['p50'] / 1000:.0f} | {lat['p95'] / 1000:.0f} | {lat['p99'] / 1000:.0f} | "
                     f"{r['requests']} | {errors_of(r)} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", nargs="?", default="bench", choices=["bench", "seed"])
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--applications", type=int, default=2000)
    parser.add_argument("--reviewers", type=int, default=150)
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--conflicts", type=int, default=40)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load per page and setting")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--pages", default="ranking,reviewers,meeting", help="comma-separated panel pages")
    parser.add_argument("--no-pin", action="store_true")
    opts = parser.parse_args()

    if opts.command == "seed":
        print(json.dumps(asyncio.run(seed(opts.applications, opts.reviewers, opts.k, opts.conflicts))))
        return
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk")
    two_cpus = (os.cpu_count() or 1) >= 2 and shutil.which("taskset") and not opts.no_pin
    server_cpu, load_cpu = (0, 1) if two_cpus else (None, None)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out_dir = RESULTS / f"{stamp}-ranking-{opts.engine}"
    out_dir.mkdir(parents=True, exist_ok=True)
    data_dir, pg_name, base_url, env = fresh_portal(opts.engine, "bench-ranking")
    portal = None
    try:
        print(f"Seeding {opts.applications} applications × {opts.k} reviews into a fresh {opts.engine} database ...",
              flush=True)
        run([str(VENV_BIN / "portal"), "migrate"], env)
        seeded = json.loads(run([sys.executable, "-m", "bench.bench_ranking", "seed", "--applications",
                                 str(opts.applications), "--reviewers", str(opts.reviewers), "--k", str(opts.k),
                                 "--conflicts", str(opts.conflicts)], env).strip().splitlines()[-1])
        print(f"Seeded: {seeded}", flush=True)
        port = base_url.rsplit(":", 1)[1]
        portal = start([str(VENV_BIN / "portal"), "serve", "--port", port], env, out_dir / "portal.log", server_cpu)
        wait_until_up(portal, f"{base_url}/programs", out_dir / "portal.log")
        cookie = sign_in(base_url, STAFF_EMAIL, PASSWORD)
        rows = []
        for page in [p.strip() for p in opts.pages.split(",") if p.strip()]:
            url = f"{base_url}/staff/programs/{seeded['program']}/panel/{page}"
            answer = httpx.get(url, headers={"Cookie": cookie}, timeout=60)
            if answer.status_code != 200:
                sys.exit(f"{url} answered {answer.status_code}")
            (out_dir / f"{page}.html").write_bytes(answer.content)
            listed = len(set(re.findall(r'data-application-id="(\d+)"', answer.text)))
            print(f"{page}: {len(answer.content):,} bytes, {listed} applications listed", flush=True)
            if page != "reviewers" and listed != seeded["applications"]:
                sys.exit(f"{page} lists {listed} applications, not {seeded['applications']}")
            for connections in (1, 4):
                load(url, seconds=opts.warmup, max_requests=0, connections=connections, cpu=load_cpu,
                     headers={"Cookie": cookie})
                # wrk abandons requests still running when it stops: wait until the server has answered them.
                httpx.get(url, headers={"Cookie": cookie}, timeout=120)
                result = load(url, seconds=opts.duration, max_requests=0, connections=connections, cpu=load_cpu,
                              headers={"Cookie": cookie})
                # Again, so that the server is idle when it is stopped (a busy worker outlives a killed server).
                httpx.get(url, headers={"Cookie": cookie}, timeout=120)
                rows.append({"name": f"GET /staff/programs/{{id}}/panel/{page}", "connections": connections,
                             "page_bytes": len(answer.content), **result})
                print(f"  {connections} connection(s): p50 {result['latency_us']['p50'] / 1000:.0f} ms, "
                      f"p95 {result['latency_us']['p95'] / 1000:.0f} ms, {result['rps']:.1f} req/s", flush=True)
        markdown = (f"Engine {opts.engine}; {seeded['applications']} applications × {opts.k} submitted reviews, "
                    f"{seeded['reviewers']} reviewers, 3 criteria, {seeded['conflicts']} declared conflicts; "
                    f"granian 1 worker{' on CPU 0, wrk on CPU 1' if two_cpus else ''}; {opts.duration:.0f} s a row "
                    f"after a {opts.warmup:.0f} s warm-up.\n\n" + table(rows) + "\n")
        (out_dir / "report.json").write_text(json.dumps({"when": stamp, "engine": opts.engine, "seeded": seeded,
                                                         "rows": rows}, indent=2))
        (out_dir / "report.md").write_text(markdown)
        print("\n" + markdown)
        print(f"Results in {out_dir.relative_to(ROOT)}/")
    finally:
        stop(portal)
        if pg_name:
            from tests.support import drop_pg_database

            asyncio.run(drop_pg_database(pg_name))
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
