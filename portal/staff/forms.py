"""Validation of the staff forms: inviting reviewers and funders, assigning a reviewer, the grace period."""

from __future__ import annotations

from typing import Any

from portal.accounts.forms import clean_email
from portal.applications.rules import MAX_GRACE_MINUTES
from portal.core.errors import Invalid
from portal.web.forms import text

INVITABLE_ROLES = {"reviewer": "Reviewer on this program", "funder": "Funder (a person at one of the program's funders)"}


def invitation(data: dict[str, Any], funder_ids: list[int]) -> dict[str, Any]:
    """{"email", "role", "funder_id"}; raises Invalid with every error. A funder must be one of the program's."""
    errors: dict[str, str] = {}
    email = clean_email(text(data, "email", 400))
    role = text(data, "role", 20)
    funder_id: int | None = None
    if email is None:
        errors["email"] = "Enter an email address like name@example.org."
    if role not in INVITABLE_ROLES:
        errors["role"] = "Choose reviewer or funder."
    elif role == "funder":
        raw = text(data, "funder_id", 20)
        funder_id = int(raw) if raw.isdigit() else None
        if funder_id not in funder_ids:
            errors["funder_id"] = "Choose which of the program's funders this person works for."
    if errors:
        raise Invalid(errors)
    return {"email": email, "role": role, "funder_id": funder_id}


def assignment(data: dict[str, Any]) -> int:
    """The chosen reviewer's user id; whether they may review is the service's decision."""
    raw = text(data, "reviewer", 20)
    if not raw.isdigit():
        raise Invalid({"reviewer": "Choose a reviewer."})
    return int(raw)


def grace_period(data: dict[str, Any]) -> int:
    """Minutes, 0 to MAX_GRACE_MINUTES; Invalid otherwise."""
    raw = text(data, "grace_minutes", 12)
    if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_GRACE_MINUTES:
        raise Invalid({"grace_minutes": f"Enter a whole number of minutes from 0 to {MAX_GRACE_MINUTES} (24 hours)."})
    return int(raw)
