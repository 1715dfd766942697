"""tests/thread_guard.py: a thread left running fails the run, in one process and on pytest-xdist's workers (whose
own exit status never reaches the run's)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LEAKING_TEST = """
import threading

def test_leaves_a_thread_running():
    threading.Thread(target=threading.Event().wait, name="left-running-by-the-test", daemon=False).start()
"""


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one-process", "xdist"])
def test_a_thread_left_running_fails_the_run_and_is_named(tmp_path, workers):
    (tmp_path / "test_leak.py").write_text(LEAKING_TEST)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.thread_guard", "-p", "no:cacheprovider", "-q", *workers,
         "test_leak.py"],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=120)
    assert "1 passed" in result.stdout, result.stdout + result.stderr
    assert (result.returncode, "left-running-by-the-test" in result.stdout) == (1, True), result.stdout
