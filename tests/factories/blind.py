"""Conflicted reviewers and a blind panel beside the world (tests/factories/__init__.py build_world).

- conflicted_reviewer (conflicted.reviewer@experts.org): on `panel`, assigned to application_a, with a conflict
  declared on it;
- domain_reviewer (expert@springfield.gov): on `panel`, assigned to application_a, conflicted by sharing city
  A's email domain (the row is written directly: the service would refuse it);
- blind_reviewer (blind.reviewer@experts.org): on the blind panel of a third program, `blind_program`, assigned
  to `blind_application`, a submitted application of Quillbrook Falls, VT whose identifying values are
  distinctive strings (BLIND_SECRETS) that appear nowhere else in the portal.
"""

from __future__ import annotations

import copy
from typing import Any

from portal.core import clock
from portal.core.storage import store
from portal.reviews.tables import ReviewConflict
from tests.factories import APPLICATION_SCHEMA, VALID_ANSWERS, add_member, assign, make_application, make_org, \
    make_program, make_user
from tests.factories.applications import PDF_BYTES, add_file
from tests.factories.reviews import add_panel_member, make_panel, write_review
from tests.factories.teams import add_team_member

REVIEW_PERSONAS = {
    "conflicted_reviewer": "conflicted.reviewer@experts.org",
    "domain_reviewer": "expert@springfield.gov",
    "blind_reviewer": "blind.reviewer@experts.org",
}

ORGANISATION = "Quillbrook Falls"
STATE = "VT"
CONTACT = "Zephyrine Okonkwo-Blackwood"
CONTACT_EMAIL = "zokonkwo@quillbrook-falls.gov"
PARTNER = "Marchetti Wetland Trust"  # an identifying part of a non-identifying group
TEAM_MEMBER = "Thaddeus Marchetti-Vance"
OWNER = "Ottoline Fairweather"
FILE_NAME = "quillbrook-budget-ledger.pdf"  # a file of a non-identifying field: listed, under a neutral name
LETTER_NAME = "okonkwo-signed-support-letter.pdf"  # a file of an identifying field: not listed at all
TITLE = "Rain gardens for school yards"
# Every identifying value of the blind application: none may reach its blind reviewer.
BLIND_SECRETS = (ORGANISATION, f"{ORGANISATION}, {STATE}", CONTACT, CONTACT_EMAIL, PARTNER, TEAM_MEMBER, OWNER,
                 FILE_NAME, LETTER_NAME, "quillbrook", "Okonkwo", "Marchetti")

BLIND_SCHEMA: dict[str, Any] = copy.deepcopy(APPLICATION_SCHEMA)
BLIND_SCHEMA["sections"][0]["fields"][-1:-1] = [
    {"key": "contact_email", "type": "email", "label": "Contact email", "identifying": True},
    {"key": "partners", "type": "group", "label": "Partners", "fields": [
        {"key": "name", "type": "short_text", "label": "Partner", "identifying": True},
        {"key": "role", "type": "short_text", "label": "Role"}]},
    {"key": "support_letter", "type": "file", "label": "Signed support letter", "identifying": True,
     "accept": ["application/pdf"]},
]
BLIND_ANSWERS = {**VALID_ANSWERS, "project_title": TITLE, "contact_name": CONTACT, "contact_email": CONTACT_EMAIL,
                 "partners": [{"name": PARTNER, "role": "Plants the gardens"}]}


async def build_review_cases(world: Any, files_dir: Any) -> dict[str, int]:
    """The personas and objects above (their ids by key); stored files are written under `files_dir`."""
    ids = {key: await make_user(email) for key, email in REVIEW_PERSONAS.items()}
    for key in ("conflicted_reviewer", "domain_reviewer"):
        await add_panel_member(world["panel"], world["program"], ids[key])
        ids[f"{key}_assignment"] = await assign(world["application_a"], ids[key], world["staff"])
    await ReviewConflict.insert(ReviewConflict(
        application=world["application_a"], reviewer=ids["conflicted_reviewer"], source="reviewer",
        reason="I advised the city on this project.", declared_by=ids["conflicted_reviewer"],
        declared_at=clock.now()))

    ids["blind_program"] = await make_program(world["network"], "blind-review-fund", schema=BLIND_SCHEMA)
    ids["blind_panel"] = await make_panel(ids["blind_program"], blind=True, members=[ids["blind_reviewer"]])
    ids["blind_city"] = await make_org("city", ORGANISATION, state=STATE, domain="quillbrook-falls.gov")
    ids["blind_owner"] = await make_user("owner@quillbrook-falls.gov", OWNER)
    ids["blind_member"] = await make_user("tmv@quillbrook-falls.gov", TEAM_MEMBER)
    await add_member(ids["blind_owner"], ids["blind_city"], "owner")
    ids["blind_application"] = await make_application(ids["blind_program"], ids["blind_city"], ids["blind_owner"],
                                                      status="submitted", answers=BLIND_ANSWERS)
    await add_team_member(ids["blind_application"], ids["blind_member"], "editor")
    for key, field_key, name in (("blind_file", "budget_file", FILE_NAME),
                                 ("blind_letter", "support_letter", LETTER_NAME)):
        stored = store(files_dir, "applications", PDF_BYTES, "application/pdf")
        ids[key] = await add_file(ids["blind_application"], ids["blind_owner"], field_key=field_key, name=name,
                                  stored_name=stored.stored_name)
    ids["blind_assignment"] = await assign(ids["blind_application"], ids["blind_reviewer"], world["staff"])
    await write_review(ids["blind_assignment"], ids["blind_program"], [4, 5],
                       comment="=HYPERLINK(\"http://evil.example\")")
    return ids
