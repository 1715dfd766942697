"""The benchmark's baselines: a bare Litestar app (no session middleware, no database, no plugins).

Two kinds of route, both served by this one app (`granian --interface asgi --workers 1 bench.bare_app:app`):

- "bare static", `GET /bare`: `bare.html` in $BENCH_TEMPLATE_DIR, written by bench_pages.py from the portal's own
  rendered /programs page pasted verbatim into a trivial template (one variable). Same bytes as the portal's
  page, almost no template work: the ceiling of Litestar + Jinja for a page of that size.
- "bare template", `GET /bare/programs` and `GET /bare/dashboard`: the portal's own templates
  (programs/list.html, dashboards/home.html with base.html and the section includes) rendered with the portal's
  own Jinja environment (portal.core.templating) and the same context data. The data is loaded ONCE at start-up
  from the same database the portal serves (the portal's query functions, and the dashboard's section functions
  for the demo applicant named by $BENCH_APPLICANT_EMAIL); the database is closed again before the first request.
  What is left to the portal beside these is its own per-request work: session, database, middleware.

`request`, `user`, `csrf_token`, `path` and `flash` (portal.web.render.page_context) are constant stand-ins of
the same shape and length as the portal's.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from litestar import Litestar, Request, Response, get
from litestar.enums import MediaType
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig

TEMPLATE_DIR = Path(os.environ.get("BENCH_TEMPLATE_DIR", Path(__file__).parent / "results"))
APPLICANT_EMAIL = os.environ.get("BENCH_APPLICANT_EMAIL", "")

# Filled once by load_contexts() at start-up: template name -> context (without `request`).
CONTEXTS: dict[str, dict[str, Any]] = {}


async def load_contexts() -> None:
    """Run the portal's queries once, exactly as its /programs and /dashboard handlers do, and keep the results."""
    from portal import db
    from portal.accounts.sessions import load_principal
    from portal.accounts.tables import User
    from portal.core.security import new_token, sign
    from portal.dashboards.controllers import SECTIONS
    from portal.programs import queries
    from portal.settings import load_settings

    settings = load_settings()
    engine = db.engine_for(settings.database)
    db.use_engine(engine)
    await db.open_engine(engine, 2)
    try:
        programs = await queries.list_public_programs()
        user = await User.select(User.id).where(User.email == APPLICANT_EMAIL).first()
        if user is None:
            raise RuntimeError(f"no user {APPLICANT_EMAIL!r} for the bare dashboard (set BENCH_APPLICANT_EMAIL)")
        me = await load_principal(user["id"])
        if me is None:
            raise RuntimeError(f"{APPLICANT_EMAIL} is deactivated")
        sections = [s for s in [await module.section(me) for module in SECTIONS] if s is not None]
    finally:
        await db.close_engine(engine)

    # Stand-ins of the same length as the portal's: an anonymous visitor's signed token, a session's token.
    anon_token = sign(settings.secret_key, "anon-csrf:" + "x" * 32)
    session_token = new_token()
    CONTEXTS["programs/list.html"] = {
        "user": None, "csrf_token": lambda: anon_token, "path": "/programs", "flash": None, "programs": programs,
    }
    CONTEXTS["dashboards/home.html"] = {
        "user": me, "csrf_token": lambda: session_token, "path": "/dashboard", "flash": None,
        "me": me, "sections": sections,
    }


def render_page(request: Request, template: str, cache_control: str) -> Response:
    from portal.core.templating import render

    html = render(template, {"request": request, **CONTEXTS[template]})
    return Response(content=html, media_type=MediaType.HTML,
                    headers={"Vary": "HX-Request", "Cache-Control": cache_control})


@get("/bare", sync_to_thread=False)
def bare_static() -> Template:
    return Template("bare.html", context={"title": "Programs"})


@get("/bare/programs", sync_to_thread=False)
def bare_programs(request: Request) -> Response:
    return render_page(request, "programs/list.html", "no-cache")


@get("/bare/dashboard", sync_to_thread=False)
def bare_dashboard(request: Request) -> Response:
    return render_page(request, "dashboards/home.html", "no-store")


app = Litestar(
    route_handlers=[bare_static, bare_programs, bare_dashboard],
    on_startup=[load_contexts],
    template_config=TemplateConfig(directory=TEMPLATE_DIR, engine=JinjaTemplateEngine),
)
