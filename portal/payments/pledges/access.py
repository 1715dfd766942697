"""A funder's pledge to a program, loaded with the check that the user may see it."""

from __future__ import annotations

from typing import Any

from portal.core.actor import Principal
from portal.core.errors import NotFound
from portal.dashboards.queries import get_funded_program_for
from portal.payments.ledger import queries as ledger
from portal.programs.tables import Program, ProgramFunder


async def get_pledge_for(user: Principal, program_id: int) -> dict[str, Any]:
    """The user's funder's pledge to the program: the program (403 for a non-funder, 404 for a program none of
    the user's funders funds), the pledge's figures (pledged, received, pending), what is outstanding, the
    program's ledger totals and its contact address (how to pay without the card form)."""
    program = await get_funded_program_for(user, program_id)
    row = await ProgramFunder.select(ProgramFunder.funder).where(
        (ProgramFunder.program == program_id) & ProgramFunder.funder.is_in(user.funder_ids or [0])
    ).order_by(ProgramFunder.id).first()
    if row is None:
        raise NotFound()
    pledge = (await ledger.funder_rows(program_id=program_id, funder_id=row["funder"]))[0]
    contact = await Program.select(Program.contact_email).where(Program.id == program_id).first()
    return {"program": program, "pledge": pledge, "funder_id": row["funder"],
            "figures": program["ledger"],  # the program's ledger totals, read once by get_funded_program_for
            "contact_email": (contact or {}).get("contact_email") or "",
            "outstanding_cents": max(pledge["pledged_cents"] - pledge["received_cents"] - pledge["pending_cents"], 0)}
