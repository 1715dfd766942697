"""State changes of the program staff's desk. Each says what it writes; reviewer assignment lives in
portal/reviews/services.py."""

from __future__ import annotations

from typing import Any

from portal.accounts import services as accounts
from portal.applications.rules import MAX_GRACE_MINUTES
from portal.core import audit
from portal.core.actor import Actor
from portal.db import write_transaction
from portal.programs.records import ProgramRecord
from portal.programs.tables import Program
from portal.reviews.panels import services as panel_services


async def invite_to_program(actor: Actor, program: ProgramRecord, email: str, role: str, funder_id: int | None,
                            public_url: str) -> int:
    """Invite `email` as a reviewer on `program`, or as a funder user of one of its funders (`funder_id`,
    already checked against the program's funders). Writes (through accounts.services.invite): invitation;
    audit `invitation.sent`; email `invitation` naming the program (and its panel and due date)."""
    context = {"program_title": program.title}
    if role == "reviewer":  # naming the program's review panel and its due date, if it has one
        return await panel_services.invite_reviewer(actor, program, email, public_url)
    return await accounts.invite(actor, email, "funder", public_url, organisation_id=funder_id,
                                 program_id=program.id, context=context)


async def set_grace_period(actor: Actor, program_id: int, minutes: int) -> None:
    """How long after its deadline the program still takes submissions (0 to 24 hours; the server clock
    decides, see applications/rules.py: effective_deadline). Writes program.grace_minutes; audit
    `program.grace_period_set` with the old and new value."""
    if not 0 <= minutes <= MAX_GRACE_MINUTES:
        raise ValueError(f"grace period out of range: {minutes}")
    async with write_transaction():
        row = await Program.select(Program.grace_minutes).where(Program.id == program_id).first()
        await Program.update({Program.grace_minutes: minutes}).where(Program.id == program_id)
        await audit.record(actor, "program.grace_period_set", "program", program_id,
                           previous=row["grace_minutes"] if row else None, minutes=minutes)
