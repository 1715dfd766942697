"""The server's own CPU time per request: a measure less sensitive to other load on the machine than wrk's req/s.

One run starts a fresh portal (as bench_pages.py and bench_ranking.py do: a fresh data directory or PostgreSQL
database, `portal migrate`, then the demo for `--data demo` or bench_ranking's 2,000 applications for `--data
ranking`), serves it with `portal serve` (granian, 1 worker, pinned to CPU 0), signs in, and for each page sends
`--requests` sequential requests, `--samples` times, reading the portal process tree's utime + stime from /proc
before and after each sample. It prints one JSON line: page -> the samples in ms of CPU per request, sorted.
The database server's own CPU (PostgreSQL) is not counted; SQLite runs inside the portal's process and is.

    .venv/bin/python -m bench.bench_cpu [--engine sqlite|postgres] [--data demo|ranking] [--requests 300]
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import httpx

from bench.bench_pages import VENV_BIN, fresh_portal, run, sign_in, start, wait_until_up
from bench.bench_ranking import PASSWORD, STAFF_EMAIL


def process_tree(pid: int) -> list[int]:
    """The process and its descendants (granian runs its worker as a child)."""
    pids = [pid]
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as children:
                for child in children.read().split():
                    pids += process_tree(int(child))
    except FileNotFoundError:  # exited meanwhile
        pass
    return pids


def cpu_seconds(pid: int) -> float:
    """utime + stime of the process tree, in seconds."""
    ticks = 0
    for each in process_tree(pid):
        try:
            with open(f"/proc/{each}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--data", choices=["demo", "ranking"], default="demo")
    parser.add_argument("--requests", type=int, default=None, help="per sample (default 300 demo, 10 ranking)")
    parser.add_argument("--samples", type=int, default=5)
    opts = parser.parse_args()
    requests = opts.requests or (300 if opts.data == "demo" else 10)

    data_dir, pg_name, base_url, env = fresh_portal(opts.engine, "bench-cpu")
    run([str(VENV_BIN / "portal"), "migrate"], env)
    if opts.data == "demo":
        run([str(VENV_BIN / "portal"), "seed-demo"], env)
        seeded = json.loads(run([sys.executable, "-m", "e2e.seed"], env).strip().splitlines()[-1])
        email, password = seeded["applicant"]["email"], seeded["applicant"]["password"]
        pages = {"programs": ("/programs", False), "dashboard": ("/dashboard", True),
                 "program": ("/programs/healthy-babies", False)}
    else:
        seeded = json.loads(run([sys.executable, "-m", "bench.bench_ranking", "seed"], env).strip().splitlines()[-1])
        email, password = STAFF_EMAIL, PASSWORD
        pages = {page: (f"/staff/programs/{seeded['program']}/panel/{page}", True)
                 for page in ("ranking", "reviewers", "meeting")}
    server = start([str(VENV_BIN / "portal"), "serve", "--port", base_url.rsplit(":", 1)[1]], env,
                   data_dir / "portal.log", 0 if (os.cpu_count() or 1) >= 2 else None)
    try:
        wait_until_up(server, f"{base_url}/programs", data_dir / "portal.log")
        cookie = {"Cookie": sign_in(base_url, email, password)}
        result = {}
        with httpx.Client(base_url=base_url, timeout=120) as client:
            for name, (url, signed_in) in pages.items():
                headers = cookie if signed_in else {}
                for _ in range(3):  # warm up; and every page answers 200
                    if client.get(url, headers=headers).status_code != 200:
                        sys.exit(f"{url} did not answer 200")
                samples = []
                for _ in range(opts.samples):
                    before = cpu_seconds(server.pid)
                    for _ in range(requests):
                        client.get(url, headers=headers)
                    samples.append(round((cpu_seconds(server.pid) - before) / requests * 1000, 2))
                result[name] = sorted(samples)
        print(json.dumps(result))
    finally:
        server.terminate()
        server.wait()
        if pg_name:
            import asyncio

            from tests.support import drop_pg_database

            asyncio.run(drop_pg_database(pg_name))


if __name__ == "__main__":
    main()
