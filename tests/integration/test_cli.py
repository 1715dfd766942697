"""The `portal` command, run as a user runs it (a subprocess on a fresh SQLite data directory)."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import httpx

from portal.cli import local_url
from tests.support import CSRF_RE, free_port, stop_process

PORTAL = [sys.executable, "-m", "portal.cli"]


def run(data_dir: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "DATABASE_"))}
    environ |= {"PORTAL_DATA_DIR": str(data_dir), **(env or {})}
    return subprocess.run([*PORTAL, *args], env=environ, capture_output=True, text=True, timeout=120)


def test_cli_migrate_seed_and_create_staff(tmp_path):
    assert run(tmp_path, "migrate").returncode == 0
    seeded = run(tmp_path, "seed-demo")
    assert seeded.returncode == 0
    assert "demo-password-2026" in seeded.stdout
    again = run(tmp_path, "seed-demo")
    assert "already has data" in again.stdout
    made = run(tmp_path, "create-staff", "--email", "New.Staff@NLC.example", "--name", "New Staff",
               "--network", "national-league-of-cities", "--password", "a-long-password-1")
    assert (made.returncode, made.stdout.strip()) == (0, "Staff user new.staff@nlc.example created.")
    twice = run(tmp_path, "create-staff", "--email", "new.staff@nlc.example", "--name", "New Staff",
                "--network", "national-league-of-cities", "--password", "a-long-password-1")
    assert twice.returncode == 1
    assert "already exists" in twice.stderr and "Traceback" not in twice.stderr


def test_cli_refuses_bad_input_with_a_message(tmp_path):
    assert run(tmp_path, "migrate").returncode == 0
    for email, password, network, message in [
        ("not-an-email", "a-long-password-1", "national-league-of-cities", "not a valid email"),
        ("a@b.example", "short", "national-league-of-cities", "at least"),
        ("a@b.example", "a-long-password-1", "nope", "No network"),
    ]:
        result = run(tmp_path, "create-staff", "--name", "X", "--email", email, "--password", password,
                     "--network", network)
        assert (result.returncode, message in result.stderr, "Traceback" in result.stderr) == (1, True, False)


def test_cli_production_requires_a_secret_key(tmp_path):
    result = run(tmp_path, "migrate", env={"PORTAL_ENV": "production"})
    assert result.returncode == 1
    assert "PORTAL_SECRET_KEY is required" in result.stderr


PRODUCTION = {"PORTAL_ENV": "production", "PORTAL_SECRET_KEY": "p" * 40,
              "PORTAL_PUBLIC_URL": "https://grants.example.org"}


def count_users(data_dir: Path) -> int:
    with closing(sqlite3.connect(data_dir / "portal.sqlite3")) as conn:
        return conn.execute("SELECT count(*) FROM portal_user").fetchone()[0]


def test_cli_seed_demo_refuses_to_run_in_production(tmp_path):
    assert run(tmp_path, "migrate", env=PRODUCTION).returncode == 0
    result = run(tmp_path, "seed-demo", env=PRODUCTION)
    assert (result.returncode, "Traceback" in result.stderr) == (1, False)
    assert "does not run with PORTAL_ENV=production" in result.stderr
    assert "demo-password-2026" not in result.stdout
    assert count_users(tmp_path) == 0


def test_cli_demo_refuses_to_run_in_production_before_touching_the_database(tmp_path):
    result = run(tmp_path, "demo", "--port", str(free_port()), env=PRODUCTION)
    assert (result.returncode, "Traceback" in result.stderr) == (1, False)
    assert "`portal demo` creates accounts with the published demo password" in result.stderr
    assert (tmp_path / "portal.sqlite3").exists() is False


def test_local_url_is_where_a_browser_here_reaches_the_server():
    assert [local_url("127.0.0.1", 8001), local_url("0.0.0.0", 8002), local_url("::1", 8003)] == [
        "http://127.0.0.1:8001", "http://127.0.0.1:8002", "http://[::1]:8003"]


def wait_until_up(server: subprocess.Popen, url: str, log_path: Path) -> None:
    deadline = time.monotonic() + 180  # migrating, seeding and starting on a loaded machine
    while time.monotonic() < deadline:
        assert server.poll() is None, log_path.read_text()
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"portal demo did not answer {url}:\n{log_path.read_text()}")


def outbox_bodies(data_dir: Path, address: str) -> list[str]:
    with closing(sqlite3.connect(data_dir / "portal.sqlite3")) as conn:
        return [row[0] for row in conn.execute("SELECT body_text FROM outbound_email WHERE to_address = ?",
                                               (address,))]


def wait_for_outbox(data_dir: Path, address: str) -> list[str]:
    """The reset email is queued by a task after the response (the answer is the same for unknown emails)."""
    deadline = time.monotonic() + 60
    while (bodies := outbox_bodies(data_dir, address)) == [] and time.monotonic() < deadline:
        time.sleep(0.1)
    return bodies


def test_cli_demo_port_moves_every_emailed_link_to_that_port(tmp_path):
    port = free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "DATABASE_", "SMTP_"))}
    environ |= {"PORTAL_DATA_DIR": str(tmp_path)}  # no PORTAL_PUBLIC_URL: links follow the port
    log_path = tmp_path / "demo.log"
    with log_path.open("w") as log:
        server = subprocess.Popen([*PORTAL, "demo", "--port", str(port)], env=environ, stdout=log,
                                  stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(server, f"{base}/programs", log_path)
        assert f"The portal is at {base}" in log_path.read_text()
        with httpx.Client(base_url=base) as browser:
            token = CSRF_RE.search(browser.get("/reset").text).group(1)
            asked = browser.post("/reset", data={"email": "owner@madison.example", "_csrf": token})
            assert asked.status_code == 200
        bodies = wait_for_outbox(tmp_path, "owner@madison.example")
    finally:
        stop_process(server)
    links = re.findall(r"https?://[^\s]+", "\n".join(bodies))
    assert links != []
    assert [link for link in links if not link.startswith(f"{base}/")] == []
