"""A funder's pledge to a program, loaded with the check that the user may see it."""

from __future__ import annotations

from typing import Any

from portal.core.actor import Principal
from portal.core.errors import Forbidden, NotFound
from portal.payments.ledger import queries as ledger
from portal.programs.tables import Program, ProgramFunder


async def get_pledge_for(user: Principal, program_id: int) -> dict[str, Any]:
    """The user's funder's pledge to the program: the program (403 for a non-funder, 404 for a program none of
    the user's funders funds, whether or not it exists), the pledge's figures (pledged, received, pending), what is
    outstanding, the program's ledger totals and its contact address (how to pay without the card form)."""
    if not user.is_funder:
        raise Forbidden("This page is for the funders of a program.")
    row = await ProgramFunder.select(ProgramFunder.funder).where(
        (ProgramFunder.program == program_id) & ProgramFunder.funder.is_in(user.funder_ids)
    ).order_by(ProgramFunder.id).first()
    if row is None:
        raise NotFound()
    program = await Program.select(Program.id, Program.title, Program.contact_email).where(
        Program.id == program_id).first()
    if program is None:  # deleted since its pledge was read
        raise NotFound()
    pledge = (await ledger.funder_rows(program_id=program_id, funder_id=row["funder"]))[0]
    return {"program": program, "pledge": pledge, "funder_id": row["funder"],
            "figures": (await ledger.program_ledger(program_id))["totals"],
            "contact_email": program["contact_email"] or "",
            "outstanding_cents": max(pledge["pledged_cents"] - pledge["received_cents"] - pledge["pending_cents"], 0)}
