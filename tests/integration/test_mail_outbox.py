"""The outbox delivers through a mail outage and a dead worker (issue 11): backoff by time, reclaim of rows left
`sending`, one Message-ID per row, `failed` after the retry period.

Each test has an SMTP server of its own on loopback (stopped for an outage, started again) and drives
`deliver_queued` with a clock of its own, days ahead of the server's: the app's own outbox worker, which runs on
the real clock, finds none of these rows due and leaves them to the test.
"""

from __future__ import annotations

import asyncio
import dataclasses
from contextvars import ContextVar
from datetime import datetime, timedelta

import pytest
from aiosmtpd.controller import Controller

from portal.core import clock, mail
from portal.core.mail import deliver_queued, message_id
from portal.settings import MailSettings
from portal.core.tables import AuditEvent, OutboundEmail
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
    values = {"next_attempt_at": at} | extra
    rows = await OutboundEmail.insert(OutboundEmail(
        created_at=at, to_address=to, subject=f"Hello {to}", body_text="Body\n", status=status,
        **values)).returning(OutboundEmail.id)
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


_pass_clock: ContextVar[list[datetime] | None] = ContextVar("pass_clock", default=None)


class PassClock:
    """The mail module's clock for the task that sets `_pass_clock` (and the threads it starts, which copy the
    context); the real clock for every other task, so the app's own outbox worker never sees these rows due."""

    as_utc = staticmethod(clock.as_utc)

    @staticmethod
    def now() -> datetime:
        held = _pass_clock.get()
        return held[0] if held else clock.now()


async def test_outbox_claim_is_stamped_when_made_not_when_the_pass_began(portal, smtp, monkeypatch):
    """A long pass (a slow mail server) must not stamp its later claims with its start time: another process
    would take such a row back as abandoned while it is being sent."""
    controller, mailbox = smtp
    settings = settings_for(portal, controller, timeout_seconds=5, reclaim_after_seconds=60)
    first, second = await queue_at(T0, "first@city.example"), await queue_at(T0, "second@city.example")
    held = [T0]
    _pass_clock.set(held)
    monkeypatch.setattr(mail, "clock", PassClock)
    real_send = mail._send_sync

    def slow_send(*args):
        if held[0] == T0:
            held[0] = T0 + timedelta(seconds=90)  # the first email took longer than the reclaim time
        real_send(*args)

    monkeypatch.setattr(mail, "_send_sync", slow_send)
    assert await deliver_queued(settings) == 2
    assert clock.as_utc((await row(first))["claimed_at"]) == T0
    assert clock.as_utc((await row(second))["claimed_at"]) == T0 + timedelta(seconds=90)


async def test_outbox_does_not_send_a_row_put_off_after_the_pass_chose_it(portal, smtp, monkeypatch):
    """A pass chooses its due rows first and claims each in turn: a row put off meanwhile (requeued for later, or
    deleted and its id used again by a row not yet due) must not be claimed on the strength of the old choice."""
    controller, mailbox = smtp
    settings = settings_for(portal, controller)
    first, second = await queue_at(T0, "first@city.example"), await queue_at(T0, "second@city.example")
    real_send = mail._send_sync

    def send_and_put_off_the_second(*args):
        real_send(*args)
        future = T0 + timedelta(days=1)
        asyncio.run_coroutine_threadsafe(
            OutboundEmail.update({OutboundEmail.next_attempt_at: future}).where(OutboundEmail.id == second).run(),
            loop).result()

    loop = asyncio.get_running_loop()
    monkeypatch.setattr(mail, "_send_sync", send_and_put_off_the_second)
    assert await deliver_queued(settings, now=T0) == 1
    assert (await row(first))["status"] == "sent"
    assert ((await row(second))["status"], (await row(second))["attempts"]) == ("queued", 0)
    assert [m["X-Envelope-To"] for m in mailbox.messages] == ["first@city.example"]


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


# -- The outbox page: failed and delayed mail, requeue (administrators only) ------------------------------------

async def failed_email(to: str) -> int:
    """A failed email as the worker leaves it after the retry period (the worker never takes a failed row)."""
    return await queue_at(clock.now(), to, status="failed", attempts=7,
                          error="[Errno 111] Connection refused")


async def audit_rows(action: str) -> list[dict]:
    return await AuditEvent.select(AuditEvent.actor_id, AuditEvent.object_id, AuditEvent.detail).where(
        AuditEvent.action == action).order_by(AuditEvent.id).output(load_json=True)


