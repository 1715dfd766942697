"""Loading an application with its access check in one step; every domain that shows one imports this.

Who may do what (`need`):
- view:   the applicant city's members, the program's staff (and admins), a reviewer assigned to it;
- edit:   the applicant city's owners and members (drafts only: the services check the status);
- submit: the applicant city's owners and members;
- staff:  the program's staff and admins.
Strangers get NotFound (they may not learn it exists); someone who may view it but lacks `need` gets
Forbidden.
"""

from __future__ import annotations

import json
from typing import Any

from portal.applications.tables import Application
from portal.core.actor import Principal
from portal.core.errors import Forbidden, NotFound
from portal.programs import queries as programs
from portal.reviews.tables import Assignment

NEEDS = frozenset({"view", "edit", "submit", "staff"})
EDITOR_ROLES = frozenset({"owner", "member"})

FORBIDDEN_MESSAGES = {
    "edit": "Only members of the applying city can change this application.",
    "submit": "Only members of the applying city can submit this application.",
    "staff": "Only the program's staff can do this.",
    "view": "You cannot see this application.",
}


async def load_application(application_id: int) -> dict[str, Any] | None:
    """The application row with answers as a dict and the city's name, or None."""
    row = await Application.select(
        *Application.all_columns(),
        Application.organisation.name.as_alias("organisation_name"),
    ).where(Application.id == application_id).first()
    if row is None:
        return None
    if isinstance(row["answers"], str):
        row["answers"] = json.loads(row["answers"] or "{}")
    return row


def rights_of(user: Principal, application: dict[str, Any], program: dict[str, Any], assigned: bool) -> set[str]:
    """The needs `user` has on the application."""
    rights: set[str] = set()
    role = user.org_roles.get(application["organisation"])
    if role is not None and user.org_kinds.get(application["organisation"]) == "city":
        rights.add("view")
        if role in EDITOR_ROLES:
            rights |= {"edit", "submit"}
    if user.is_admin or program["network"] in user.network_ids:
        rights |= {"view", "staff"}
    if assigned:
        rights.add("view")
    return rights


async def is_assigned(user_id: int, application_id: int) -> bool:
    return await Assignment.exists().where(
        (Assignment.application == application_id) & (Assignment.reviewer == user_id))


async def get_application_for(user: Principal | None, application_id: int, need: str) -> dict[str, Any]:
    """The application (answers as a dict, `organisation_name`, `rights`: the needs `user` has) with its
    program under "program" (its id under "program_id"), if `user` may `need` it; NotFound for strangers, Forbidden for those who may see it but lack `need`."""
    if need not in NEEDS:
        raise ValueError(f"unknown need {need!r}")
    if user is None:
        raise NotFound()
    application = await load_application(application_id)
    if application is None:
        raise NotFound()
    program = await programs.get_program(application["program"])
    if program is None:
        raise NotFound()
    rights = rights_of(user, application, program, assigned=False)
    if not rights and await is_assigned(user.id, application_id):
        rights = rights_of(user, application, program, assigned=True)
    if "view" not in rights:
        raise NotFound()
    if need not in rights:
        raise Forbidden(FORBIDDEN_MESSAGES[need])
    application["rights"] = sorted(rights)  # for templates: show only what the server would allow
    application["program_id"] = application["program"]
    application["program"] = program
    return application

