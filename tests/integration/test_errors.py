"""Errors are HTML pages (fragments for htmx), never JSON or a trace; hostile input never yields a 500."""

from __future__ import annotations

import pytest
from litestar import get

from portal import db
from portal.app import create_app

HOSTILE_PATHS = [
    "/applications/abc",
    "/applications/99999999999999999999999",
    "/applications/9223372036854775808",
    "/applications/-1",
    "/awards/2147483648/letter.pdf",
    "/reports/0",
    "/reviews/1e9",
    "/programs/%00",
    "/programs/" + "a" * 5000,
    "/staff/programs/99999999999",
    "/funder/programs/99999999999999",
    "/applications/1/files/99999999999999",
    "/reset/%ff%fe",
    "/invitations/" + "x" * 3000,
    "/static/../portal/settings.py",
    "/vendor/htmx/../../package.json",
]


@pytest.mark.parametrize("persona", ["anonymous", "applicant", "staff", "admin"])
async def test_hostile_paths_answer_html_without_500(as_persona, persona):
    client = await as_persona(persona)
    for path in HOSTILE_PATHS:
        response = await client.get(path)
        assert (path, response.status_code < 500) == (path, True)
        if response.status_code >= 400:
            assert "text/html" in response.headers["content-type"], path
            assert "Traceback" not in response.text and '"status_code"' not in response.text, path


async def test_hostile_form_posts_answer_without_500(as_persona, world):
    client = await as_persona("applicant")
    bodies = [
        {"amount": "1e309", "families": "9" * 400, "start": "2027-02-30", "focus": ["a", "b"], "version": "x"},
        {"version": "99999999999999999999999", "project_title": "\u202e" + "😀" * 500},
        {"version": "-1", "attest": "\x00"},
    ]
    for body in bodies:
        response = await client.post(f"/applications/{world['application_b']}", body)
        assert response.status_code < 500
    # Bytes that are not UTF-8 (an encoded lone surrogate, a stray \xff) in a urlencoded body.
    raw = await client.http.post(f"/applications/{world['application_b']}", content=b"project_title=%ED%A0%80%FF&x=\xff",
                                 headers={"content-type": "application/x-www-form-urlencoded", "x-csrf-token": client.csrf})
    assert raw.status_code < 500
    stranger = await as_persona("stranger")
    for body in bodies:
        response = await stranger.post(f"/applications/{world['application_b']}", body)
        assert response.status_code < 500, body


async def test_unhandled_error_is_an_html_500_page(portal):
    @get("/explode")
    async def explode() -> str:
        raise RuntimeError("boom")

    app = create_app(portal.state.settings)  # a second app: it switches the current engine to its own
    app.register(explode)
    from tests.conftest import running
    from tests.support import Client

    try:
        async with running(app):  # its lifespan closes its connections (an open one would hang the run's exit)
            client = Client(app)
            response = await client.get("/explode")
            assert response.status_code == 500
            assert "text/html" in response.headers["content-type"]
            assert "boom" not in response.text and "Traceback" not in response.text
            assert "Something went wrong on our side" in response.text
            response = await client.http.get("/explode", headers={"HX-Request": "true"})
            assert response.status_code == 500
            assert response.headers["HX-Retarget"] == "#page-alerts"
            assert "<html" not in response.text
            await client.aclose()
    finally:
        db.use_engine(portal.state.engine)


async def test_htmx_error_is_a_fragment_for_the_alert_region(as_persona, world):
    client = await as_persona("stranger")
    response = await client.htmx("GET", f"/applications/{world['application_a']}")
    assert response.status_code == 404
    assert response.headers["HX-Retarget"] == "#page-alerts"
    assert "<html" not in response.text
    assert 'data-testid="error-404"' in response.text
