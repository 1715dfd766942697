"""Funder summaries: for the programs a funder funds, and only those."""

from __future__ import annotations

from typing import Any

from litestar import Response, get
from litestar.params import FromPath

from portal.core.actor import Principal
from portal.core.errors import Forbidden
from portal.dashboards import queries
from portal.web.auth import current_user
from portal.web.render import render
from portal.web.sessions import PortalRequest


async def section(user: Principal) -> tuple[str, dict[str, Any]] | None:
    """The funder's programs with their headline figures, on the dashboard."""
    if not user.is_funder:
        return None
    programs = await queries.summaries(await queries.funded_programs(user.funder_ids))
    return "funder/_dashboard.html", {"programs": programs}


@get("/funder", name="funder:overview")
async def overview(request: PortalRequest) -> Response[str]:
    user = current_user(request)
    if not user.is_funder:
        raise Forbidden("This page is for the funders of a program.")
    programs = await queries.summaries(await queries.funded_programs(user.funder_ids))
    return render(request, "funder/overview.html", {"programs": programs})


@get("/funder/programs/{program_id:int}", name="funder:program")
async def program_detail(request: PortalRequest, program_id: FromPath[int]) -> Response[str]:
    program = await queries.get_funded_program_for(current_user(request), program_id)
    return render(request, "funder/program.html", {"program": program})


ROUTES = [overview, program_detail]
