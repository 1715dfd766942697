"""Eligibility first: a program's questions, answered before a draft exists (portal/programs/eligibility.py).

An ineligible city sees every reason at once and nothing is created; an eligible one gets its draft, with the
answers the program maps to form fields filled in.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath

from portal.accounts.rules import applicant_city_ids
from portal.applications import queries, services
from portal.applications.records import City
from portal.core.errors import Invalid, NotFound
from portal.programs import eligibility
from portal.programs import queries as programs
from portal.programs.records import ProgramRecord
from portal.programs.rules import is_accepting
from portal.web.auth import actor, current_user
from portal.web.forms import read_form, text
from portal.web.render import redirect, render


async def load(request: Request[Any, Any, Any], slug: str) -> tuple[ProgramRecord, eligibility.Spec, list[City]]:
    """(program, eligibility spec, the cities the user may apply for); NotFound for unpublished programs."""
    user = current_user(request)
    program = await programs.get_program_by_slug(slug)
    if program is None or program.status == "draft":
        raise NotFound()
    spec = await programs.get_eligibility(program.id)
    return program, spec, await queries.list_cities(applicant_city_ids(user))


def page(request: Request[Any, Any, Any], program: ProgramRecord, spec: eligibility.Spec, cities: list[City],
         status_code: int = 200, **overrides: Any) -> Response[str]:
    questions = eligibility.questions(spec)
    ctx = {"program": program, "intro": spec.get("intro", ""), "questions": questions,
           "labels": {q["key"]: q["label"] for q in questions} | {"organisation": "City that applies"},
           "cities": cities, "accepting": is_accepting(program), "values": {}, "errors": {}, "reasons": []}
    return render(request, "applications/eligibility/eligibility.html", ctx | overrides, status_code=status_code)


@get("/programs/{slug:str}/eligibility", name="eligibility:page")
async def eligibility_page(request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[str]:
    program, spec, cities = await load(request, slug)
    if not eligibility.has_questions(spec):
        return redirect(request, f"/programs/{slug}")
    if not cities:
        return render(request, "applications/no_city.html", {"program": program}, status_code=403)
    return page(request, program, spec, cities)


@post("/programs/{slug:str}/eligibility", name="eligibility:check")
async def eligibility_check(request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[str]:
    data = await read_form(request)
    program, spec, cities = await load(request, slug)
    if not eligibility.has_questions(spec):
        return redirect(request, f"/programs/{slug}")
    if not cities:
        return render(request, "applications/no_city.html", {"program": program}, status_code=403)
    organisation = text(data, "organisation", 20)
    chosen = [c for c in cities if str(c.id) == organisation] if len(cities) > 1 else cities
    errors = {} if chosen else {"organisation": "Choose the city that applies."}
    answers: eligibility.Answers = {}
    try:
        answers = eligibility.parse_answers(spec, data)
    except Invalid as exc:
        errors = exc.errors | errors
    if errors:
        typed = {q["key"]: text(data, q["key"], 200) for q in eligibility.questions(spec)}
        return page(request, program, spec, cities, 422, errors=errors, values=typed | {"organisation": organisation})
    values = {key: str(value) for key, value in answers.items()} | {"organisation": str(chosen[0].id)}
    reasons = eligibility.reasons_ineligible(spec, answers)
    if reasons:  # nothing is created, and there is nothing to audit
        return page(request, program, spec, cities, values=values, reasons=reasons)
    form = await programs.current_form(program.id, "application")
    prefill = eligibility.prefill(spec, answers, form.schema) if form else {}
    application_id = await services.start_application(actor(request), program.id, chosen[0].id,
                                                      prefill=prefill, eligibility=answers)
    return redirect(request, f"/applications/{application_id}")


ROUTES = [eligibility_page, eligibility_check]
