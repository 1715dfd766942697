"""WCAG 2.1 AA in a real browser: axe-core finds no serious or critical violation on the main pages."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Page, expect

from e2e.a11y import describe, page_routes, serious_violations, staff_routes, sweep
from e2e.layout import grid_problems, overflow_problems
from e2e.pages import ProgramsPage, RegisterPage, SignInPage


def test_program_list_is_accessible(page: Page, axe):
    ProgramsPage(page).open()

    axe(page)


def test_program_page_is_accessible(page: Page, axe):
    ProgramsPage(page).open().open_program(0)

    axe(page)


def test_sign_in_with_errors_is_accessible(page: Page, axe):
    sign_in = SignInPage(page).submit_empty()
    expect(sign_in.error_summary).to_be_visible()

    axe(page)


def test_register_is_accessible(page: Page, axe):
    RegisterPage(page).open()

    axe(page)


def test_applicant_dashboard_is_accessible(page: Page, axe, applicant: dict):
    SignInPage(page).sign_in(applicant["email"], applicant["password"])

    axe(page)


# --- Every staff page, found by the app's routes ----------------------------------------------------------------
# One browser session signs in as the administrator (who sees every program) and visits, by links from the staff
# home and the dashboard, one page of each route; axe and the layout checks run on each at 1280 px, and the page is
# checked again at 390 px. The last test fails when a staff route has no page in that sweep, so a new staff page
# cannot go unchecked. Styles and markup do not depend on the engine, so the sweep runs on SQLite only.

ADMIN = "admin@portal.example"
STAFF_START = ["/staff", "/dashboard"]
WIDE, PHONE = {"width": 1280, "height": 900}, {"width": 390, "height": 844}


@dataclass
class Sweep:
    routes: list[str]
    visited: dict[str, str]
    """The URL checked for each route."""
    accessibility: list[str] = field(default_factory=list)
    grid: list[str] = field(default_factory=list)
    narrow: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def staff_sweep(live_portal, browser, base_url) -> Sweep:
    if live_portal.seed_source != "demo":
        pytest.skip("signs in as the demo's administrator (E2E_DEMO=0 loads the test personas instead)")
    from portal.demo import DEMO_PASSWORD

    context = browser.new_context(base_url=base_url, viewport=WIDE)
    try:
        page = context.new_page()
        SignInPage(page).sign_in(ADMIN, DEMO_PASSWORD)
        routes = page_routes(live_portal.env)
        grid: list[str] = []
        narrow: list[str] = []

        def check(page) -> list[str]:
            grid.extend(f"{page.url}: {problem}" for problem in grid_problems(page) + overflow_problems(page))
            found = describe(serious_violations(page))
            page.set_viewport_size(PHONE)  # the same page at a phone's width: a new layout, no new request
            narrow.extend(f"{page.url}: {problem}" for problem in overflow_problems(page))
            page.set_viewport_size(WIDE)
            return found

        visited, accessibility = sweep(page, STAFF_START, routes, check)
        return Sweep(routes=routes, visited=visited, accessibility=accessibility, grid=grid, narrow=narrow)
    finally:
        context.close()


@pytest.mark.sqlite_only  # markup and styles do not depend on the engine
def test_staff_pages_are_accessible(staff_sweep: Sweep):
    assert staff_sweep.accessibility == [], "\n".join(staff_sweep.accessibility)


@pytest.mark.sqlite_only  # markup and styles do not depend on the engine
def test_staff_pages_keep_to_the_page_grid_at_1280_px(staff_sweep: Sweep):
    assert staff_sweep.grid == [], "\n".join(staff_sweep.grid)


@pytest.mark.sqlite_only  # markup and styles do not depend on the engine
def test_staff_pages_do_not_scroll_sideways_at_390_px(staff_sweep: Sweep):
    assert staff_sweep.narrow == [], "\n".join(staff_sweep.narrow)


@pytest.mark.sqlite_only  # markup and styles do not depend on the engine
def test_every_staff_route_is_in_the_sweep(staff_sweep: Sweep):
    """A staff page that no link reaches from the staff home, or that answers the administrator with an error,
    is named here: link it (or, if it is no page, say so in e2e/a11y.py's NOT_PAGES)."""
    staff = staff_routes(staff_sweep.routes)
    missing = [route for route in staff if route not in staff_sweep.visited]

    assert {"/staff", "/admin/outbox", "/staff/programs/{program_id:int}/panel/ranking",
            "/staff/programs/{program_id:int}/decisions"} - set(staff) == set()  # the routes are found at all
    assert missing == [], f"staff routes with no page in the sweep: {missing}"
