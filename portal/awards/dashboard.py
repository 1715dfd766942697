"""This domain's part of the signed-in dashboard (see portal/dashboards/controllers.py)."""

from __future__ import annotations

from typing import Any

from portal.awards import queries
from portal.core.actor import Principal


async def section(user: Principal) -> tuple[str, dict[str, Any]] | None:
    """A city member's awards, with their letters; nothing for users of no city or cities with no award."""
    cities = [org for org in user.city_ids if user.org_roles.get(org) in {"owner", "member"}]
    awards = await queries.list_awards_for_cities(cities)
    if not awards:
        return None
    return "awards/_dashboard.html", {"awards": awards}
