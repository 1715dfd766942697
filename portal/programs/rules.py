"""Rules about programs: is it open, who runs it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from portal.core import clock
from portal.core.actor import Principal

PAID_OFFER_KINDS = frozenset({"cash", "travel"})
"""Offer kinds whose award amount is money paid to the city; a cohort seat or technical-assistance hours pay
nothing (their amount is the value counted against the budget). Awards (terms.py) and the payments ledger both
read it here, the lower domain."""


def is_accepting(program: dict[str, Any], at: datetime | None = None) -> bool:
    """The server clock decides: open status, and opens_at <= now < deadline_at."""
    at = at or clock.now()
    return (
        program["status"] == "open"
        and clock.as_utc(program["opens_at"]) <= at < clock.as_utc(program["deadline_at"])
    )


def can_manage_program(user: Principal | None, program: dict[str, Any]) -> bool:
    """Staff of the network that runs the program (and admins)."""
    if user is None:
        return False
    return user.is_admin or program["network"] in user.network_ids
