"""Accessibility checks with axe-core (axe-playwright-python) on a Playwright page."""

from __future__ import annotations

import re
from typing import Any, Callable
from urllib.parse import urlsplit

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


# --- Every page of the app, by its routes ---------------------------------------------------------------------
# The sweep below visits one page of each route it can reach by links and checks it; `page_routes` lists the
# routes from the app itself, so a new page is checked (or the coverage test names it) without editing a list.

NOT_PAGES = {
    "/": "redirects to the dashboard or the programs",
    "/awards/{award_id:int}/payouts/return": "Stripe's onboarding returns here; it redirects to the award",
    "/staff/programs/{program_id:int}/letters/batches/{batch_id:int}":
        "the letters page's progress fragment (HTMX polls it); checked inside that page by e2e/test_letters.py",
}
"""GET routes that answer no page of their own (besides downloads, known by their file name: see `is_page_route`)."""
DOWNLOAD_SUFFIXES = (".pdf", ".csv", ".md", ".docx")
"""A route ending in a file name is a download, not a page."""


def is_page_route(path: str) -> bool:
    """Whether a GET route answers an HTML page (not a download, a static file or a redirect)."""
    if path in NOT_PAGES or path.startswith(("/static/", "/vendor/")):
        return False
    if "/files/" in path and path.endswith("}"):  # an uploaded file, by its id
        return False
    return not path.endswith(DOWNLOAD_SUFFIXES)


def page_routes(settings_env: dict[str, str]) -> list[str]:
    """The path pattern of every GET route of the app that answers an HTML page, e.g.
    `/staff/programs/{program_id:int}/panel`, taken from the app that `portal serve` builds."""
    from portal import db
    from portal.app import create_app
    from portal.settings import load_settings

    previous = db.current_engine()
    try:
        app = create_app(load_settings(settings_env))
    finally:
        db.use_engine(previous)  # building the app points Piccolo at its engine; this process keeps its own
    return sorted({route.path for route in app.routes for handler in route.route_handlers
                   if "GET" in (handler.http_methods or ()) and is_page_route(route.path)})


def staff_routes(routes: list[str]) -> list[str]:
    """The staff and administrators' pages: everything under /staff and /admin."""
    return [path for path in routes if path == "/staff" or path.startswith(("/staff/", "/admin/"))]


def _route_pattern(path: str) -> re.Pattern:
    parts = re.split(r"(\{[^}]+\})", path)
    regex = "".join(
        ("[0-9]+" if part.endswith(":int}") else "[^/]+") if part.startswith("{") else re.escape(part)
        for part in parts)
    return re.compile(f"^{regex}$")


def sweep(page, start: list[str], routes: list[str], check: Callable[[Any], list[str]]) -> tuple[dict[str, str], list[str]]:
    """Visit one page of each route in `routes` that links reach from the `start` paths (same origin, breadth
    first), run `check(page)` on it (it returns the problems it found) and follow its links.

    Returns the URL visited for each route, and every problem as "url: problem". A page that does not answer
    200 (e.g. 403 for this person) counts for nothing: another link to the same route may still be tried."""
    patterns = [(route, _route_pattern(route)) for route in routes]
    origin = urlsplit(page.url).netloc if page.url.startswith("http") else None
    queue, seen, visited, problems = list(start), set(start), {}, []
    while queue:
        path = queue.pop(0)
        route = next((r for r, pattern in patterns if pattern.match(path)), None)
        if route is None or route in visited:
            continue
        response = page.goto(path)
        if response is None or response.status != 200:
            continue
        origin = origin or urlsplit(page.url).netloc
        visited[route] = path
        problems += [f"{path}: {problem}" for problem in check(page)]
        hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
        for href in hrefs:
            url = urlsplit(href)
            if url.netloc == origin and url.path not in seen:
                seen.add(url.path)
                queue.append(url.path)
    return visited, problems


def describe(found: list[dict]) -> list[str]:
    """Violations as one line each, for an assertion message."""
    return [f"{v['id']} ({v['impact']}): {v['help']} — {', '.join(v['targets'])}" for v in found]
