"""Reviewer pages: my assignments, and scoring one application on the program's rubric."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath

from portal.core.errors import Invalid, NotFound
from portal.reviews import forms, queries, services
from portal.reviews.access import get_assignment_for
from portal.reviews.rules import SCORING_METHOD
from portal.web.auth import actor, current_user
from portal.web.forms import read_form
from portal.web.render import redirect, render


@get("/reviews", name="reviews:list")
async def review_list(request: Request) -> Response:
    user = current_user(request)
    assignments = await queries.list_assignments_of_reviewer(user.id)
    return render(request, "reviews/list.html", {"assignments": assignments})


async def _page(assignment: dict[str, Any]) -> dict[str, Any]:
    """What the review page shows: the application read-only, the rubric and the saved review."""
    application = await queries.application_for_review(assignment["application"])
    if application is None:
        raise NotFound()
    criteria = await queries.list_criteria(assignment["application.program"])
    saved = await queries.scores_of(assignment["id"])
    values: dict[str, Any] = {"comment": assignment["comment"]}
    for c in criteria:
        score = saved.get(c["id"], {})
        values[forms.score_field(c["id"])] = _plain(score.get("value"))
        values[forms.comment_field(c["id"])] = score.get("comment", "")
    return {"assignment": assignment, "application": application, "criteria": criteria, "values": values,
            "errors": {}, "method": SCORING_METHOD}


def _plain(value: float | None) -> str:
    """3.0 -> "3" (what the radio button's value is), 3.5 -> "3.5"."""
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


@get("/reviews/{assignment_id:int}", name="reviews:detail")
async def review_page(request: Request, assignment_id: FromPath[int]) -> Response:
    assignment = await get_assignment_for(current_user(request), assignment_id)
    return render(request, "reviews/review.html", await _page(assignment))


async def _save(request: Request, assignment_id: int, submit: bool) -> Response:
    user = current_user(request)
    assignment = await get_assignment_for(user, assignment_id)
    data = await read_form(request)
    criteria = await queries.list_criteria(assignment["application.program"])
    try:
        entry = forms.review(data, criteria, require_all=submit)
        if submit:
            await services.submit_review(actor(request), assignment_id, entry, criteria,
                                         request.app.state.settings.public_url)
        else:
            await services.save_review(actor(request), assignment_id, entry)
    except Invalid as exc:
        ctx = await _page(assignment) | {"values": forms.entered(data, criteria), "errors": exc.errors}
        return render(request, "reviews/review.html", ctx, block="scoring", status_code=422)
    return redirect(request, f"/reviews/{assignment_id}?{'submitted' if submit else 'saved'}=1")


@post("/reviews/{assignment_id:int}", name="reviews:save")
async def review_save(request: Request, assignment_id: FromPath[int]) -> Response:
    return await _save(request, assignment_id, submit=False)


@post("/reviews/{assignment_id:int}/submit", name="reviews:submit")
async def review_submit(request: Request, assignment_id: FromPath[int]) -> Response:
    return await _save(request, assignment_id, submit=True)


ROUTES = [review_list, review_page, review_save, review_submit]
