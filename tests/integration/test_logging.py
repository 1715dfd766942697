"""Logs: WeasyPrint's progress lines stay out of the console; one access-log line per request when asked for."""

from __future__ import annotations

import logging
from dataclasses import replace

from portal import db
from portal.app import create_app
from tests.conftest import running
from tests.support import Client


async def test_pdf_made_for_a_request_logs_no_weasyprint_info_lines(world, client, caplog):
    caplog.set_level(logging.INFO)
    response = await client.get("/programs/healthy-babies/form.pdf")
    assert (response.status_code, response.content[:5]) == (200, b"%PDF-")
    chatter = [r.getMessage() for r in caplog.records
               if r.name.startswith(("weasyprint", "fontTools")) and r.levelno < logging.WARNING]
    assert chatter == []


async def test_access_log_is_off_by_default(world, client, caplog):
    caplog.set_level(logging.INFO)
    assert (await client.get("/programs")).status_code == 200
    assert [r for r in caplog.records if r.name == "portal.access"] == []


async def test_access_log_setting_writes_one_line_per_request_without_tokens_or_queries(portal, world, caplog):
    caplog.set_level(logging.INFO)
    app = create_app(replace(portal.state.settings, access_log=True))  # a second app: it switches the engine
    try:
        async with running(app):  # its lifespan closes its connections
            client = Client(app)
            assert (await client.get("/programs?q=private")).status_code == 200
            assert (await client.get("/no-such-page")).status_code == 404
            await client.get("/reset/a-secret-reset-token")
            await client.aclose()
    finally:
        db.use_engine(portal.state.engine)
    lines = [r.getMessage() for r in caplog.records if r.name == "portal.access"]
    assert lines[:2] == ["GET /programs 200", "GET /no-such-page 404"]
    assert len(lines) == 3 and lines[2].startswith("GET /reset/{token} ")
    assert [line for line in lines if "a-secret-reset-token" in line or "private" in line] == []
