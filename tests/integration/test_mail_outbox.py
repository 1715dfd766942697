"""The outbox delivers through a mail outage and a dead worker (issue 11): backoff by time, reclaim of rows left
`sending`, one Message-ID per row, `failed` after the retry period.

Each test has an SMTP server of its own on loopback (stopped for an outage, started again) and drives
`deliver_queued` with a clock of its own, days ahead of the server's: the app's own outbox worker, which runs on
the real clock, finds none of these rows due and leaves them to the test.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller

from portal.core import clock
from portal.core.mail import deliver_queued, message_id
from portal.core.tables import OutboundEmail
from tests.support import start_smtp

T0 = clock.now().replace(microsecond=0) + timedelta(days=30)


class Smtp:
    """A loopback SMTP server that can be stopped and started again on the same port (aiosmtpd's Controller
    cannot start twice: each start is a new one)."""

    def __init__(self) -> None:
        self.controller, self.mailbox = start_smtp()
        self.port = self.controller.port
        self.up = True

    def stop(self) -> None:
        if self.up:
            self.controller.stop()
            self.up = False

    def start(self) -> None:
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        self.up = True


@pytest.fixture
def smtp():
    server = Smtp()
    yield server, server.mailbox
    server.stop()


def settings_for(portal, controller, **mail):
    settings = portal.state.settings
    return dataclasses.replace(settings, mail=dataclasses.replace(
        settings.mail, host="127.0.0.1", port=controller.port, **mail))


async def queue_at(at, to: str, status: str = "queued", **extra) -> int:
    rows = await OutboundEmail.insert(OutboundEmail(
        created_at=at, to_address=to, subject=f"Hello {to}", body_text="Body\n", status=status,
        next_attempt_at=at, **extra)).returning(OutboundEmail.id)
    return rows[0]["id"]


async def row(email_id: int) -> dict:
    return await OutboundEmail.select().where(OutboundEmail.id == email_id).first()


async def test_outbox_short_outage_delivers_every_email_once_per_message_id(portal, smtp):
    controller, mailbox = smtp
    settings = settings_for(portal, controller, retry_first_seconds=30, retry_max_seconds=600)
    controller.stop()  # the mail server is down
    ids = [await queue_at(T0, f"user{n}@city.example") for n in range(3)]

    assert await deliver_queued(settings, now=T0) == 0
    # Woken again and again during the outage, the worker tries nothing before the rows' next attempt is due.
    for _ in range(5):
        assert await deliver_queued(settings, now=T0 + timedelta(seconds=1)) == 0
    rows = [await row(i) for i in ids]
    assert [(r["status"], r["attempts"]) for r in rows] == [("queued", 1)] * 3
    assert all(r["error"] != "" for r in rows)
    assert all(T0 + timedelta(seconds=15) <= r["next_attempt_at"] <= T0 + timedelta(seconds=30) for r in rows)

    controller.start()  # the server is back
    assert await deliver_queued(settings, now=T0 + timedelta(seconds=30)) == 3
    assert await deliver_queued(settings, now=T0 + timedelta(days=1)) == 0

    received = sorted(m["Message-ID"] for m in mailbox.messages)
    expected = sorted(message_id(r["id"], r["created_at"], settings.mail.sender) for r in rows)
    assert received == expected
    assert len(set(received)) == 3
    assert [(r["status"], r["attempts"]) for r in [await row(i) for i in ids]] == [("sent", 2)] * 3


async def test_outbox_row_left_sending_is_reclaimed_with_the_same_message_id(portal, smtp):
    controller, mailbox = smtp
    settings = settings_for(portal, controller, timeout_seconds=5, reclaim_after_seconds=60)
    email_id = await queue_at(T0, "reset@city.example")
    assert await deliver_queued(settings, now=T0) == 1
    first = mailbox.messages[0]["Message-ID"]
    # The worker died after the server took the message and before it recorded it: the row is left `sending`.
    await OutboundEmail.update({OutboundEmail.status: "sending", OutboundEmail.sent_at: None,
                                OutboundEmail.claimed_at: T0}).where(OutboundEmail.id == email_id)

    assert await deliver_queued(settings, now=T0 + timedelta(seconds=59)) == 0
    assert (await row(email_id))["status"] == "sending"  # a send may still be under way: not doubled yet
    assert await deliver_queued(settings, now=T0 + timedelta(seconds=61)) == 1

    assert [m["Message-ID"] for m in mailbox.messages] == [first, first]
    assert first == message_id(email_id, (await row(email_id))["created_at"], settings.mail.sender)
    assert ((await row(email_id))["status"], (await row(email_id))["attempts"]) == ("sent", 2)


async def test_outbox_row_sending_from_before_the_claim_time_is_reclaimed(portal, smtp):
    controller, mailbox = smtp
    settings = settings_for(portal, controller)
    email_id = await queue_at(T0, "old@city.example", status="sending", claimed_at=None)
    assert await deliver_queued(settings, now=T0) == 1
    assert (await row(email_id))["status"] == "sent"
    assert len(mailbox.messages) == 1


async def test_outbox_past_the_retry_period_fails_with_the_last_error(portal, smtp):
    controller, mailbox = smtp
    settings = settings_for(portal, controller, retry_for_hours=1)
    controller.stop()
    email_id = await queue_at(T0, "late@city.example")

    assert await deliver_queued(settings, now=T0) == 0
    assert (await row(email_id))["status"] == "queued"
    assert await deliver_queued(settings, now=T0 + timedelta(minutes=59)) == 0
    assert (await row(email_id))["status"] == "queued"
    assert await deliver_queued(settings, now=T0 + timedelta(hours=1)) == 0

    failed = await row(email_id)
    assert (failed["status"], failed["attempts"], failed["next_attempt_at"]) == ("failed", 3, None)
    assert "refused" in failed["error"].lower()
    assert await deliver_queued(settings, now=T0 + timedelta(days=3)) == 0
    assert (await row(email_id))["attempts"] == 3
