"""Validation of an extension of one application's deadline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from portal.applications.forms import reason_input
from portal.core import clock
from portal.core.errors import Invalid
from portal.web.forms import text


def extension(data: dict[str, Any], timezone: str, now: datetime) -> tuple[datetime, str]:
    """(the new deadline in UTC, the reason). The deadline is typed as a date and time in the program's time
    zone (an <input type="datetime-local">) and must be in the future; Invalid with every error at once."""
    errors: dict[str, str] = {}
    raw = text(data, "deadline", 40)
    deadline = None
    try:
        local = datetime.fromisoformat(raw) if raw else None
    except ValueError:
        local = None
    if local is None or local.tzinfo is not None or not 2000 <= local.year <= 2100:
        errors["deadline"] = "Enter the new deadline as a date and time, like 2026-12-31 17:00."
    else:
        deadline = clock.as_utc(local.replace(tzinfo=clock.zone(timezone)))
        if deadline <= now:
            errors["deadline"] = "The new deadline must be in the future."
    try:
        reason = reason_input(data, "extension")
    except Invalid as exc:
        errors |= exc.errors
        reason = ""
    if errors:
        raise Invalid(errors)
    assert deadline is not None
    return deadline, reason
