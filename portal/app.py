"""Builds the Litestar application: routes from each domain, the session middleware, error pages."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import AsyncIterator

from litestar import Litestar
from litestar.config.allowed_hosts import AllowedHostsConfig
from litestar.exceptions import HTTPException
from litestar.plugins.htmx import HTMXPlugin
from litestar.static_files import create_static_files_router

from portal import db
from portal.accounts.controllers import ROUTES as ACCOUNT_ROUTES
from portal.accounts.two_factor.controllers import ROUTES as TWO_FACTOR_ROUTES
from portal.applications import lifecycle
from portal.applications.controllers import ROUTES as APPLICATION_ROUTES
from portal.applications.export.controllers import ROUTES as EXPORT_ROUTES
from portal.applications.eligibility.controllers import ROUTES as ELIGIBILITY_ROUTES
from portal.applications.team.controllers import ROUTES as TEAM_ROUTES
from portal.awards.tranches import services as tranche_services  # noqa: F401  (follows payments: payments/hooks.py)
from portal.awards.acceptance.controllers import ROUTES as ACCEPTANCE_ROUTES
from portal.awards.controllers import ROUTES as AWARD_ROUTES
from portal.awards.decisions.controllers import ROUTES as DECISION_ROUTES
from portal.core import mail
from portal.core.errors import DomainError, NotFound
from portal.core.logs import configure_logging
from portal.dashboards.controllers import ROUTES as DASHBOARD_ROUTES
from portal.letters import award_letters  # noqa: F401  (makes award letters for awards: awards/hooks.py)
from portal.letters import services as letters
from portal.letters.controllers import ROUTES as LETTER_ROUTES
from portal.payments import services as payment_services
from portal.payments.controllers import ROUTES as PAYMENT_ROUTES
from portal.payments.gateway import gateway_for
from portal.payments.ledger.controllers import ROUTES as LEDGER_ROUTES
from portal.payments.pledges.controllers import ROUTES as PLEDGE_ROUTES
from portal.programs.controllers import ROUTES as PROGRAM_ROUTES
from portal.staff.controllers import ROUTES as STAFF_ROUTES
from portal.staff.deadline.controllers import ROUTES as STAFF_DEADLINE_ROUTES
from portal.staff.mail.controllers import ROUTES as STAFF_MAIL_ROUTES
from portal.reporting.controllers import ROUTES as REPORTING_ROUTES
from portal.reviews.controllers import ROUTES as REVIEW_ROUTES
from portal.reviews.panels.controllers import ROUTES as PANEL_ROUTES
from portal.reviews.assignment.controllers import ROUTES as PANEL_ASSIGNMENT_ROUTES
from portal.reviews.progress.controllers import ROUTES as PANEL_PROGRESS_ROUTES
from portal.reviews.meetings.controllers import ROUTES as MEETING_ROUTES
from portal.reviews.ranking.controllers import ROUTES as RANKING_ROUTES
from portal.reviews.export.controllers import ROUTES as REVIEW_EXPORT_ROUTES
from portal.settings import ROOT, Settings, load_settings
from portal.web.access_log import log_access
from portal.web.errors import BodyTooLarge, handle_domain_error, handle_http_exception, handle_server_error
from portal.web.headers import add_security_headers
from portal.web.sessions import CsrfFailed, PortalRequest, SessionMiddleware
from portal.web.two_factor import TwoFactorEnrolmentMiddleware

MAX_BODY_BYTES = 60 * 1024 * 1024  # the largest application's files in one request, with room for the form


MAX_PATH_TEXT = 200
MAX_ID = 2**31 - 1  # ids are SERIAL (int4) on PostgreSQL; SQLite refuses ints past 64 bits with a crash


async def check_request(request: PortalRequest) -> None:
    """Before any handler: refuse a failed CSRF check (found by the session middleware), and answer 404 for
    integer path parameters no row can have, so that no handler ever sends them to the database."""
    if request.scope.get("body_too_large"):  # the CSRF check could not read it either: 413, not "form expired"
        raise BodyTooLarge(request.route_handler.resolve_request_max_body_size())
    if request.scope.get("csrf_failed"):
        raise CsrfFailed()
    for value in request.path_params.values():
        if isinstance(value, int) and not 0 < value <= MAX_ID:
            raise NotFound()
        if isinstance(value, str) and ("\x00" in value or len(value) > MAX_PATH_TEXT):
            raise NotFound()  # no slug or token is that long, and PostgreSQL text cannot hold NUL


async def kick_outbox(_: object) -> None:
    mail.kick()


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or load_settings()
    engine = db.engine_for(settings.database)
    db.use_engine(engine)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        await db.open_engine(engine, settings.database.pool_size)
        stop = asyncio.Event()
        workers = [asyncio.create_task(mail.run_outbox_worker(settings, stop)),
                   asyncio.create_task(letters.run_letter_worker(
                       settings.files_dir, stop, timedelta(seconds=settings.letter_reclaim_after_seconds)))]
        if settings.stripe.configured:  # Stripe transfers left without an answer are sent again (same key)
            workers.append(asyncio.create_task(payment_services.run_payment_retry_worker(
                gateway_for(settings.stripe), stop)))
        if settings.reminder_interval_seconds > 0:
            workers.append(asyncio.create_task(lifecycle.run_reminder_worker(
                settings.public_url, settings.reminder_interval_seconds, stop)))
        try:
            yield
        finally:
            stop.set()
            mail.kick(force=True)
            await asyncio.wait(workers, timeout=5)
            await db.close_engine(engine)

    static = [
        create_static_files_router(path="/static", directories=[ROOT / "static"], name="static", include_in_schema=False),
        create_static_files_router(path="/vendor/htmx", directories=[ROOT / "node_modules/htmx.org/dist"],
                                   name="vendor-htmx", include_in_schema=False),
        create_static_files_router(path="/vendor/simplewebauthn",
                                   directories=[ROOT / "node_modules/@simplewebauthn/browser/dist/bundle"],
                                   name="vendor-simplewebauthn", include_in_schema=False),
        create_static_files_router(path="/vendor/uswds", directories=[ROOT / "node_modules/@uswds/uswds/dist"],
                                   name="vendor-uswds", include_in_schema=False),
    ]
    allowed_hosts = None
    if settings.production:
        from urllib.parse import urlsplit

        allowed_hosts = AllowedHostsConfig(allowed_hosts=[urlsplit(settings.public_url).hostname or "localhost"])

    app = Litestar(
        route_handlers=[
            *PROGRAM_ROUTES,
            *STAFF_ROUTES,
            *STAFF_DEADLINE_ROUTES,
            *STAFF_MAIL_ROUTES,
            *ACCOUNT_ROUTES,
            *TWO_FACTOR_ROUTES,
            *APPLICATION_ROUTES,
            *EXPORT_ROUTES,
            *TEAM_ROUTES,
            *ELIGIBILITY_ROUTES,
            *REVIEW_ROUTES,
            *PANEL_ROUTES,
            *PANEL_ASSIGNMENT_ROUTES,
            *PANEL_PROGRESS_ROUTES,
            *RANKING_ROUTES,
            *MEETING_ROUTES,
            *REVIEW_EXPORT_ROUTES,
            *AWARD_ROUTES,
            *DECISION_ROUTES,
            *LETTER_ROUTES,
            *REPORTING_ROUTES,
            *DASHBOARD_ROUTES,
            *PAYMENT_ROUTES,
            *ACCEPTANCE_ROUTES,
            *LEDGER_ROUTES,
            *PLEDGE_ROUTES,
            *static,
        ],
        middleware=[SessionMiddleware(settings), TwoFactorEnrolmentMiddleware()],
        plugins=[HTMXPlugin()],
        before_request=check_request,
        before_send=[add_security_headers, *([log_access] if settings.access_log else [])],
        after_response=kick_outbox,
        exception_handlers={
            DomainError: handle_domain_error,
            HTTPException: handle_http_exception,
            Exception: handle_server_error,
        },
        lifespan=[lifespan],
        allowed_hosts=allowed_hosts,
        request_max_body_size=MAX_BODY_BYTES,
        openapi_config=None,
        debug=False,
        logging_config=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    configure_logging()
    return app
