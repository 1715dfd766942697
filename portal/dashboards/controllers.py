"""The signed-in home page: each domain contributes a section for the roles it serves."""

from __future__ import annotations

from litestar import Response, get

from portal.applications import dashboard as applications
from portal.awards import dashboard as awards
from portal.dashboards import funders
from portal.reporting import dashboard as reporting
from portal.reviews import dashboard as reviews
from portal.staff import dashboard as staff
from portal.web.auth import current_user
from portal.web.render import render
from portal.web.sessions import PortalRequest

# In page order: staff work, then the applicant's, reviews, reports due, awards, and funding.
SECTIONS = [staff, applications, reviews, reporting, awards, funders]


@get("/dashboard", name="dashboards:home")
async def dashboard(request: PortalRequest) -> Response[str]:
    user = current_user(request)
    sections = [s for s in [await module.section(user) for module in SECTIONS] if s is not None]
    return render(request, "dashboards/home.html", {"me": user, "sections": sections})


ROUTES = [dashboard, *funders.ROUTES]
