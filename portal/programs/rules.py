"""Rules about programs: is it open, who runs it, how long is left before a deadline."""

from __future__ import annotations

from datetime import datetime, timedelta

from portal.core import clock
from portal.core.actor import Principal
from portal.programs.records import Schedule

PAID_OFFER_KINDS = frozenset({"cash", "travel"})
"""Offer kinds whose award amount is money paid to the city; a cohort seat or technical-assistance hours pay
nothing (their amount is the value counted against the budget). Awards (terms.py) and the payments ledger both
read it here, the lower domain."""

COUNTDOWN_FROM = timedelta(days=7)
"""A deadline shows its countdown in its last 7 days (the first reminder goes then: applications/rules.py)."""


def is_accepting(program: Schedule, at: datetime | None = None) -> bool:
    """The server clock decides: open status, and opens_at <= now < deadline_at."""
    at = at or clock.now()
    return (
        program.status == "open"
        and clock.as_utc(program.opens_at) <= at < clock.as_utc(program.deadline_at)
    )


def can_manage_program(user: Principal | None, network: int) -> bool:
    """Staff of the network that runs the program (`program.network`), and admins."""
    if user is None:
        return False
    return user.is_admin or network in user.network_ids


def time_left(deadline: datetime, at: datetime) -> str:
    """ "2 days 3 hours left", "3 hours 5 minutes left", "4 minutes left"; "" once the deadline has passed."""
    seconds = int((deadline - at).total_seconds())
    if seconds <= 0:
        return ""
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes = max(1, rest // 60) if not (days or hours) else rest // 60

    def unit(n: int, name: str) -> str:
        return f"{n} {name}{'' if n == 1 else 's'}"

    if days:
        parts = [unit(days, "day")] + ([unit(hours, "hour")] if hours else [])
    elif hours:
        parts = [unit(hours, "hour")] + ([unit(minutes, "minute")] if minutes else [])
    else:
        parts = [unit(minutes, "minute")]
    return " ".join(parts) + " left"


def countdown(deadline: datetime, at: datetime) -> str:
    """The countdown shown in the last 7 days before a deadline (a program's, or an application's own), or ""."""
    return time_left(deadline, at) if timedelta(0) < deadline - at <= COUNTDOWN_FROM else ""
