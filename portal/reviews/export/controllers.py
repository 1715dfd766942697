"""CSV downloads of scores and comments (queries.py): the panel's for staff, one's own for a reviewer. Both leave
out conflicted reviewers' reviews; blind panels' reviewers get no identifying value."""

from __future__ import annotations

from litestar import Request, Response, get
from litestar.params import FromPath

from portal.applications.export.documents import safe_filename
from portal.programs.access import get_program_for_staff
from portal.reviews.export import queries
from portal.web.auth import current_user


def csv_download(content: bytes, filename: str) -> Response:
    """A CSV file to save (never shown inline, sniffed or kept in a shared cache)."""
    return Response(content=content, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
    })


@get("/staff/programs/{program_id:int}/panel/scores.csv", name="reviews:panel_scores_csv")
async def panel_scores_csv(request: Request, program_id: FromPath[int]) -> Response:
    """Every submitted review of the program; `?blind=1`: the copy without applicant columns, to circulate."""
    program = await get_program_for_staff(current_user(request), program_id)
    blind = request.query_params.get("blind", "") in {"1", "true", "yes", "on"}
    content = await queries.panel_scores_csv(program_id, blind=blind)
    return csv_download(content, safe_filename(program.slug, "scores", *(["blind"] if blind else []),
                                               extension="csv"))


@get("/reviews/export.csv", name="reviews:my_reviews_csv")
async def my_reviews_csv(request: Request) -> Response:
    content = await queries.reviewer_reviews_csv(current_user(request).id)
    return csv_download(content, "my-reviews.csv")


ROUTES = [panel_scores_csv, my_reviews_csv]
