"""Loading an application with its access check in one step; every domain that shows one imports this.

Who may do what (`need`), see docs/teams.md:
- view:   the application's team (owner, editors, viewers), the applying city's other members (colleagues),
          the program's staff (and admins), a reviewer assigned to it unless conflicted on it (found or
          declared, portal/reviews/conflicts/queries.py: then NotFound, as for a stranger);
- team:   see the team page: everyone who may view it except reviewers (names identify the city);
- edit:   the owner (who started it) and editors (drafts only: the services check the status);
- manage: the owner: invite, change roles, remove, name the signer;
- submit: the authorised signer only: the member named signer, or the owner when nobody is named;
- staff:  the program's staff and admins.
Strangers get NotFound (they may not learn it exists); someone who may view it but lacks `need` gets
Forbidden, with a message saying who may.

`blind` (set on the loaded application) is True only for a reviewer who sees it through an assignment and
whose panel is blind (portal/applications/blind.py): pages, files and exports then hide identifying values.
"""

from __future__ import annotations

import msgspec

from portal.applications import queries
from portal.applications.records import ApplicationForUser, ApplicationRecord, ApplicationWithCity, TeamPlace
from portal.applications.tables import Application
from portal.core.actor import Principal
from portal.core.errors import Forbidden, NotFound
from portal.applications.blind import panel_is_blind
from portal.programs import queries as programs
from portal.programs.records import ProgramRecord
from portal.reviews.conflicts.queries import is_conflicted
from portal.reviews.tables import Assignment

NEEDS = frozenset({"view", "team", "edit", "manage", "submit", "staff"})
TEAM_EDIT_ROLES = frozenset({"owner", "editor"})

FORBIDDEN_MESSAGES = {
    "edit": "Only the application's owner and editors can change it. Ask its owner to add you as an editor.",
    "manage": "Only the application's owner can change its team.",
    "submit": "Only the authorised signer can submit this application.",
    "staff": "Only the program's staff can do this.",
    "team": "Only the applying city and the program's staff can see who works on this application.",
    "view": "You cannot see this application.",
}


async def load_application(application_id: int) -> ApplicationWithCity | None:
    """The application with the city's name, or None."""
    row = await Application.select(
        *Application.all_columns(),
        Application.organisation._.name.as_alias("organisation_name"),
    ).where(Application.id == application_id).first()
    return ApplicationWithCity.of(row) if row else None


def rights_of(user: Principal, application: ApplicationRecord, program: ProgramRecord, assigned: bool,
              team_role: str | None = None, signer_id: int | None = None) -> set[str]:
    """The needs `user` has on the application (to `program`). `team_role` is the user's role on its team (editor |
    viewer) and `signer_id` the named signer (None: the owner signs), both from queries.team_position."""
    rights: set[str] = set()
    if application.created_by == user.id:
        team_role = "owner"
    role = user.org_roles.get(application.organisation)
    if role is not None and user.org_kinds.get(application.organisation) == "city":
        rights |= {"view", "team"}  # colleagues in the applying city may read it
    if team_role is not None:
        rights |= {"view", "team"}
    if team_role in TEAM_EDIT_ROLES:
        rights.add("edit")
        if user.id == (signer_id or application.created_by):
            rights.add("submit")
    if team_role == "owner":
        rights.add("manage")
    if user.is_admin or program.network in user.network_ids:
        rights |= {"view", "team", "staff"}
    if assigned:
        rights.add("view")
    return rights


async def is_assigned(user_id: int, application_id: int) -> bool:
    return await Assignment.exists().where(
        (Assignment.application == application_id) & (Assignment.reviewer == user_id))


async def get_application_for(user: Principal | None, application_id: int, need: str) -> ApplicationForUser:
    """The application (`organisation_name`, `rights`: the needs `user` has, `blind`) with its program under
    `program` (its id under `program_id`) and `team` (the user's role on the team, the signer's id and name), if
    `user` may `need` it; NotFound for strangers, Forbidden for those who may see it but lack `need`."""
    if need not in NEEDS:
        raise ValueError(f"unknown need {need!r}")
    if user is None:
        raise NotFound()
    application = await load_application(application_id)
    if application is None:
        raise NotFound()
    program = await programs.get_program(application.program)
    if program is None:
        raise NotFound()
    team_role, signer_id = await queries.team_position(application_id, user.id)
    rights = rights_of(user, application, program, False, team_role, signer_id)
    blind = False
    if not rights and await is_assigned(user.id, application_id):
        if await is_conflicted(user.id, application_id):
            raise NotFound()  # an assignment row does not outweigh a conflict of interest
        rights = rights_of(user, application, program, True, team_role, signer_id)
        blind = await panel_is_blind(program.id)
    if "view" not in rights:
        raise NotFound()
    signer = signer_id or application.created_by
    if need not in rights:
        if need == "submit" and "team" in rights:
            raise Forbidden(f"Only {await queries.user_name(signer)}, the authorised signer, can submit this "
                            "application. The owner can name another signer on the team page.")
        raise Forbidden(FORBIDDEN_MESSAGES[need])
    team = TeamPlace(role="owner" if application.created_by == user.id else team_role, signer_id=signer,
                     signer_name=await queries.user_name(signer) if "team" in rights else "")
    columns = msgspec.structs.asdict(application) | {"program_id": application.program, "program": program}
    return ApplicationForUser(**columns, rights=tuple(sorted(rights)), blind=blind, team=team)

