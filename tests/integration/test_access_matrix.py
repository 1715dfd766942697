"""Every route x every persona: the expected status, so that no page or download leaks another party's data.

Strangers get 404 (they may not learn that the object exists), members without the right get 403, anonymous
visitors are sent to sign in (303). `test_every_route_is_in_the_matrix` fails when a route is added without
being listed here.
"""

from __future__ import annotations

import pytest

from portal.core.storage import store
from portal.reviews.tables import Assignment
from tests.factories import PERSONAS, assign, make_program
from tests.factories.applications import PDF_BYTES, add_file
from tests.factories.awards import make_award, make_report

PERSONA_KEYS = ["anonymous", *PERSONAS]
OK, LOGIN = 200, 303

# url template -> {persona: status}; personas not named get `default`.
GET_MATRIX: dict[str, dict[str, int]] = {
    "/dashboard": {"default": OK, "anonymous": LOGIN},
    "/applications": {"default": OK, "anonymous": LOGIN},  # one's own cities' applications; empty for others
    "/applications/{application_a}": {"default": 404, "anonymous": LOGIN, "applicant": OK, "colleague": OK,
                                      "reviewer": OK, "staff": OK, "admin": OK},
    "/applications/{application_b}": {"default": 404, "anonymous": LOGIN, "stranger": OK, "staff": OK, "admin": OK},
    "/applications/{application_a}/files/{file_a}": {"default": 404, "anonymous": LOGIN, "applicant": OK,
                                                      "colleague": OK, "reviewer": OK, "staff": OK, "admin": OK},
    # Documents of an application: whoever may view it (reviewers get the blind copy); strangers 404.
    "/applications/{application_a}/application.pdf": {"default": 404, "anonymous": LOGIN, "applicant": OK,
                                                      "colleague": OK, "reviewer": OK, "staff": OK, "admin": OK},
    "/applications/{application_b}/application.pdf": {"default": 404, "anonymous": LOGIN, "stranger": 409,
                                                      "staff": 409, "admin": 409},  # a draft has no receipt yet
    "/applications/{application_a}/answers.md": {"default": 404, "anonymous": LOGIN, "applicant": OK,
                                                 "colleague": OK, "reviewer": OK, "staff": OK, "admin": OK},
    "/applications/{application_b}/answers.docx": {"default": 404, "anonymous": LOGIN, "stranger": OK, "staff": OK,
                                                   "admin": OK},
    "/programs/{program_slug}/form.pdf": {"default": OK},  # public, like the program page
    "/programs/{draft_program_slug}/form.pdf": {"default": 404},  # a draft program is not public
    "/reviews": {"default": OK, "anonymous": LOGIN},  # one's own assignments; empty for others
    "/reviews/{assignment}": {"default": 404, "anonymous": LOGIN, "reviewer": OK},
    "/staff": {"default": 403, "anonymous": LOGIN, "staff": OK, "admin": OK},
    "/staff/programs/{program}": {"default": 403, "anonymous": LOGIN, "staff": OK, "admin": OK},
    "/staff/applications/{application_a}": {"default": 403, "anonymous": LOGIN, "staff": OK, "admin": OK},
    "/staff/applications/{application_a}/decision": {"default": 404, "anonymous": LOGIN, "staff": OK, "admin": OK,
                                                     "applicant": 403, "colleague": 403, "reviewer": 403},
    "/admin/outbox": {"default": 403, "anonymous": LOGIN, "admin": OK},
    "/awards/{award}": {"default": 404, "anonymous": LOGIN, "applicant": OK, "colleague": OK, "staff": OK,
                        "admin": OK},
    "/awards/{award}/letter.pdf": {"default": 404, "anonymous": LOGIN, "applicant": OK, "colleague": OK,
                                   "staff": OK, "admin": OK},
    "/reports/{report}": {"default": 404, "anonymous": LOGIN, "applicant": OK, "colleague": OK, "staff": OK,
                          "admin": OK},
    "/funder": {"default": 403, "anonymous": LOGIN, "funder": OK, "other_funder": OK},
    "/funder/programs/{program}": {"default": 403, "anonymous": LOGIN, "funder": OK, "other_funder": 404},
}

