"""Staff pages of a panel's aggregate scores: the ranking and the reviewer statistics."""

from __future__ import annotations

from litestar import Request, Response, get
from litestar.params import FromPath

from portal.reviews.ranking import queries, rules
from portal.reviews.panels.access import get_program_for_panel_staff
from portal.web.auth import current_user
from portal.web.render import render


def _fixed(value: float | None, places: int = 2) -> str:
    return "—" if value is None else f"{value:.{places}f}"


def table_rows(result: rules.Ranking) -> list[dict[str, object]]:
    """The ranked rows with every figure already formatted: the table has 2,000 rows on a big panel, and
    formatting in Python costs a fraction of doing it in the template."""
    rows: list[dict[str, object]] = []
    for r in result.scored:
        city = r.organisation_name + (f", {r.organisation_state}" if r.organisation_state else "")
        rows.append({
            "id": r.id, "rank": r.rank, "title": r.title or "Untitled application", "city": city,
            "n": r.n, "mean": _fixed(r.mean), "median": _fixed(r.median), "sd": _fixed(r.stdev),
            "calibrated": _fixed(r.calibrated), "impact": "—" if r.impact is None else str(r.impact),
            "percentile": _fixed(r.percentile, 1), "disputed": r.disputed,
            "threshold": "Passes" if r.passes else ("Fails: " + ", ".join(r.failures)),
        })
    return rows


@get("/staff/programs/{program_id:int}/panel/ranking", name="panel:ranking")
async def ranking_page(request: Request, program_id: FromPath[int]) -> Response:
    program = await get_program_for_panel_staff(current_user(request), program_id)
    result = await queries.panel_ranking(program_id)
    return render(request, "reviews/ranking/ranking.html", {"program": program, "ranking": result,
                                                           "rows": table_rows(result),
                                                           "methods": rules.methods(result)})


@get("/staff/programs/{program_id:int}/panel/reviewers", name="panel:reviewers")
async def reviewers_page(request: Request, program_id: FromPath[int]) -> Response:
    program = await get_program_for_panel_staff(current_user(request), program_id)
    result = await queries.panel_ranking(program_id)
    return render(request, "reviews/ranking/reviewers.html", {"program": program, "ranking": result,
                                                             "offset_share": rules.OFFSET_SHARE})


ROUTES = [ranking_page, reviewers_page]
