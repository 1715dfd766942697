"""Public pages: the list of programs and one page per program."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.params import FromPath
from litestar.response import Redirect

from portal.accounts.rules import can_start_application
from portal.core import clock
from portal.core.errors import NotFound
from portal.programs import eligibility, queries
from portal.programs.rules import countdown, is_accepting
from portal.web.auth import optional_user
from portal.web.render import render


@get("/", name="home", sync_to_thread=False)
def home() -> Redirect:
    return Redirect("/programs")


@get("/programs", name="programs:list")
async def program_list(request: Request[Any, Any, Any]) -> Response[str]:
    programs = await queries.list_public_programs()
    return render(request, "programs/list.html", {"programs": programs})


@get("/programs/{slug:str}", name="programs:detail")
async def program_detail(request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[str]:
    program = await queries.get_program_by_slug(slug)
    if program is None or program.status == "draft":
        raise NotFound()
    funders = await queries.list_funder_names(program.id)
    return render(request, "programs/detail.html", {
        "program": program, "funders": funders, "accepting": is_accepting(program),
        "can_start": can_start_application(optional_user(request)),
        "asks_eligibility": eligibility.has_questions(await queries.get_eligibility(program.id)),
        "countdown": countdown(clock.as_utc(program.deadline_at), clock.now()) if is_accepting(program) else "",
    })


ROUTES = [home, program_list, program_detail]
