"""Who reaches a panel's staff pages (ranking, reviewer statistics, meeting): the program's staff and admins.

People who take part in the program otherwise (its reviewers, its funders, members of cities that applied to
it and members of those applications' teams) get Forbidden; everyone else NotFound, as for any object they have
no part in.
"""

from __future__ import annotations

from portal.applications.tables import Application
from portal.applications.tables import TeamMember
from portal.core.actor import Principal
from portal.core.errors import Forbidden, NotFound
from portal.programs.rules import can_manage_program
from portal.programs.tables import Program, ProgramFunder
from portal.reviews import queries
from portal.reviews.records import ApplicationSummary, PanelProgram

FORBIDDEN = "The panel's ranking and meeting are for the program's staff."


async def takes_part(user: Principal, program_id: int) -> bool:
    """A reviewer, funder, applicant city member or application team member of the program."""
    if program_id in user.reviewer_programs:
        return True
    if user.funder_ids and await ProgramFunder.exists().where(
            (ProgramFunder.program == program_id) & ProgramFunder.funder.is_in(user.funder_ids)):
        return True
    if user.city_ids and await Application.exists().where(
            (Application.program == program_id) & Application.organisation.is_in(user.city_ids)):
        return True
    return await TeamMember.exists().where((TeamMember.user == user.id)
                                           & (TeamMember.application.program == program_id))


async def get_program_for_panel_staff(user: Principal, program_id: int) -> PanelProgram:
    """The program (with its panel under "panel", None without one) if `user` runs it."""
    row = await Program.select(Program.id, Program.title, Program.slug, Program.status, Program.network,
                                   Program.timezone).where(Program.id == program_id).first()
    if row is None:
        raise NotFound()
    if not can_manage_program(user, row["network"]):
        if await takes_part(user, program_id):
            raise Forbidden(FORBIDDEN)
        raise NotFound()
    return PanelProgram(**row, panel=await queries.get_panel(program_id))


async def get_meeting_application(program: PanelProgram, application_id: int) -> ApplicationSummary:
    """An application of the program that the panel ranks (submitted or later); NotFound otherwise."""
    if program.panel is None:
        raise NotFound()
    row = await Application.select(Application.id, Application.title, Application.status).where(
        (Application.id == application_id) & (Application.program == program.id)
        & Application.status.is_in(list(queries.REVIEWABLE_STATUSES))).first()
    if row is None:
        raise NotFound()
    return ApplicationSummary(**row)
