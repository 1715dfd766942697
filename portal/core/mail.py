"""Email: every message is written to the outbox in the caller's transaction, then delivered over SMTP.

Queuing inside the transaction means a rolled-back change sends nothing and a committed one is never
lost: the outbox worker delivers queued rows (and retries failures) after commit. With no SMTP server
configured (the demo), messages stay readable in the outbox (`/admin/outbox`), marked "not configured".
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from portal.core import clock
from portal.core.tables import OutboundEmail
from portal.core.templating import render
from portal.settings import MailSettings, Settings

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


async def queue_email(to: str, template: str, context: dict[str, Any]) -> int:
    """Render `templates/emails/<template>.txt` (blocks `subject` and `body`) and queue it for `to`."""
    name = f"emails/{template}.txt"
    subject = " ".join(render(name, context, block="subject").split())
    body = render(name, context, block="body").strip() + "\n"
    rows = await OutboundEmail.insert(
        OutboundEmail(created_at=clock.now(), to_address=to, subject=subject[:300], body_text=body)
    ).returning(OutboundEmail.id)
    global _queued_since_kick
    _queued_since_kick = True
    return rows[0]["id"]


_wake = asyncio.Event()
_queued_since_kick = False


def kick(force: bool = False) -> None:
    """Wake the outbox worker if mail was queued (called after each response, so after its commit).

    Not woken from queue_email itself: the row is not committed yet then, and the worker would miss it.
    """
    global _queued_since_kick
    if _queued_since_kick or force:
        _queued_since_kick = False
        _wake.set()


def _send_sync(settings: MailSettings, to: str, subject: str, body: str) -> None:
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="portal.localhost")
    message.set_content(body)
    with smtplib.SMTP(settings.host, settings.port, timeout=20) as smtp:
        if settings.use_tls:
            smtp.starttls()
        if settings.username:
            smtp.login(settings.username, settings.password)
        smtp.send_message(message)


async def deliver_queued(settings: Settings, limit: int = 50) -> int:
    """Deliver queued messages once; returns how many were sent. Safe with several worker processes:
    each row is claimed by one atomic update before it is sent."""
    rows = (
        await OutboundEmail.select(OutboundEmail.id)
        .where(OutboundEmail.status == "queued")
        .order_by(OutboundEmail.id)
        .limit(limit)
    )
    sent = 0
    for row in rows:
        claimed = (
            await OutboundEmail.update({OutboundEmail.status: "sending", OutboundEmail.attempts: OutboundEmail.attempts + 1})
            .where((OutboundEmail.id == row["id"]) & (OutboundEmail.status == "queued"))
            .returning(OutboundEmail.id, OutboundEmail.to_address, OutboundEmail.subject, OutboundEmail.body_text, OutboundEmail.attempts)
        )
        if not claimed:
            continue
        msg = claimed[0]
        if not settings.mail.host:
            await OutboundEmail.update({OutboundEmail.status: "not_configured"}).where(OutboundEmail.id == msg["id"])
            continue
        try:
            await asyncio.to_thread(_send_sync, settings.mail, msg["to_address"], msg["subject"], msg["body_text"])
        except (OSError, smtplib.SMTPException) as exc:
            status = "failed" if msg["attempts"] >= MAX_ATTEMPTS else "queued"
            log.warning("email %s to %s not sent: %s", msg["id"], msg["to_address"], exc)
            await OutboundEmail.update({OutboundEmail.status: status, OutboundEmail.error: str(exc)[:2000]}).where(
                OutboundEmail.id == msg["id"]
            )
            continue
        await OutboundEmail.update({OutboundEmail.status: "sent", OutboundEmail.sent_at: clock.now()}).where(
            OutboundEmail.id == msg["id"]
        )
        sent += 1
    return sent


async def run_outbox_worker(settings: Settings, stop: asyncio.Event) -> None:
    """Deliver the outbox until `stop` is set: at once when kicked, and every few seconds for retries."""
    while not stop.is_set():
        try:
            await asyncio.wait_for(_wake.wait(), timeout=3)
        except asyncio.TimeoutError:
            pass
        _wake.clear()
        try:
            await deliver_queued(settings)
        except Exception:  # the worker must outlive a bad row or a lost connection
            log.exception("outbox delivery failed")
