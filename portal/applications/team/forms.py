"""Reading the team page's forms and the signature typed at submission."""

from __future__ import annotations

from typing import Any

from portal.accounts.forms import clean_email
from portal.applications.signing import ATTEST_FIELD, MAX_NAME_CHARS, NAME_FIELD, Attestation, attestation_text
from portal.applications.team.services import TEAM_ROLES
from portal.core.errors import Invalid
from portal.web.forms import text

TRUE_VALUES = frozenset({"on", "yes", "true", "1"})


def invitation_input(data: dict[str, Any]) -> tuple[str, str]:
    """(email, role) of the invite form; Invalid with every problem at once."""
    errors: dict[str, str] = {}
    email = clean_email(text(data, "email", 400))
    role = text(data, "role", 20)
    if email is None:
        errors["email"] = "Enter an email address like name@city.gov."
    if role not in TEAM_ROLES:
        errors["role"] = "Choose editor or viewer."
    if errors:
        raise Invalid(errors)
    return email or "", role


def role_input(data: dict[str, Any]) -> str:
    role = text(data, "role", 20)
    if role not in TEAM_ROLES:
        raise Invalid({"role": "Choose editor or viewer."})
    return role


def user_id_input(data: dict[str, Any], key: str) -> int:
    raw = text(data, key, 12)
    if not raw.isdigit() or int(raw) > 2**31 - 1:
        raise Invalid({key: "Choose a person from the list."})
    return int(raw)


def attestation_input(data: dict[str, Any], city_name: str) -> Attestation:
    """What the signer typed and ticked on the submit form (checked against their name by the service)."""
    return Attestation(typed_name=text(data, NAME_FIELD, MAX_NAME_CHARS),
                       attested=text(data, ATTEST_FIELD, 10).lower() in TRUE_VALUES,
                       text=attestation_text(city_name))
