"""Loading an assignment with its access check: a reviewer reaches only their own, and never one they are
conflicted on."""

from __future__ import annotations

from portal.core.actor import Principal
from portal.core.errors import NotFound
from portal.reviews import queries
from portal.reviews.conflicts import queries as conflicts
from portal.reviews.records import ScoringAssignment


async def get_assignment_for(user: Principal, assignment_id: int) -> ScoringAssignment:
    """The assignment if it is `user`'s own and `user` is not conflicted on its application; NotFound for
    everyone else (other reviewers of the same program, staff and applicants included: staff see reviews on their
    own pages). A conflict found from the data or declared after the assignment was made hides the application
    too, even though the assignment row still exists: every /reviews/* route loads through here."""
    assignment = await queries.get_assignment(assignment_id)
    if assignment is None or assignment.reviewer != user.id:
        raise NotFound()
    if await conflicts.is_conflicted(user.id, assignment.application):
        raise NotFound()
    return assignment