# Unsafe requests, sent with a valid CSRF token but no other input: access is checked before anything else.
# "input" means the persona got past the access check (an error about the input, or the action done).
POST_MATRIX: dict[str, dict[str, int | str]] = {
    "/programs/{program_slug}/apply": {"default": 403, "anonymous": LOGIN, "applicant": "input",
                                       "colleague": "input", "stranger": "input"},
    # Program staff may read a city's application but never write it.
    "/applications/{application_b}": {"default": 404, "anonymous": LOGIN, "stranger": "input", "staff": 403,
                                      "admin": 403},
    "/applications/{application_b}/submit": {"default": 404, "anonymous": LOGIN, "stranger": "input", "staff": 403,
                                             "admin": 403},
    # Autosave answers a signed-out page with 401 and a sign-in prompt (the page keeps the typing); presence
    # with 204 (nothing to show).
    "/applications/{application_b}/autosave": {"default": 404, "anonymous": 401, "stranger": "input", "staff": 403,
                                               "admin": 403},
    "/applications/{application_a}/presence": {"default": 404, "anonymous": 204, "applicant": "input",
                                               "colleague": "input", "reviewer": "input", "staff": "input",
                                               "admin": "input"},
    "/applications/{application_b}/files": {"default": 404, "anonymous": LOGIN, "stranger": "input", "staff": 403,
                                            "admin": 403},
    "/applications/{application_a}/files/{file_a}/delete": {"default": 404, "anonymous": LOGIN,
                                                             "applicant": "input", "colleague": "input",
                                                             "reviewer": 403, "staff": 403, "admin": 403},
    "/reviews/{assignment}": {"default": 404, "anonymous": LOGIN, "reviewer": "input"},
    "/reviews/{assignment}/submit": {"default": 404, "anonymous": LOGIN, "reviewer": "input"},
    "/staff/programs/{program}/invitations": {"default": 403, "anonymous": LOGIN, "staff": "input",
                                              "admin": "input"},
    "/staff/applications/{application_a}/assignments": {"default": 403, "anonymous": LOGIN, "staff": "input",
                                                        "admin": "input"},
    "/staff/applications/{application_a}/decision": {"default": 404, "anonymous": LOGIN, "staff": "input",
                                                     "admin": "input", "applicant": 403, "colleague": 403,
                                                     "reviewer": 403},
    "/reports/{report}": {"default": 404, "anonymous": LOGIN, "applicant": "input", "colleague": "input",
                          "staff": 403, "admin": 403},
    # Last, and on an assignment made afresh for each persona: a successful delete removes it.
    "/staff/assignments/{spare_assignment}/delete": {"default": 403, "anonymous": LOGIN, "staff": "input",
                                                     "admin": "input"},
}

PUBLIC_OR_SELF = {  # routes every persona may use: public pages, sign-in, tokens checked by the route itself
    "/", "/programs", "/programs/{slug:str}", "/login", "/logout", "/register", "/reset", "/reset/{token:str}",
    "/invitations/{token:str}", "/static/{file_path:path}", "/vendor/htmx/{file_path:path}",
    "/vendor/uswds/{file_path:path}",
}


@pytest.fixture
async def objects(portal, world):
    """The world plus an award with a report and a stored file on city A's application."""
    ids = dict(world.ids)
    settings = portal.state.settings
    stored = store(settings.files_dir, "applications", PDF_BYTES, "application/pdf")
    ids["file_a"] = await add_file(world["application_a"], world["applicant"], stored_name=stored.stored_name)
    ids["award"] = await make_award(world["application_a"], world["staff"])
    ids["report"] = await make_report(ids["award"], world["program"])
    ids["program_slug"] = "healthy-babies"
    ids["draft_program_slug"] = "draft-program"
    await make_program(world["network"], "draft-program", status="draft")
    return ids


def expected(table: dict[str, dict], url: str, persona: str):
    row = table[url]
    return row.get(persona, row["default"])


async def test_get_routes_for_every_persona(as_persona, objects):
    clients = {key: await as_persona(key) for key in PERSONA_KEYS}
    outcomes, wanted = [], []
    for template in GET_MATRIX:
        url = template.format(**objects)
        for persona, client in clients.items():
            response = await client.get(url)
            outcomes.append((template, persona, response.status_code))
            wanted.append((template, persona, expected(GET_MATRIX, template, persona)))
            if response.status_code == LOGIN:
                assert response.headers["location"].startswith("/login"), (template, persona)
    mismatches = [(o, w[2]) for o, w in zip(outcomes, wanted) if o != w]
    assert not mismatches, "\n".join(map(str, mismatches))


async def test_unsafe_routes_for_every_persona(as_persona, objects):
    outcomes, wanted = [], []
    for template in POST_MATRIX:
        url = template.format(**objects, spare_assignment=0)
        for persona in PERSONA_KEYS:
            client = await as_persona(persona)  # a fresh client each time: some posts change state
            if "{spare_assignment}" in template:
                await Assignment.delete().where(Assignment.reviewer == objects["idle_reviewer"])
                spare = await assign(objects["application_a"], objects["idle_reviewer"], objects["staff"])
                url = template.format(spare_assignment=spare)
            response = await client.post(url, {})
            want = expected(POST_MATRIX, template, persona)
            got = response.status_code
            if want == "input":
                got = "input" if got not in (401, 403, 404, 405) and got < 500 else got
            outcomes.append((template, persona, got))
            wanted.append((template, persona, want))
    mismatches = [(o, w[2]) for o, w in zip(outcomes, wanted) if o != w]
    assert not mismatches, "\n".join(map(str, mismatches))


async def test_every_route_is_in_the_matrix(portal):
    listed = {t for t in GET_MATRIX} | {t for t in POST_MATRIX} | PUBLIC_OR_SELF
    normalised = set()
    for template in listed:
        normalised.add(_shape(template))
    missing = []
    for route in portal.routes:
        if _shape(route.path) not in normalised:
            missing.append(route.path)
    assert missing == []


def _shape(path: str) -> str:
    """`/applications/{application_id:int}` and `/applications/{application_a}` both become `/applications/{}`."""
    import re

    return re.sub(r"\{[^}]+\}", "{}", path)


async def test_public_pages_answer_everyone(as_persona, objects):
    for persona in PERSONA_KEYS:
        client = await as_persona(persona)
        for url in ("/programs", "/programs/healthy-babies"):
            assert (persona, url, (await client.get(url)).status_code) == (persona, url, OK)
        assert (persona, (await client.get("/programs/no-such-program")).status_code) == (persona, 404)
