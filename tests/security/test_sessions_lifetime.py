"""Finding 9: a session ends at an absolute age however often it is used (besides the idle limit), and the app
sends HSTS in production (configurable), never in development or the demo, which run on plain http."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from portal.accounts.tables import Session
from portal.settings import SettingsError, load_settings
from tests.factories import PASSWORD, PERSONAS

KEY = "k" * 40


async def age_sessions(by: timedelta) -> None:
    """Make every session older, as if it had been started `by` earlier (and used ever since)."""
    for row in await Session.select(Session.id, Session.created_at):
        await Session.update({Session.created_at: row["created_at"] - by}).where(Session.id == row["id"])


async def test_sessions_end_at_their_maximum_age_however_recently_used(portal, world, client):
    await client.login(PERSONAS["applicant"], PASSWORD)
    hours = portal.state.settings.session_max_hours
    await age_sessions(timedelta(hours=hours) - timedelta(minutes=5))
    assert (await client.get("/dashboard")).status_code == 200  # used just now: the idle limit is far away
    await age_sessions(timedelta(minutes=10))
    response = await client.get("/dashboard")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


def test_sessions_maximum_age_is_a_setting_no_shorter_than_the_idle_limit(tmp_path):
    base = {"PORTAL_DATA_DIR": str(tmp_path)}
    assert load_settings(base).session_max_hours == 24
    assert load_settings({**base, "SESSION_MAX_HOURS": "8", "SESSION_HOURS": "2"}).session_max_hours == 8
    with pytest.raises(SettingsError, match="SESSION_MAX_HOURS"):
        load_settings({**base, "SESSION_MAX_HOURS": "4", "SESSION_HOURS": "12"})


def test_sessions_hsts_is_on_in_production_and_off_in_development(tmp_path):
    production = {"PORTAL_DATA_DIR": str(tmp_path), "PORTAL_ENV": "production", "PORTAL_SECRET_KEY": KEY,
                  "PORTAL_PUBLIC_URL": "https://grants.example.org"}
    assert load_settings(production).hsts_seconds == 31536000
    assert load_settings({**production, "HSTS_SECONDS": "0"}).hsts_seconds == 0
    assert load_settings({"PORTAL_DATA_DIR": str(tmp_path)}).hsts_seconds == 0


async def test_sessions_hsts_header_is_sent_when_configured(portal, client):
    assert "strict-transport-security" not in (await client.get("/login")).headers
    original = portal.state.settings
    portal.state.settings = dataclasses.replace(original, hsts_seconds=31536000)
    try:
        response = await client.get("/login")
    finally:
        portal.state.settings = original
    assert response.headers["strict-transport-security"] == "max-age=31536000"