async def test_outbox_page_shows_failed_and_delayed_mail_with_the_error(as_persona, world):
    await failed_email("failed@city.example")
    await queue_at(clock.now(), "delayed@city.example", attempts=2, error="451 try again later",
                   next_attempt_at=clock.now() + timedelta(days=1))
    admin = await as_persona("admin")
    page = (await admin.get("/admin/outbox")).text
    trouble = page[page.index('data-testid="outbox-trouble"'):page.index("All email")]
    assert trouble.count('data-testid="outbox-trouble-row"') == 2
    assert "Failed after 7 attempts" in trouble
    assert "Delayed: 2 attempts failed; next try" in trouble
    assert "[Errno 111] Connection refused" in trouble
    assert "451 try again later" in trouble
    assert trouble.count('action="/admin/outbox/requeue"') == 1  # the failed row's, not the delayed one's
    assert trouble.count('action="/admin/outbox/requeue-failed"') == 1
    assert "Requeue the failed email" in trouble


async def test_outbox_requeue_one_failed_email_sends_it_and_is_audited(as_persona, world, mailbox):
    email_id = await failed_email("again@city.example")
    admin = await as_persona("admin")
    response = await admin.post("/admin/outbox/requeue", {"email": email_id})
    assert (response.status_code, response.headers["location"]) == (303, "/admin/outbox?done=requeued")
    assert [(r["actor_id"], r["object_id"], r["detail"]) for r in await audit_rows("email.requeued")] == [
        (world["admin"], email_id, {"to": "again@city.example"})]
    received = await mailbox.wait_for("again@city.example")
    assert received["Message-ID"] == message_id(email_id, (await row(email_id))["created_at"],
                                                 MailSettings.sender)


async def test_outbox_requeue_all_failed_emails_is_audited_once(as_persona, world, mailbox):
    first, second = await failed_email("one@city.example"), await failed_email("two@city.example")
    admin = await as_persona("admin")
    response = await admin.post("/admin/outbox/requeue-failed", {})
    assert (response.status_code, response.headers["location"]) == (303, "/admin/outbox?done=requeued-all")
    assert [(r["actor_id"], r["detail"]) for r in await audit_rows("email.requeued_all")] == [
        (world["admin"], {"ids": [first, second]})]
    await mailbox.wait_for("one@city.example")
    await mailbox.wait_for("two@city.example")


async def test_outbox_requeue_with_nothing_failed_changes_nothing(as_persona, world):
    admin = await as_persona("admin")
    response = await admin.post("/admin/outbox/requeue-failed", {})
    assert (response.status_code, response.headers["location"]) == (303, "/admin/outbox?done=none-failed")
    assert await audit_rows("email.requeued_all") == []


async def test_outbox_requeue_of_an_email_not_failed_changes_nothing(as_persona, world):
    email_id = await queue_at(clock.now() + timedelta(days=1), "later@city.example")
    admin = await as_persona("admin")
    response = await admin.post("/admin/outbox/requeue", {"email": email_id})
    assert (response.status_code, response.headers["location"]) == (303, "/admin/outbox?done=not-failed")
    assert (await row(email_id))["status"] == "queued"
    assert await audit_rows("email.requeued") == []


@pytest.mark.parametrize("email", ["", "abc", "999999", "-1", "1" * 40])
async def test_outbox_requeue_of_no_such_email_is_not_found(as_persona, world, email):
    admin = await as_persona("admin")
    assert (await admin.post("/admin/outbox/requeue", {"email": email})).status_code == 404


@pytest.mark.parametrize("persona", ["staff", "applicant", "reviewer", "funder"])
async def test_outbox_requeue_by_a_non_administrator_is_forbidden(as_persona, world, persona):
    email_id = await failed_email("kept@city.example")
    client = await as_persona(persona)
    assert (await client.post("/admin/outbox/requeue", {"email": email_id})).status_code == 403
    assert (await client.post("/admin/outbox/requeue-failed", {})).status_code == 403
    assert (await row(email_id))["status"] == "failed"
    assert await audit_rows("email.requeued") == await audit_rows("email.requeued_all") == []


async def test_outbox_requeue_without_a_csrf_token_is_refused(as_persona, world):
    email_id = await failed_email("forged@city.example")
    admin = await as_persona("admin")
    assert (await admin.post("/admin/outbox/requeue", {"email": email_id}, csrf=False)).status_code == 403
    assert (await admin.post("/admin/outbox/requeue-failed", {}, csrf=False)).status_code == 403
    assert (await row(email_id))["status"] == "failed"
