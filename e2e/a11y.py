"""Accessibility checks with axe-core (axe-playwright-python) on a Playwright page."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe

BLOCKING_IMPACTS = ("serious", "critical")
# WCAG 2.1 A and AA, which cities must meet (ADA Title II), plus axe's best practices.
AXE_OPTIONS = {"resultTypes": ["violations"],
               "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}}

_axe = Axe()


def violations(page) -> list[dict]:
    """Every axe violation on the page as it is now: id, impact, help, and the CSS targets of its nodes."""
    response = _axe.run(page, options=AXE_OPTIONS).response
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "targets": [" ".join(map(str, node["target"])) for node in v["nodes"]]}
            for v in response["violations"]]


def serious_violations(page) -> list[dict]:
    """The violations whose impact is serious or critical: these fail a test."""
    return [v for v in violations(page) if v["impact"] in BLOCKING_IMPACTS]
