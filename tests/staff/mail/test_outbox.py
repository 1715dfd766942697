"""The administrators' outbox through HTTP: every email, newest first, a page at a time; administrators only."""

from __future__ import annotations

from portal.core import clock
from portal.core.tables import OutboundEmail


async def test_outbox_lists_every_email_newest_first_paginated(as_persona, world):
    now = clock.now()
    await OutboundEmail.insert(*[
        OutboundEmail(created_at=now, to_address=f"person{i}@example.org", subject=f"Message {i}",
                      body_text=f"Body {i}", status="not_configured") for i in range(51)
    ])
    staff = await as_persona("admin")
    first = await staff.get("/admin/outbox")
    assert first.status_code == 200
    assert first.text.count('data-testid="outbox-row"') == 50
    assert first.text.index("Message 50") < first.text.index("Message 49")
    assert "<details><summary>Message 50</summary>" in first.text
    assert 'href="/admin/outbox?page=2"' in first.text
    second = await staff.get("/admin/outbox?page=2")
    assert second.text.count('data-testid="outbox-row"') == 1
    assert "Message 0" in second.text
    assert (await staff.get("/admin/outbox?page=abc")).status_code == 200


async def test_outbox_is_refused_to_staff_who_are_not_admins(as_persona, world):
    staff = await as_persona("staff")
    response = await staff.get("/admin/outbox")
    assert response.status_code == 403
