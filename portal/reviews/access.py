"""Loading an assignment with its access check: a reviewer reaches only their own."""

from __future__ import annotations

from typing import Any

from portal.core.actor import Principal
from portal.core.errors import NotFound
from portal.reviews import queries


async def get_assignment_for(user: Principal, assignment_id: int) -> dict[str, Any]:
    """The assignment if it is `user`'s own; NotFound for everyone else (other reviewers of the same program,
    staff and applicants included: staff see reviews on their own pages)."""
    assignment = await queries.get_assignment(assignment_id)
    if assignment is None or assignment["reviewer"] != user.id:
        raise NotFound()
    return assignment
