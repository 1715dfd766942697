"""Staff pages of a panel's aggregate scores: the ranking and the reviewer statistics."""

from __future__ import annotations

from litestar import Request, Response, get
from litestar.params import FromPath

from portal.reviews import ranking
from portal.reviews.meeting_access import get_program_for_panel_staff
from portal.web.auth import current_user
from portal.web.render import render


@get("/staff/programs/{program_id:int}/panel/ranking", name="panel:ranking")
async def ranking_page(request: Request, program_id: FromPath[int]) -> Response:
    program = await get_program_for_panel_staff(current_user(request), program_id)
    result = await ranking.panel_ranking(program_id)
    return render(request, "panels/ranking.html", {"program": program, "ranking": result,
                                                   "methods": ranking.methods(result)})


@get("/staff/programs/{program_id:int}/panel/reviewers", name="panel:reviewers")
async def reviewers_page(request: Request, program_id: FromPath[int]) -> Response:
    program = await get_program_for_panel_staff(current_user(request), program_id)
    result = await ranking.panel_ranking(program_id)
    return render(request, "panels/reviewers.html", {"program": program, "ranking": result,
                                                     "offset_share": ranking.OFFSET_SHARE})


ROUTES = [ranking_page, reviewers_page]
