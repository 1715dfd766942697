"""The type checker passes on all of portal/ ([tool.mypy] in pyproject.toml; docs/architecture.md, "Types"):
strict on every module, with no error code turned off for any of them.
Each check runs mypy in a fresh interpreter; a type error fails the test with mypy's report (file, line, code)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def mypy(*args: str) -> subprocess.CompletedProcess:
    # The cache lives under .venv (cache_dir in pyproject.toml), never in the checkout: warm, a run takes about
    # a second; cold (a fresh clone), 12 to 30 s by the load.
    return subprocess.run([sys.executable, "-m", "mypy", "--no-error-summary", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_portal_type_checks():
    result = mypy()
    assert result.returncode == 0, f"mypy found type errors in portal/:\n{result.stdout}\n{result.stderr}"


def test_the_checker_catches_a_wrong_column_and_a_wrong_type(tmp_path):
    """The same configuration on a module that names a column Payment does not have, and reads a payment
    record's amount as text: both are errors before any test runs."""
    probe = tmp_path / "wrong_column.py"
    probe.write_text(textwrap.dedent("""
        from portal.payments.records import PaymentRecord
        from portal.payments.tables import Payment

        Payment.select().where(Payment.amount_cent == 1)


        def title(payment: PaymentRecord) -> str:
            return payment.amount_cents
    """))

    result = mypy("--cache-dir", str(tmp_path / "cache"), str(probe))

    assert result.returncode == 1, result.stdout + result.stderr
    assert 'wrong_column.py:5: error: "type[Payment]" has no attribute "amount_cent"' in result.stdout
    assert 'wrong_column.py:9: error: Incompatible return value type (got "int", expected "str")' in result.stdout


def test_no_module_of_portal_turns_an_error_code_off():
    """The ratchet is empty: pyproject.toml turns no mypy error code off and strictness covers every module.
    A new error is fixed, not listed."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    overrides = config.get("overrides", [])
    assert [o["module"] for o in overrides if "disable_error_code" in o or "ignore_errors" in o] == []
    strict = [o for o in overrides if o.get("disallow_untyped_defs")]
    assert [o["module"] for o in strict] == [["portal", "portal.*"]]
