"""Requests per second of the portal's program list and applicant dashboard beside a bare Litestar route.

One run does everything (issue 2, Performance):
1. a fresh data directory (SQLite, or a fresh PostgreSQL database with `--engine postgres`), `portal migrate`,
   `portal seed-demo` (the demo-sized data; if the database is still empty, e2e/seed.py builds the test
   personas' world instead and the report says so);
2. `portal serve` (granian, 1 worker) and, beside it, bench/bare_app.py under granian (1 worker): a bare
   Litestar app with two baselines,
   - "bare template": the portal's own templates (programs/list.html, dashboards/home.html) rendered by the
     portal's own Jinja environment with the same context data, loaded once at start-up from the same database;
     each portal page is compared with the bare route rendering the same template and bytes (the issue's aim);
   - "bare static": the portal's rendered /programs HTML pasted verbatim into a trivial template (one
     variable): the same bytes with almost no template work, the ceiling for a page of that size;
3. signs in as a demo applicant through the /login form (with its CSRF token) for the dashboard's cookie;
4. loads each URL with `wrk` (Debian package; 1 thread, keep-alive connections, 127.0.0.1 only), bounded in
   time (--duration) and in requests (--max-requests, enforced by bench/wrk_report.lua), after a warm-up;
5. prints the page sizes (a portal page and its bare template route must be within a few percent) and a table
   with requests/second, p50/p95/p99 latency and both ratios (to bare template, to bare static), and writes it
   to bench/results/ (JSON and Markdown).

The servers are pinned to CPU 0 and wrk to CPU 1 when the machine has two or more (taskset), so the load
generator does not steal the server's core. Aim: each portal page at 0.3 or more of the bare route rendering
the same template (bare template); the ratio to bare static is reported beside it.

    .venv/bin/python -m bench.bench_pages [--engine sqlite|postgres] [--duration 10] [--connections 32]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
VENV_BIN = Path(sys.executable).parent
AIM = 0.3
SIZE_TOLERANCE = 0.05  # a portal page and its bare template route: at most 5 % apart in bytes
CSRF_RE = re.compile(r'name="_csrf" value="([^"]+)"')


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fresh_portal(engine: str, prefix: str) -> tuple[Path, str | None, str, dict[str, str]]:
    """A fresh data directory (and for PostgreSQL a fresh database) for a portal under benchmark:
    (data dir, PostgreSQL database name or None, base URL on a free port, the server's environment). Mail stays
    in the outbox (no SMTP host); sign-in is not throttled; staff sign in with the password alone, as in `portal
    demo` (the second factor is not what is measured, and the benchmark signs in through the form)."""
    data_dir = Path(tempfile.mkdtemp(prefix=f"{prefix}-{engine}-"))
    pg_name = None
    if engine == "postgres":
        sys.path.insert(0, str(ROOT))
        from tests.support import create_pg_database

        pg_name, db_url = asyncio.run(create_pg_database())
    else:
        db_url = f"sqlite:///{data_dir / 'portal.sqlite3'}"
    base_url = f"http://127.0.0.1:{free_port()}"
    env = {**os.environ, "PICCOLO_CONF": "portal.piccolo_conf", "PORTAL_DATA_DIR": str(data_dir),
           "DATABASE_URL": db_url, "PORTAL_SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
           "PORTAL_PUBLIC_URL": base_url, "PYTHONPATH": str(ROOT), "LOGIN_ATTEMPTS_PER_15MIN": "100000",
           "TWO_FACTOR_REQUIRED_FOR_STAFF": "false"}
    env.pop("SMTP_HOST", None)
    return data_dir, pg_name, base_url, env


def pinned(cpu: int | None, args: list[str]) -> list[str]:
    return ["taskset", "-c", str(cpu), *args] if cpu is not None else args


def run(args: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        sys.exit(f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout


def wait_until_up(proc: subprocess.Popen, url: str, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"server for {url} exited with {proc.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    sys.exit(f"{url} did not answer in {timeout} s:\n{log.read_text()}")


def sign_in(base_url: str, email: str, password: str) -> str:
    """Sign in through the /login form like a browser; the Cookie header of the signed-in session."""
    with httpx.Client(base_url=base_url, follow_redirects=False) as client:
        form = client.get("/login")
        token = CSRF_RE.search(form.text)
        if token is None:
            sys.exit("no CSRF token on /login")
        answer = client.post("/login", data={"email": email, "password": password, "_csrf": token.group(1),
                                              "next": "/dashboard"})
        if answer.status_code != 303:
            sys.exit(f"sign-in as {email} answered {answer.status_code}, not 303")
        cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    check = httpx.get(f"{base_url}/dashboard", headers={"Cookie": cookie})
    if check.status_code != 200 or "Welcome" not in check.text:
        sys.exit(f"the signed-in dashboard answered {check.status_code}; not signed in?")
    return cookie


def load(url: str, *, seconds: float, max_requests: int, connections: int, cpu: int | None,
         headers: dict[str, str] | None = None) -> dict:
    """One wrk run against `url` (127.0.0.1 only): its summary as a dict."""
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"the load generator only targets 127.0.0.1, not {url}")
    args = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
            "-s", str(BENCH / "wrk_report.lua")]
    for name, value in (headers or {}).items():
        args += ["-H", f"{name}: {value}"]
    env = {**os.environ, "WRK_MAX_REQUESTS": str(max_requests)}
    out = subprocess.run(pinned(cpu, [*args, url]), env=env, capture_output=True, text=True,
                         timeout=seconds + 60)
    if out.returncode != 0:
        sys.exit(f"wrk failed:\n{out.stdout}\n{out.stderr}")
    summary = json.loads([line for line in out.stdout.splitlines() if line.startswith("{")][-1])
    summary["rps"] = summary["requests"] / (summary["duration_us"] / 1e6)
    # wrk reports the whole -d as the duration even when the Lua script stopped the thread early, so a run that
    # hit the cap has an understated req/s: flag it (raise --max-requests).
    summary["capped"] = summary["requests"] >= max_requests > 0
    return summary


def make_bare_template(html: str, directory: Path) -> Path:
    """The portal's rendered page wrapped in a trivial Jinja template (one variable, the rest verbatim)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "programs.html").write_text(html)
    template = directory / "bare.html"
    template.write_text("<!-- {{ title }} -->{% raw %}" + html.replace("{% endraw %}", "") + "{% endraw %}")
    return template


def start(args: list[str], env: dict[str, str], log: Path, cpu: int | None) -> subprocess.Popen:
    with log.open("w") as out:
        return subprocess.Popen(pinned(cpu, args), env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)


def stop(proc: subprocess.Popen | None) -> None:
    if proc is None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def errors_of(r: dict) -> int:
    return r["not_200"] + r["errors"]["timeout"] + r["errors"]["connect"] + r["errors"]["read"]


def fmt_ratio(rps: float, base: dict | None) -> str:
    return f"{rps / base['rps']:.2f}" if base else "—"


def table(rows: list[dict], by_key: dict[str, dict]) -> str:
    lines = ["| page | bytes | req/s | p50 ms | p95 ms | p99 ms | requests | not 200 or failed "
             "| ratio to bare template | ratio to bare static |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lat = r["latency_us"]
        rps = f"{r['rps']:.0f}" + (" (capped: more)" if r["capped"] else "")
        lines.append(f"| {r['name']} | {r['page_bytes']} | {rps} | {lat['p50'] / 1000:.1f} | "
                     f"{lat['p95'] / 1000:.1f} | {lat['p99'] / 1000:.1f} | {r['requests']} | {errors_of(r)} | "
                     f"{fmt_ratio(r['rps'], by_key.get(r.get('vs_template', '')))} | "
                     f"{fmt_ratio(r['rps'], by_key.get(r.get('vs_static', '')))} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load per page (default 10)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up per page (default 2)")
    parser.add_argument("--max-requests", type=int, default=1_000_000,
                        help="requests per page at most (default 1000000; a capped row's req/s is understated)")
    parser.add_argument("--connections", type=int, default=32, help="keep-alive connections (default 32)")
    parser.add_argument("--no-pin", action="store_true", help="do not pin the servers and wrk to separate CPUs")
    opts = parser.parse_args()

    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk")
    two_cpus = (os.cpu_count() or 1) >= 2 and shutil.which("taskset") and not opts.no_pin
    server_cpu, load_cpu = (0, 1) if two_cpus else (None, None)

    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out_dir = RESULTS / f"{stamp}-{opts.engine}"
    out_dir.mkdir(parents=True, exist_ok=True)
    data_dir = Path(tempfile.mkdtemp(prefix=f"bench-{opts.engine}-"))
    pg_name = None
    if opts.engine == "postgres":
        sys.path.insert(0, str(ROOT))
        from tests.support import create_pg_database

        pg_name, db_url = asyncio.run(create_pg_database())
    else:
        db_url = f"sqlite:///{data_dir / 'portal.sqlite3'}"
    portal_port, bare_port = free_port(), free_port()
    portal_url, bare_url = f"http://127.0.0.1:{portal_port}", f"http://127.0.0.1:{bare_port}"
    env = {**os.environ, "PICCOLO_CONF": "portal.piccolo_conf", "PORTAL_DATA_DIR": str(data_dir),
           "DATABASE_URL": db_url, "PORTAL_SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
           "PORTAL_PUBLIC_URL": portal_url, "PYTHONPATH": str(ROOT), "BENCH_TEMPLATE_DIR": str(out_dir)}
    env.pop("SMTP_HOST", None)  # mail stays in the outbox
    portal = bare = None
    try:
        print(f"Seeding the demo into a fresh {opts.engine} database ...", flush=True)
        run([str(VENV_BIN / "portal"), "migrate"], env)
        run([str(VENV_BIN / "portal"), "seed-demo"], env)
        seeded = json.loads(run([sys.executable, "-m", "e2e.seed"], env).strip().splitlines()[-1])
        applicant = seeded["applicant"]
        if not applicant:
            sys.exit("the demo names no applicant account (a role with 'city' or 'applicant')")
        env["BENCH_APPLICANT_EMAIL"] = applicant["email"]

        portal = start([str(VENV_BIN / "portal"), "serve", "--port", str(portal_port)], env,
                       out_dir / "portal.log", server_cpu)
        wait_until_up(portal, f"{portal_url}/programs", out_dir / "portal.log")
        html = httpx.get(f"{portal_url}/programs").text
        make_bare_template(html, out_dir)
        bare = start([str(VENV_BIN / "granian"), "--interface", "asgi", "--host", "127.0.0.1", "--port",
                      str(bare_port), "--workers", "1", "--no-access-log", "bench.bare_app:app"], env,
                     out_dir / "bare.log", server_cpu)
        wait_until_up(bare, f"{bare_url}/bare", out_dir / "bare.log")
        cookie = sign_in(portal_url, applicant["email"], applicant["password"])
        # Check every URL answers 200 once before loading it, and keep each page for the size check.
        pages = {
            "bare_static": (f"{bare_url}/bare", None),
            "bare_programs": (f"{bare_url}/bare/programs", None),
            "bare_dashboard": (f"{bare_url}/bare/dashboard", None),
            "portal_programs": (f"{portal_url}/programs", None),
            "portal_dashboard": (f"{portal_url}/dashboard", {"Cookie": cookie}),
        }
        sizes = {}
        for key, (url, headers) in pages.items():
            answer = httpx.get(url, headers=headers)
            if answer.status_code != 200:
                sys.exit(f"{url} answered {answer.status_code}")
            (out_dir / f"{key}.html").write_bytes(answer.content)
            sizes[key] = len(answer.content)
        print("Page sizes (bytes): " + ", ".join(f"{k} {v}" for k, v in sizes.items()), flush=True)
        size_notes = []
        for portal_key, bare_key in (("portal_programs", "bare_programs"), ("portal_dashboard", "bare_dashboard"),
                                     ("portal_programs", "bare_static")):
            gap = abs(sizes[portal_key] - sizes[bare_key]) / sizes[portal_key]
            note = f"{portal_key} {sizes[portal_key]} B vs {bare_key} {sizes[bare_key]} B: {gap:.1%} apart"
            if gap > SIZE_TOLERANCE:
                note += f" (MORE than {SIZE_TOLERANCE:.0%}: the comparison is not like for like)"
            size_notes.append(note)
            print("  " + note, flush=True)

        targets = [
            ("bare_static", "bare static: /programs HTML verbatim in a one-variable template", None, None),
            ("bare_programs", "bare template: programs/list.html, data loaded at start-up", None, None),
            ("bare_dashboard", "bare template: dashboards/home.html, data loaded at start-up", None, None),
            ("portal_programs", "portal GET /programs (anonymous)", "bare_programs", "bare_static"),
            ("portal_dashboard", f"portal GET /dashboard ({applicant['email']})", "bare_dashboard", "bare_static"),
        ]
        rows = []
        for key, name, vs_template, vs_static in targets:
            url, headers = pages[key]
            print(f"Loading {name} ...", flush=True)
            load(url, seconds=opts.warmup, max_requests=opts.max_requests, connections=opts.connections,
                 cpu=load_cpu, headers=headers)
            result = load(url, seconds=opts.duration, max_requests=opts.max_requests,
                          connections=opts.connections, cpu=load_cpu, headers=headers)
            rows.append({"key": key, "name": name, "url": url.replace(portal_url, "").replace(bare_url, ""),
                         "page_bytes": sizes[key], "vs_template": vs_template, "vs_static": vs_static, **result})
        by_key = {r["key"]: r for r in rows}
        for r in rows:
            if r["vs_template"]:
                r["ratio_to_bare_template"] = r["rps"] / by_key[r["vs_template"]]["rps"]
                r["ratio_to_bare_static"] = r["rps"] / by_key[r["vs_static"]]["rps"]
        wrk_version = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
        report = {
            "when": stamp, "engine": opts.engine, "data": seeded["source"], "cpus": os.cpu_count(),
            "pinned": bool(two_cpus), "duration_s": opts.duration, "warmup_s": opts.warmup,
            "max_requests": opts.max_requests, "connections": opts.connections, "load_generator": wrk_version,
            "page_bytes": sizes, "size_notes": size_notes, "aim": AIM, "rows": rows,
        }
        markdown = (f"Engine {opts.engine}, data: {seeded['source']}, {os.cpu_count()} CPUs"
                    f"{' (servers on CPU 0, wrk on CPU 1)' if two_cpus else ''}, granian 1 worker each, "
                    f"wrk 1 thread x {opts.connections} connections, {opts.duration:.0f} s a page after a "
                    f"{opts.warmup:.0f} s warm-up, at most {opts.max_requests} requests.\n\n"
                    + "\n".join(f"- size: {n}" for n in size_notes) + "\n\n"
                    + table(rows, by_key) + "\n")
        verdicts = [f"{r['name']}: {r['ratio_to_bare_template']:.2f} of bare template "
                    f"({'meets' if r['ratio_to_bare_template'] >= AIM else 'BELOW'} the {AIM} aim), "
                    f"{r['ratio_to_bare_static']:.2f} of bare static "
                    f"({'meets' if r['ratio_to_bare_static'] >= AIM else 'below'} {AIM})"
                    for r in rows if r["vs_template"]]
        markdown += "\n" + "\n".join(f"- {v}" for v in verdicts) + "\n"
        (out_dir / "report.json").write_text(json.dumps(report, indent=2))
        (out_dir / "report.md").write_text(markdown)
        print("\n" + markdown)
        print(f"Results in {out_dir.relative_to(ROOT)}/")
    finally:
        stop(portal)
        stop(bare)
        if pg_name:
            from tests.support import drop_pg_database

            asyncio.run(drop_pg_database(pg_name))
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
