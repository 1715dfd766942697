"""Autosave round trips under concurrent editors, and the render time of a 60-field form page (issue 3).

One run:
1. a fresh data directory (SQLite, or a fresh PostgreSQL database with `--engine postgres`), `portal migrate`,
   then bench/seed_forms.py: an open program whose form has 60 fields of every type autosave carries, and one
   draft per editor pair;
2. `portal serve` (granian, 1 worker, pinned to CPU 0; this process on CPU 1);
3. `--editors` sessions (two tabs of each draft's owner) type for `--duration` seconds: each autosave posts one
   field with the version that field was last saved at, then waits `--think` seconds (typing pauses); one field
   in ten is one both tabs edit, so crossed edits (409) happen and are answered "keep mine" as the page does;
4. then the 60-field form page is fetched `--renders` times, one after another;
5. prints latency p50/p95/p99 of autosave (200s and 409s apart) and of the page, and writes bench/results/.

    .venv/bin/python -m bench.bench_autosave [--engine sqlite|postgres] [--editors 20] [--duration 15]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import httpx

from bench.bench_pages import RESULTS, VENV_BIN, fresh_portal, run, start, stop, wait_until_up

CSRF_RE = re.compile(r'name="_csrf" value="([^"]+)"')
VERSION_RE = re.compile(r'data-version="(\d+)"')


def value_for(kind: str, rng: random.Random) -> str:
    if kind == "number":
        return str(rng.randint(0, 100_000))
    if kind == "currency":
        return f"{rng.randint(1, 99_999)}.{rng.randint(0, 99):02d}"
    if kind == "date":
        return f"2027-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    if kind == "select":
        return rng.choice(["alpha", "beta", "gamma", "delta"])
    if kind == "checkbox":
        return rng.choice(["yes", ""])
    words = " ".join(rng.choice(["city", "families", "screening", "library", "budget", "partners", "data"])
                     for _ in range(rng.randint(3, 40 if kind == "long_text" else 8)))
    return words


def percentiles(samples: list[float]) -> dict[str, float]:
    if not samples:
        return {"n": 0, "p50": 0.0, "p95": 0.0, "p99": 0.0, "mean": 0.0}
    ordered = sorted(samples)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return {"n": len(ordered), "p50": at(0.5), "p95": at(0.95), "p99": at(0.99),
            "mean": statistics.fmean(ordered) * 1000}


async def signed_in(base_url: str, email: str, password: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=base_url, follow_redirects=False, timeout=30)
    page = await client.get("/login")
    token = CSRF_RE.search(page.text)
    assert token, "no CSRF token on /login"
    answer = await client.post("/login", data={"email": email, "password": password, "_csrf": token.group(1)})
    assert answer.status_code == 303, f"sign-in as {email}: {answer.status_code}"
    return client


async def editor(client: httpx.AsyncClient, app_id: int, own: list[str], shared: list[str], kinds: dict[str, str],
                 until: float, think: float, seed: int, out: dict[str, list]) -> None:
    rng = random.Random(seed)
    page = await client.get(f"/applications/{app_id}")
    token = CSRF_RE.search(page.text)
    assert page.status_code == 200 and token, f"application {app_id}: {page.status_code}"
    csrf = token.group(1)
    versions: dict[str, str] = {}
    while time.monotonic() < until:
        key = rng.choice(shared) if rng.random() < 0.1 else rng.choice(own)
        body = {"_csrf": csrf, "version": versions.get(key, "1"), key: value_for(kinds[key], rng)}
        for _attempt in range(2):
            started = time.perf_counter()
            response = await client.post(f"/applications/{app_id}/autosave", data=body,
                                         headers={"X-CSRF-Token": csrf})
            elapsed = time.perf_counter() - started
            if response.status_code == 200:
                out["saved"].append(elapsed)
                versions[key] = response.headers["X-Version"]
                break
            if response.status_code == 409:  # crossed with the other tab: keep mine, as the page's button does
                out["conflict"].append(elapsed)
                seen = VERSION_RE.search(response.text)
                body["version"] = seen.group(1) if seen else response.headers.get("X-Version", "1")
                continue
            out["other"].append((response.status_code, response.text[:200]))
            break
        await asyncio.sleep(think)


async def load(base_url: str, seeded: dict, editors: int, duration: float, think: float) -> dict[str, list]:
    out: dict[str, list] = {"saved": [], "conflict": [], "other": []}
    keys, kinds = seeded["keys"], seeded["kinds"]
    shared = keys[:6]
    drafts = seeded["drafts"]
    clients = [await signed_in(base_url, drafts[n // 2 % len(drafts)]["email"], seeded["password"])
               for n in range(editors)]  # signing in (argon2) is not part of the measure
    until = time.monotonic() + duration
    tasks = []
    for n, client in enumerate(clients):
        own = keys[6:][n % 2::2]  # the two tabs of one draft type in different fields, but for the shared six
        tasks.append(editor(client, drafts[n // 2 % len(drafts)]["id"], own, shared, kinds, until, think, n, out))
    await asyncio.gather(*tasks)
    for client in clients:
        await client.aclose()
    return out


async def renders(base_url: str, seeded: dict, count: int) -> list[float]:
    draft = seeded["drafts"][0]
    client = await signed_in(base_url, draft["email"], seeded["password"])
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        response = await client.get(f"/applications/{draft['id']}")
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200
    fields = len(re.findall(r'data-testid="field-q\d\d"', response.text))
    await client.aclose()
    print(f"form page: {len(response.content)} bytes, {fields} fields on the page")
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--editors", type=int, default=20, help="concurrent editor sessions (default 20)")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds of typing (default 15)")
    parser.add_argument("--think", type=float, default=0.25, help="seconds between one editor's saves (0.25)")
    parser.add_argument("--renders", type=int, default=200, help="fetches of the 60-field page (default 200)")
    opts = parser.parse_args()

    two_cpus = (os.cpu_count() or 1) >= 2
    server_cpu = 0 if two_cpus else None
    if two_cpus:
        os.sched_setaffinity(0, {1})
    data_dir, pg_name, base_url, env = fresh_portal(opts.engine, "bench-autosave")
    port = base_url.rsplit(":", 1)[1]
    server = None
    try:
        run([str(VENV_BIN / "portal"), "migrate"], env)
        seeded = json.loads(run([sys.executable, "-m", "bench.seed_forms", str(max(1, opts.editors // 2))],
                                env).strip().splitlines()[-1])
        log = data_dir / "server.log"
        server = start([str(VENV_BIN / "portal"), "serve", "--host", "127.0.0.1", "--port", str(port)], env, log,
                       server_cpu)
        wait_until_up(server, f"{base_url}/programs", log)
        typed = asyncio.run(load(base_url, seeded, opts.editors, opts.duration, opts.think))
        page = asyncio.run(renders(base_url, seeded, opts.renders))
    finally:
        stop(server)
        if pg_name:
            from tests.support import drop_pg_database

            asyncio.run(drop_pg_database(pg_name))

    saved, crossed, page_stats = percentiles(typed["saved"]), percentiles(typed["conflict"]), percentiles(page)
    rows = [("autosave, saved (200)", saved), ("autosave, crossed edit (409)", crossed),
            ("60-field form page (GET)", page_stats)]
    lines = [f"engine: {opts.engine}; editors: {opts.editors}; think: {opts.think} s; duration: {opts.duration} s; "
             f"saves/s: {len(typed['saved']) / opts.duration:.0f}; other answers: {len(typed['other'])}",
             "", "| what | n | p50 ms | p95 ms | p99 ms | mean ms |", "|---|---:|---:|---:|---:|---:|"]
    lines += [f"| {name} | {s['n']} | {s['p50']:.1f} | {s['p95']:.1f} | {s['p99']:.1f} | {s['mean']:.1f} |"
              for name, s in rows]
    report = "\n".join(lines)
    print(report)
    if typed["other"]:
        print("unexpected answers (first 3):", typed["other"][:3])
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{stamp}-autosave-{opts.engine}.md").write_text(report + "\n")
    if typed["other"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
