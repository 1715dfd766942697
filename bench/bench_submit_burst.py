"""A burst of concurrent submissions around a deadline against the live portal: none lost, none
duplicated, none accepted late; with counts and latency (issue 3, "Tests that must exist").

One run:
1. a fresh data directory (SQLite) or a fresh PostgreSQL database (`--engine postgres`), `portal migrate`;
2. N cities, each with its own owner and a complete draft on one program (tests/factories, written
   directly), and `portal serve` (granian, 1 worker) on 127.0.0.1;
3. every owner signs in through /login (CSRF token and session cookie, like a browser);
4. the program's deadline is set a few seconds ahead, and the submissions are fired from one asyncio
   client: each application two or three times (tests/burst.py `plan`: a first click at a random moment
   in the last `--before` seconds or the first `--after` seconds after the deadline, copies 0-80 ms later
   like a double click or up to 0.5 s later like a retry), all on their own connections;
5. the database is read back (tests/burst.py `verify`) and the run prints the counts (accepted, duplicates
   answered "already submitted", refused as late, anything else), latency p50/p95/p99/max, and every
   broken promise; it exits 1 if there is any. The report is written to bench/results/ (git-ignored).

    .venv/bin/python -m bench.bench_submit_burst [--engine sqlite|postgres] [--apps 200] [--before 2] [--after 0.5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PICCOLO_CONF", "portal.piccolo_conf")

from bench.bench_pages import CSRF_RE, RESULTS, VENV_BIN, fresh_portal, run, start, stop, wait_until_up  # noqa: E402


async def sign_in(base_url: str, email: str, password: str) -> httpx.AsyncClient:
    """A client of its own (cookies, one connection) signed in as `email`, with its CSRF token kept."""
    client = httpx.AsyncClient(base_url=base_url, follow_redirects=False, timeout=60,
                               limits=httpx.Limits(max_connections=4))
    form = await client.get("/login")
    token = CSRF_RE.search(form.text)
    answer = await client.post("/login", data={"email": email, "password": password, "_csrf": token.group(1)})
    if answer.status_code != 303:
        sys.exit(f"sign-in as {email} answered {answer.status_code}")
    page = await client.get("/dashboard")
    client.csrf = CSRF_RE.search(page.text).group(1)  # type: ignore[attr-defined]
    return client


async def burst(base_url: str, program_id: int, made: list[tuple[str, int]], opts) -> tuple[datetime, list]:
    from portal.core import clock
    from portal.programs.tables import Program
    from tests import burst as plan_
    from tests.factories import PASSWORD

    clients, emails = {}, {application_id: email for email, application_id in made}
    for start_at in range(0, len(made), 20):  # sign in 20 at a time
        batch = made[start_at:start_at + 20]
        signed = await asyncio.gather(*(sign_in(base_url, email, PASSWORD) for email, _ in batch))
        clients.update({application_id: c for (_, application_id), c in zip(batch, signed)})
    attempts = plan_.plan(list(clients), before=opts.before, after=opts.after, seed=opts.seed)
    deadline = clock.now() + timedelta(seconds=opts.before + opts.lead)
    await Program.update({Program.deadline_at: deadline}).where(Program.id == program_id)
    loop = asyncio.get_running_loop()
    deadline_on_loop = loop.time() + (deadline - clock.now()).total_seconds()
    print(f"Deadline {deadline.isoformat()}: firing {len(attempts)} submissions of {len(clients)} applications "
          f"from {opts.before} s before to {opts.after} s after it ...", flush=True)

    async def click(attempt) -> None:
        await asyncio.sleep(max(0.0, deadline_on_loop + attempt.offset - loop.time()))
        client = clients[attempt.application_id]
        attempt.sent_at = clock.now()
        try:
            response = await client.post(f"/applications/{attempt.application_id}/submit",
                                         data={"_csrf": client.csrf,
                                               **plan_.signature(emails[attempt.application_id])})
        except httpx.HTTPError as exc:
            attempt.answered_at, attempt.error = clock.now(), f"{exc.__class__.__name__}: {exc}"
            return
        attempt.answered_at = clock.now()
        attempt.status, attempt.location = response.status_code, response.headers.get("location", "")
        attempt.outcome = plan_.outcome(attempt.application_id, attempt.status, attempt.location, response.text)

    await asyncio.gather(*(click(a) for a in attempts))
    for client in clients.values():
        await client.aclose()
    return deadline, attempts


async def measure(base_url: str, opts, settings) -> dict:
    from portal import db
    from tests import burst as plan_

    engine = db.engine_for(settings.database)
    db.use_engine(engine)
    await db.open_engine(engine, 4)
    try:
        program_id, made = await plan_.make_drafts(opts.apps)
        server = opts.start_server()
        try:
            deadline, attempts = await burst(base_url, program_id, made, opts)
            time.sleep(0.5)  # let the server finish anything in flight
        finally:
            stop(server)
        verdict = await plan_.verify(program_id, deadline, attempts)
    finally:
        await db.close_engine(engine)
    late_sent = [a for a in attempts if a.sent_at and a.sent_at >= deadline and a.outcome == plan_.ACCEPTED]
    if late_sent:
        verdict.late.extend(a.application_id for a in late_sent)
    return {"deadline": deadline.isoformat(), "figures": verdict.figures, "problems": verdict.problems}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--apps", type=int, default=200, help="applications (cities) in the burst (default 200)")
    parser.add_argument("--before", type=float, default=2.0, help="first clicks from this many seconds before the deadline")
    parser.add_argument("--after", type=float, default=0.5, help="... to this many seconds after it")
    parser.add_argument("--lead", type=float, default=1.0, help="seconds between setting the deadline and the first click")
    parser.add_argument("--seed", type=int, default=1, help="seed of the random plan")
    opts = parser.parse_args()

    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out_dir = RESULTS / f"{stamp}-burst-{opts.engine}"
    out_dir.mkdir(parents=True, exist_ok=True)
    data_dir, pg_name, base_url, env = fresh_portal(opts.engine, "burst")  # mail stays in the outbox
    port = int(base_url.rsplit(":", 1)[1])
    os.environ.update({k: env[k] for k in ("PORTAL_DATA_DIR", "DATABASE_URL", "PORTAL_SECRET_KEY", "PORTAL_PUBLIC_URL")})

    def start_server() -> subprocess.Popen:
        server = start([str(VENV_BIN / "portal"), "serve", "--port", str(port)], env, out_dir / "portal.log", None)
        wait_until_up(server, f"{base_url}/login", out_dir / "portal.log")
        return server

    opts.start_server = start_server
    try:
        run([str(VENV_BIN / "portal"), "migrate"], env)
        from portal.settings import load_settings

        result = asyncio.run(measure(base_url, opts, load_settings()))
    finally:
        if pg_name:
            from tests.support import drop_pg_database

            asyncio.run(drop_pg_database(pg_name))
        shutil.rmtree(data_dir, ignore_errors=True)
    load = os.getloadavg()[0]
    report = {"when": stamp, "engine": opts.engine, "cpus": os.cpu_count(), "load_average_1min": load, "apps": opts.apps,
              "before_s": opts.before, "after_s": opts.after, "seed": opts.seed, **result}
    lines = [f"Engine {opts.engine}, {opts.apps} applications, first clicks from {opts.before} s before to "
             f"{opts.after} s after the deadline, granian 1 worker, {os.cpu_count()} CPUs shared with the client "
             f"(load average {load:.1f} at the end).",
             "", "| figure | value |", "|---|---:|"]
    lines += [f"| {name} | {value} |" for name, value in result["figures"].items()]
    lines += ["", "Broken promises: " + (json.dumps(result["problems"]) if result["problems"] else
                                          "none (no submission lost, none duplicated, none accepted late)")]
    markdown = "\n".join(lines) + "\n"
    (out_dir / "report.json").write_text(json.dumps(report, indent=2))
    (out_dir / "report.md").write_text(markdown)
    print("\n" + markdown + f"\nResults in {out_dir.relative_to(ROOT)}/")
    sys.exit(1 if result["problems"] else 0)


if __name__ == "__main__":
    main()
