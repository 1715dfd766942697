"""Application teams: members written directly, the team personas, and eligibility specs for tests."""

from __future__ import annotations

from typing import Any

from portal.applications.tables import TeamMember
from portal.core import clock
from portal.programs.tables import Program
from tests.factories import add_member, make_user

# On city A's application (owner: the world's applicant): an editor and a viewer from outside the city, and
# the mayor, a member of city A and an editor on the team, named the authorised signer.
TEAM_PERSONAS = {
    "editor": "editor@partner.org",
    "viewer": "viewer@partner.org",
    "signer": "mayor@springfield.gov",
}


async def add_team_member(application_id: int, user_id: int, role: str, *, signer: bool = False) -> int:
    rows = await TeamMember.insert(TeamMember(application=application_id, user=user_id, role=role, is_signer=signer,
                                              created_at=clock.now())).returning(TeamMember.id)
    return rows[0]["id"]


async def build_team(world: Any, application_key: str = "application_a") -> dict[str, int]:
    """The team personas on the world's application (their user ids by persona key)."""
    ids = {key: await make_user(email) for key, email in TEAM_PERSONAS.items()}
    await add_member(ids["signer"], world["city_a"], "member")
    await add_team_member(world[application_key], ids["editor"], "editor")
    await add_team_member(world[application_key], ids["viewer"], "viewer")
    await add_team_member(world[application_key], ids["signer"], "editor", signer=True)
    return ids


ELIGIBILITY: dict[str, Any] = {
    "questions": [
        {"key": "municipal", "type": "yes_no", "label": "Is the applicant a municipal government?"},
        {"key": "population", "type": "number", "label": "Population"},
        {"key": "state", "type": "select", "label": "State", "options": [
            {"value": "IL", "label": "Illinois"}, {"value": "WI", "label": "Wisconsin"},
            {"value": "TX", "label": "Texas"}]},
        {"key": "focus", "type": "select", "label": "Main focus", "options": [
            {"value": "screening", "label": "Developmental screening"}, {"value": "diapers", "label": "Diaper bank"}]},
    ],
    "rules": [
        {"question": "municipal", "equals": "yes", "reason": "Only municipal governments may apply."},
        {"question": "population", "min": 10_000, "reason": "The city must have at least 10,000 residents."},
        {"question": "population", "max": 1_000_000, "reason": "The city must have at most 1,000,000 residents."},
        {"question": "state", "in": ["IL", "WI"], "reason": "Only cities in Illinois and Wisconsin may apply."},
    ],
    "prefill": {"focus": "focus", "population": "families"},
}


async def set_eligibility(program_id: int, spec: dict[str, Any] | None = None) -> None:
    await Program.update({Program.eligibility: ELIGIBILITY if spec is None else spec}).where(Program.id == program_id)
