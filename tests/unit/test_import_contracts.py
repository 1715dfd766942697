"""The import contracts in pyproject.toml ([tool.importlinter]) hold: no module of portal imports one that imports
it back, the domains keep their layer order, and inside a domain imports flow one way (docs/architecture.md,
"The layer contract"). Each check runs `lint-imports` in a fresh interpreter; a broken contract fails the test
with import-linter's report, which names the offending imports and their lines."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def lint_imports(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    # --no-cache: no cache directory in the checkout, and never a stale graph.
    return subprocess.run([sys.executable, "-c", "from importlinter.cli import lint_imports_command; "
                           "lint_imports_command()", "--no-logo", "--no-cache", *args],
                          cwd=cwd, capture_output=True, text=True, timeout=300)


def test_the_import_contracts_are_kept():
    result = lint_imports(ROOT)
    assert result.returncode == 0, f"lint-imports found broken contracts:\n{result.stdout}\n{result.stderr}"
    assert "Contracts: 4 kept, 0 broken." in result.stdout, result.stdout


def test_the_module_cycle_contract_finds_a_cycle_hidden_in_a_function(tmp_path):
    """The contract type of our own (tests/import_contracts.py) on a package of three modules: `low` imports
    `high` only inside a function, which is still a cycle."""
    package = tmp_path / "cyclic"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "high.py").write_text("from cyclic import low\n")
    (package / "low.py").write_text("def late():\n    from cyclic import high\n    return high\n")
    (package / "apart.py").write_text("from cyclic import low\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "__init__.py").write_text("")
    (tmp_path / "tests" / "import_contracts.py").write_text((ROOT / "tests" / "import_contracts.py").read_text())
    (tmp_path / ".importlinter").write_text(textwrap.dedent("""
        [importlinter]
        root_package = cyclic
        contract_types =
            acyclic_modules: tests.import_contracts.AcyclicModulesContract

        [importlinter:contract:cycles]
        name = No module cycles
        type = acyclic_modules
        packages = cyclic
    """))

    result = lint_imports(tmp_path)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "No module cycles BROKEN" in result.stdout
    assert "cyclic.high -> cyclic.low (l. 1)" in result.stdout
    assert "cyclic.low -> cyclic.high (l. 2)" in result.stdout
    assert "apart" not in result.stdout  # it imports into the cycle but is not part of it

    (package / "low.py").write_text("def late():\n    return None\n")
    assert lint_imports(tmp_path).returncode == 0
