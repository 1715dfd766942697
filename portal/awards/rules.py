"""Who may see and manage an award: the same predicates the pages and the server use."""

from __future__ import annotations

from portal.awards.records import AwardAcceptanceRecord, AwardDetail
from portal.core.actor import Principal


def is_grantee_member(user: Principal | None, award: AwardDetail) -> bool:
    """An owner or member of the city the award was made to."""
    return user is not None and user.org_roles.get(award.city_id) in {"owner", "member"}


def can_manage_award(user: Principal | None, award: AwardDetail) -> bool:
    """Staff of the network that runs the award's program, and admins."""
    return user is not None and (user.is_admin or award.network_id in user.network_ids)


def can_set_up_payouts(user: Principal | None, award: AwardDetail) -> bool:
    """An owner of the grantee city, for an award that pays money (portal/awards/terms.py): a cohort seat or
    technical assistance has nothing to pay out."""
    return user is not None and user.org_roles.get(award.city_id) == "owner" and award.terms.is_paid


def shown_status(award: AwardDetail, acceptance: AwardAcceptanceRecord | None) -> str:
    """The award's status as the pages show it, from the record that justifies it: accepted or declined only
    with the signer's `award_acceptance` row (its decision), offered otherwise. The stored `award.status` moves
    with that row in one transaction (portal/awards/acceptance/services.py); this keeps a page from saying "Accepted"
    beside "The city has not answered the award yet" should a row ever be written without the other."""
    return acceptance.decision if acceptance is not None else "offered"


def can_view_award(user: Principal | None, award: AwardDetail) -> bool:
    """The grantee city's members and the program's staff; nobody else learns the award exists."""
    return is_grantee_member(user, award) or can_manage_award(user, award)
