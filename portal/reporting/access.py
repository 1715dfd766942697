"""Loading a report with its access check: the grantee city fills it in, the program's staff read it."""

from __future__ import annotations

from portal.core.actor import Principal
from portal.core.errors import Forbidden, NotFound
from portal.reporting import queries
from portal.reporting.records import ReportDetail

GRANTEE_ROLES = frozenset({"owner", "member"})


def rights_of(user: Principal, report: ReportDetail) -> set[str]:
    """What `user` may do with the report: "view", "edit" (the grantee city's members), "staff" (the program's)."""
    rights: set[str] = set()
    if user.org_roles.get(report.city_id) in GRANTEE_ROLES:
        rights |= {"view", "edit"}
    if user.is_admin or report.network_id in user.network_ids:
        rights |= {"view", "staff"}
    return rights


async def get_report_for(user: Principal | None, report_id: int, need: str = "view") -> ReportDetail:
    """The report (with its award's city and program) if `user` may `need` it ("view" | "edit" | "staff");
    NotFound for strangers, Forbidden for those who may only view. What else they may do: `rights_of`."""
    report = await queries.get_report(report_id) if user is not None else None
    if report is None or user is None:
        raise NotFound()
    rights = rights_of(user, report)
    if "view" not in rights:
        raise NotFound()
    if need not in rights:
        raise Forbidden("Only members of the grantee city can fill in this report.")
    return report
