"""The `portal` command, run as a user runs it (a subprocess on a fresh SQLite data directory)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
