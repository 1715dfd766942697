"""get_application_for: who may view, edit, submit and manage an application (called directly, both engines)."""

from __future__ import annotations

import pytest

from portal.accounts.sessions import load_principal
from portal.applications.access import get_application_for
from portal.core.errors import Forbidden, NotFound

EXPECTED = {  # persona -> need -> "ok" | 403 | 404, on city A's submitted application (owner: applicant)
    "applicant": {"view": "ok", "team": "ok", "edit": "ok", "manage": "ok", "submit": "ok", "staff": 403},
    "colleague": {"view": "ok", "team": "ok", "edit": 403, "manage": 403, "submit": 403, "staff": 403},
    "stranger": {"view": 404, "team": 404, "edit": 404, "manage": 404, "submit": 404, "staff": 404},
    "reviewer": {"view": "ok", "team": 403, "edit": 403, "manage": 403, "submit": 403, "staff": 403},
    "idle_reviewer": {"view": 404, "team": 404, "edit": 404, "manage": 404, "submit": 404, "staff": 404},
    "other_reviewer": {"view": 404, "team": 404, "edit": 404, "manage": 404, "submit": 404, "staff": 404},
    "funder": {"view": 404, "team": 404, "edit": 404, "manage": 404, "submit": 404, "staff": 404},
    "staff": {"view": "ok", "team": "ok", "edit": 403, "manage": 403, "submit": 403, "staff": "ok"},
    "admin": {"view": "ok", "team": "ok", "edit": 403, "manage": 403, "submit": 403, "staff": "ok"},
}


async def outcome(user, application_id: int, need: str):
    try:
        application = await get_application_for(user, application_id, need)
    except NotFound:
        return 404
    except Forbidden:
        return 403
    assert application.id == application_id
    assert isinstance(application.answers, dict)
    assert application.program.id == application.program_id
    return "ok"


async def test_get_application_for_every_persona_and_need(world):
    for persona, needs in EXPECTED.items():
        user = await load_principal(world[persona])
        for need, expected in needs.items():
            assert (persona, need, await outcome(user, world["application_a"], need)) == (persona, need, expected)


async def test_get_application_for_anonymous_and_missing_is_404(world):
    user = await load_principal(world["applicant"])
    assert await outcome(None, world["application_a"], "view") == 404
    assert await outcome(user, 999_999, "view") == 404


async def test_get_application_for_unknown_need_is_a_bug(world):
    user = await load_principal(world["applicant"])
    with pytest.raises(ValueError):
        await get_application_for(user, world["application_a"], "delete")
