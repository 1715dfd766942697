"""Who may run a program: the access check of every staff page about one program (the staff area, panels,
decisions, letters, the ledger).

Program staff are staff members of the network that runs a program (and administrators). Anyone signed in
who is not staff anywhere gets Forbidden on every staff page, before anything is loaded (so the answer says
nothing about what exists); staff of another network get NotFound for this network's programs.
"""

from __future__ import annotations

from portal.core.actor import Principal
from portal.core.errors import Forbidden, NotFound
from portal.programs import queries
from portal.programs.records import ProgramRecord
from portal.programs.rules import can_manage_program


def require_staff(user: Principal) -> None:
    if not user.is_staff:
        raise Forbidden("This page is for program staff.")


async def get_program_for_staff(user: Principal, program_id: int) -> ProgramRecord:
    """The program if `user` runs it: Forbidden for non-staff, NotFound for other networks' staff."""
    require_staff(user)
    program = await queries.get_program(program_id)
    if program is None or not can_manage_program(user, program.network):
        raise NotFound()
    return program
