"""Summarise a pytest JUnit XML report for .ci/run: list skipped tests and known defects, print the counts on
the last line.

Exit status 0 when at least one test ran and none was skipped, 1 otherwise. Expected failures (strict
`xfail`, which JUnit files under "skipped" too) did run: they are listed as known defects and do not fail
the run; a strict xfail that starts passing fails pytest itself.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET


def main(path: str) -> int:
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    tests = failures = errors = 0
    skipped: list[str] = []
    xfailed: list[str] = []
    for suite in suites:
        tests += int(suite.get("tests", 0))
        failures += int(suite.get("failures", 0))
        errors += int(suite.get("errors", 0))
        for case in suite.iter("testcase"):
            skip = case.find("skipped")
            if skip is None:
                continue
            line = f"{case.get('classname', '')}::{case.get('name', '')}: {skip.get('message', '').strip()}"
            (xfailed if skip.get("type") == "pytest.xfail" else skipped).append(line)
    for line in xfailed:
        print(f"  KNOWN DEFECT (xfail) {line}")
    for line in skipped:
        print(f"  SKIPPED {line}")
    ran = tests - len(skipped)
    print(f"{ran} ran ({len(xfailed)} known defects), {failures} failed, {errors} errors, {len(skipped)} skipped.")
    return 0 if ran > 0 and not skipped else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
