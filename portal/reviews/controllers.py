"""Reviewer pages: my queue, and scoring one application on the program's rubric (autosaved, version-checked,
revisable until the panel closes)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath

from portal.core.errors import Invalid, NotFound
from portal.reviews import forms, queries, rules, services
from portal.reviews.access import get_assignment_for
from portal.reviews.records import CriterionRow, ScoringAssignment
from portal.reviews.rules import SCORING_METHOD
from portal.web.auth import actor, current_user
from portal.web.forms import read_form, text
from portal.web.render import fragment, redirect, render


@get("/reviews", name="reviews:list")
async def review_list(request: Request) -> Response:
    user = current_user(request)
    groups = await queries.list_queue(user.id, request.app.state.settings.secret_key)
    return render(request, "reviews/list.html", {"groups": groups})


def _criterion_view(c: CriterionRow) -> dict[str, Any]:
    return dict(c) | {"points": [rules.plain(p) for p in rules.scale_points(c)], "scale_text": rules.scale_description(c),
                "threshold_text": rules.threshold_text(c)}


async def _page(assignment: ScoringAssignment) -> dict[str, Any]:
    """What the review page shows: the application read-only, the rubric, the saved review, and once it is
    submitted the other reviewers' scores and the revisions."""
    # As its reviewer may read it (the blind copy on a blind panel); get_assignment_for has checked conflicts.
    application = await queries.application_for_review(assignment.application, as_reviewer=True)
    if application is None:
        raise NotFound()
    criteria = [_criterion_view(c) for c in await queries.list_criteria(assignment.program)]
    saved = await queries.scores_of(assignment.id)
    values: dict[str, Any] = {"comment": assignment.comment, "applicant_comment": assignment.applicant_comment,
                              "recommendation": assignment.recommendation}
    for c in criteria:
        score = saved.get(c["id"])
        values[forms.score_field(c["id"])] = rules.plain(score.value if score else None)
        values[forms.comment_field(c["id"])] = score.comment if score else ""
    timezone = assignment.timezone or "UTC"
    return {
        "assignment": assignment, "application": application, "criteria": criteria, "values": values,
        "saved_values": dict(values), "errors": {}, "method": SCORING_METHOD, "version": assignment.version,
        "closed_reason": queries.closed_reason(assignment.panel, timezone),
        "ask_recommendation": _asks_recommendation(assignment), "recommendations": rules.RECOMMENDATIONS,
        "others": await queries.others_scores(assignment, criteria),
        "revisions": await queries.revisions_of(assignment.id),
        "rubric_problem": rules.rubric_problem(criteria), "conflict": None, "timezone": timezone,
    }


def _asks_recommendation(assignment: ScoringAssignment) -> bool:
    return bool(assignment.panel and assignment.panel.ask_recommendation)


@get("/reviews/{assignment_id:int}", name="reviews:detail")
async def review_page(request: Request, assignment_id: FromPath[int]) -> Response:
    assignment = await get_assignment_for(current_user(request), assignment_id)
    return render(request, "reviews/review.html", await _page(assignment), block="scoring")


async def _save(request: Request, assignment_id: int, submit: bool) -> Response:
    user = current_user(request)
    assignment = await get_assignment_for(user, assignment_id)
    data = await read_form(request)
    criteria = await queries.list_criteria(assignment.program)
    ask = _asks_recommendation(assignment)
    version = forms.version(data)
    try:
        if version is None:
            raise Invalid({"version": "This page is out of date: reload it and enter your scores again."})
        entry = forms.review(data, criteria, require_all=submit, ask_recommendation=ask)
        if submit:
            await services.submit_review(actor(request), assignment_id, entry, criteria,
                                         request.app.state.settings.public_url, version)
        else:
            await services.save_review(actor(request), assignment_id, entry, version)
    except Invalid as exc:
        ctx = await _page(assignment) | {"values": forms.entered(data, criteria), "errors": exc.errors,
                                         "version": version if version is not None else assignment.version}
        return render(request, "reviews/review.html", ctx, block="scoring", status_code=422)
    except services.StaleReview as exc:
        # Shown beside what this page sent; the form now carries the saved version, so saving again keeps theirs
        # (this page's) over the other tab's, and reloading shows the saved one.
        fresh = await queries.get_assignment(assignment_id)
        assert fresh is not None
        ctx = await _page(fresh)
        ctx |= {"values": forms.entered(data, criteria), "version": exc.saved_version,
                "conflict": {"saved_version": exc.saved_version, "their_version": exc.their_version}}
        return render(request, "reviews/review.html", ctx, block="scoring", status_code=409)
    if submit:
        return redirect(request, f"/reviews/{assignment_id}?submitted=1")
    if text(data, "go", 10) == "next":
        nxt = queries.next_in_queue(
            await queries.list_queue(user.id, request.app.state.settings.secret_key), assignment_id)
        return redirect(request, f"/reviews/{nxt}?saved=1" if nxt else "/reviews?all_done=1")
    return redirect(request, f"/reviews/{assignment_id}?saved=1")


@post("/reviews/{assignment_id:int}", name="reviews:save")
async def review_save(request: Request, assignment_id: FromPath[int]) -> Response:
    """Save the draft (the form's Save button, with or without JavaScript); `go=next` then goes on to the next
    review to do in the reviewer's queue."""
    return await _save(request, assignment_id, submit=False)


@post("/reviews/{assignment_id:int}/submit", name="reviews:submit")
async def review_submit(request: Request, assignment_id: FromPath[int]) -> Response:
    return await _save(request, assignment_id, submit=True)


@post("/reviews/{assignment_id:int}/autosave", name="reviews:autosave")
async def review_autosave(request: Request, assignment_id: FromPath[int]) -> Response:
    """The draft saved as it is typed (htmx, debounced). Answers with the `autosave` block: 200 "Saved at" and
    the new version (also in X-Version), 409 when the review changed elsewhere (saved version against this
    page's, with a choice), 422 when a value is not on the scale."""
    assignment = await get_assignment_for(current_user(request), assignment_id)
    data = await read_form(request)
    criteria = await queries.list_criteria(assignment.program)
    ask = _asks_recommendation(assignment)
    version = forms.version(data)
    ctx: dict[str, Any] = {"assignment": assignment, "timezone": assignment.timezone or "UTC",
                           "criteria": criteria}
    try:
        if version is None:
            raise Invalid({"version": "This page is out of date: reload it."})
        entry = forms.review(data, criteria, require_all=False, ask_recommendation=ask)
        saved = await services.save_review(actor(request), assignment_id, entry, version)
    except Invalid as exc:
        return _autosave(request, ctx | {"outcome": "invalid", "errors": exc.errors}, 422)
    except services.StaleReview as exc:
        stored = await queries.scores_of(assignment_id)
        return _autosave(request, ctx | {
            "outcome": "conflict", "saved_version": exc.saved_version, "their_version": exc.their_version,
            "saved_scores": {cid: rules.plain(s.value) for cid, s in stored.items()},
            "mine": forms.entered(data, criteria)}, 409, {"X-Version": str(exc.saved_version)})
    return _autosave(request, ctx | {"outcome": "saved", "saved_at": saved.saved_at, "version": saved.version}, 200,
                     {"X-Version": str(saved.version), "X-Saved-At": saved.saved_at.isoformat()})


def _autosave(request: Request, ctx: dict[str, Any], status: int, headers: dict[str, str] | None = None) -> Response:
    return fragment(request, "reviews/review.html", "autosave", ctx, status_code=status, headers=headers)


ROUTES = [review_list, review_page, review_save, review_submit, review_autosave]
