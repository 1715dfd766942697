"""State changes of the program staff area. Each says what it writes; reviewer assignment lives in
portal/reviews/services.py."""

from __future__ import annotations

from typing import Any

from portal.accounts import services as accounts
from portal.core.actor import Actor


async def invite_to_program(actor: Actor, program: dict[str, Any], email: str, role: str, funder_id: int | None,
                            public_url: str) -> int:
    """Invite `email` as a reviewer on `program`, or as a funder user of one of its funders (`funder_id`,
    already checked against the program's funders). Writes (through accounts.services.invite): invitation;
    audit `invitation.sent`; email `invitation` naming the program."""
    context = {"program_title": program["title"]}
    if role == "reviewer":
        return await accounts.invite(actor, email, "reviewer", public_url, program_id=program["id"], context=context)
    return await accounts.invite(actor, email, "funder", public_url, organisation_id=funder_id,
                                 program_id=program["id"], context=context)
