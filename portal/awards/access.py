"""Loading an award with its access check in one step."""

from __future__ import annotations

from portal.awards import queries, rules
from portal.awards.records import AwardDetail
from portal.core.actor import Principal
from portal.core.errors import Forbidden, NotFound


async def get_award_for(user: Principal, award_id: int, need: str = "view") -> AwardDetail:
    """The award if `user` may `need` it ("view" | "manage"); NotFound for strangers, Forbidden for the
    grantee asking to manage."""
    award = await queries.get_award(award_id)
    if award is None or not rules.can_view_award(user, award):
        raise NotFound()
    if need == "manage" and not rules.can_manage_award(user, award):
        raise Forbidden("Only the program's staff can change this award.")
    return award
