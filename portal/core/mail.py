"""Email: every message is written to the outbox in the caller's transaction, then delivered over SMTP.

Queuing inside the transaction means a rolled-back change sends nothing and a committed one is never
lost: the outbox worker delivers queued rows after commit. A failed attempt is retried after a delay that
doubles each time (with jitter) for `MAIL_RETRY_FOR_HOURS`, so a mail outage of hours loses nothing; after that
the row is `failed` with the last error, shown on the outbox page, where an administrator can requeue it. A row
left `sending` by a worker that died is queued again after `MAIL_RECLAIM_AFTER_SECONDS`: delivery is at least
once, and every attempt carries the same Message-ID so that a receiving system can drop a duplicate. With no
SMTP server configured (the demo), messages stay readable in the outbox (`/admin/outbox`), marked "not
configured".
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Any

from piccolo.columns import Column
from piccolo.custom_types import Combinable

from portal import db
from portal.core import audit, clock
from portal.core.backoff import retry_delay
from portal.core.actor import Actor
from portal.core.errors import NotFound
from portal.core.tables import OutboundEmail
from portal.core.templating import render
from portal.settings import MailSettings, Settings

log = logging.getLogger(__name__)

EMAIL_KINDS = {
    "application_submitted": "Application receipt", "application_withdrawn": "Withdrawal notice",
    "application_restored": "Restoration notice", "application_reopened": "Reopening notice",
    "deadline_extended": "Deadline extension", "deadline_reminder": "Deadline reminder",
    "team_invitation": "Team invitation", "team_invitation_accepted": "Team invitation accepted",
    "invitation": "Invitation to the program", "review_assigned": "Review assignment",
    "review_submitted": "Review submitted", "reviews_published": "Reviews assigned",
    "reviews_reminder": "Review reminder", "conflict_declared": "Conflict of interest declared",
    "award_made": "Award letter", "decision_declined": "Decline letter", "decision_waitlisted": "Waitlist letter",
    "award_answered": "Award answered", "report_submitted": "Report receipt",
    "account_exists": "Account notice", "password_reset": "Password reset", "two_factor_changed": "Sign-in change",
}
"""What each email template is, as the staff pages name it (an outbox row's `kind`)."""


def kind_label(kind: str) -> str:
    return EMAIL_KINDS.get(kind, "Email")

async def queue_email(to: str, template: str, context: dict[str, Any], *, program: int | None = None,
                      application: int | None = None) -> int:
    """Render `templates/emails/<template>.txt` (blocks `subject` and `body`) and queue it for `to`.

    `program` and `application` (ids) say what the email concerns: the program's staff see it on their program
    page if it is delayed or fails (`staff.mail.queries.list_program_mail_trouble`). Leave both out for
    account mail (a password reset, a staff invitation): that stays the administrators' (the outbox page)."""
    name = f"emails/{template}.txt"
    subject = " ".join(render(name, context, block="subject").split())
    body = render(name, context, block="body").strip() + "\n"
    rows = await OutboundEmail.insert(
        OutboundEmail(created_at=clock.now(), to_address=to, subject=subject[:300], body_text=body,
                      kind=template[:40], program_id=program, application_id=application)
    ).returning(OutboundEmail.id)
    global _queued_since_kick
    _queued_since_kick = True
    email_id: int = rows[0]["id"]
    return email_id


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


def message_id(email_id: int, created_at: datetime, sender: str) -> str:
    """The Message-ID of an outbox row: derived from the row, so every attempt (a retry, or a resend after a
    worker died mid-send) carries the same one and a receiving system can drop the duplicate."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "portal.localhost"
    return f"<outbox.{email_id}.{clock.as_utc(created_at):%Y%m%dT%H%M%S%f}@{domain}>"


def error_text(exc: Exception) -> str:
    """A failed attempt's error as people read it: a mail server's reply as "451 4.3.0 Try again later" (not
    smtplib's tuple with bytes), anything else as its message, or its class when it has none."""
    if isinstance(exc, smtplib.SMTPResponseException):
        reply = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{exc.smtp_code} {reply}"
    return str(exc) or exc.__class__.__name__


def _send_sync(settings: MailSettings, to: str, subject: str, body: str, msgid: str) -> None:
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = msgid
    message.set_content(body)
    with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_seconds) as smtp:
        if settings.use_tls:
            smtp.starttls()
        if settings.username:
            smtp.login(settings.username, settings.password)
        smtp.send_message(message)


async def reclaim_abandoned(settings: MailSettings, now: datetime) -> int:
    """Put back in the queue every `sending` row claimed longer than `reclaim_after_seconds` ago: its worker
    died (or lost its database) mid-send. The email may have left already: delivery is at least once, and the
    resend carries the same Message-ID. Returns how many rows were taken back."""
    cutoff = now - timedelta(seconds=settings.reclaim_after_seconds)
    rows = await OutboundEmail.update({OutboundEmail.status: "queued", OutboundEmail.next_attempt_at: now}).where(
        (OutboundEmail.status == "sending") & (OutboundEmail.claimed_at.is_null() | (OutboundEmail.claimed_at < cutoff))
    ).returning(OutboundEmail.id)
    for row in rows:
        log.warning("email %s was left being sent (worker gone?): queued again", row["id"])
    return len(rows)


async def deliver_queued(settings: Settings, limit: int = 50, now: datetime | None = None) -> int:
    """Deliver the queued messages that are due, once; returns how many were sent. `now` is the clock (the
    tests move it; by default the server's). Safe with several worker processes: each row is claimed by one
    atomic update before it is sent. A failed attempt waits `retry_delay` before the next; once the retry
    period (`retry_for_hours` since the email was queued or requeued) is over, the row is `failed` with the
    last error."""
    at = now or clock.now()
    mail = settings.mail
    await reclaim_abandoned(mail, at)
    due = (OutboundEmail.status == "queued") & (
        OutboundEmail.next_attempt_at.is_null() | (OutboundEmail.next_attempt_at <= at))
    rows = await OutboundEmail.select(OutboundEmail.id).where(due).order_by(OutboundEmail.id).limit(limit)
    sent = 0
    for row in rows:
        # The claim's own time, not the pass's: late in a long pass another process must not take back a row
        # that was claimed a moment ago (a test's `now` stands for every moment of the pass).
        claimed = (
            await OutboundEmail.update({OutboundEmail.status: "sending", OutboundEmail.claimed_at: now or clock.now(),
                                        OutboundEmail.attempts: OutboundEmail.attempts + 1})
            .where((OutboundEmail.id == row["id"]) & due)  # still due: not put off meanwhile
            .returning(OutboundEmail.id, OutboundEmail.to_address, OutboundEmail.subject, OutboundEmail.body_text,
                       OutboundEmail.attempts, OutboundEmail.created_at, OutboundEmail.retry_since)
        )
        if not claimed:
            continue
        msg = claimed[0]
        if not mail.host:
            await OutboundEmail.update({OutboundEmail.status: "not_configured"}).where(OutboundEmail.id == msg["id"])
            continue
        msgid = message_id(msg["id"], msg["created_at"], mail.sender)
        try:
            await asyncio.to_thread(_send_sync, mail, msg["to_address"], msg["subject"], msg["body_text"], msgid)
        except (OSError, smtplib.SMTPException) as exc:
            finished = now or clock.now()
            since = clock.as_utc(msg["retry_since"] or msg["created_at"])
            give_up = finished >= since + timedelta(hours=mail.retry_for_hours)
            log.warning("email %s to %s not sent (attempt %s%s): %s", msg["id"], msg["to_address"],
                        msg["attempts"], ", giving up" if give_up else "", exc)
            await OutboundEmail.update({
                OutboundEmail.status: "failed" if give_up else "queued",
                OutboundEmail.next_attempt_at: None if give_up else finished + retry_delay(
                    msg["attempts"], mail.retry_first_seconds, mail.retry_max_seconds),
                OutboundEmail.error: error_text(exc)[:2000],
            }).where((OutboundEmail.id == msg["id"]) & (OutboundEmail.status == "sending")
                     & (OutboundEmail.attempts == msg["attempts"]))  # not if reclaimed meanwhile: that claim decides
            continue
        await OutboundEmail.update({OutboundEmail.status: "sent", OutboundEmail.sent_at: now or clock.now(),
                                    OutboundEmail.error: ""}).where(OutboundEmail.id == msg["id"])
        sent += 1
    return sent


def _requeued(at: datetime) -> dict[Column | str, Any]:
    """A failed row made new: due at once, its attempts counted again, its retry period started again."""
    return {OutboundEmail.status: "queued", OutboundEmail.next_attempt_at: at, OutboundEmail.retry_since: at,
            OutboundEmail.attempts: 0, OutboundEmail.claimed_at: None}


async def requeue_email(actor: Actor, email_id: int, *, program: int | None = None) -> bool:
    """Queue one failed email again (an administrator, or with `program` the staff of that program, after the
    mail server is mended); returns whether it was failed and is queued now (False: it was not failed, e.g.
    requeued a moment ago, and nothing changed).

    Side effects: the row is `queued`, due now, with a new retry period and its last error kept until the
    next attempt; one audit row `email.requeued` (with the program, when given); the outbox worker is woken
    after the response. Raises NotFound for no such email, or with `program` for an email of another program
    (or of none)."""
    async with db.write_transaction():
        row = await OutboundEmail.select(OutboundEmail.to_address, OutboundEmail.program_id).where(
            OutboundEmail.id == email_id).first()
        if row is None or (program is not None and row["program_id"] != program):
            raise NotFound()
        changed = await OutboundEmail.update(_requeued(clock.now())).where(
            (OutboundEmail.id == email_id) & (OutboundEmail.status == "failed")).returning(OutboundEmail.id)
        if changed:
            scope = {} if program is None else {"program_id": program}
            await audit.record(actor, "email.requeued", "outbound_email", email_id, to=row["to_address"], **scope)
    if changed:
        _mark_queued()
    return bool(changed)


async def requeue_failed_emails(actor: Actor, *, program: int | None = None) -> int:
    """Queue every failed email again (with `program`, every failed email of that program); returns how many.

    Side effects: as `requeue_email` for each failed row, with one audit row `email.requeued_all` that
    lists their ids (and the program, when given; none when nothing was failed)."""
    failed: Combinable = OutboundEmail.status == "failed"
    if program is not None:
        failed = failed & (OutboundEmail.program_id == program)
    async with db.write_transaction():
        rows = await OutboundEmail.update(_requeued(clock.now())).where(failed).returning(OutboundEmail.id)
        ids = sorted(r["id"] for r in rows)
        if ids:
            scope = {} if program is None else {"program_id": program}
            await audit.record(actor, "email.requeued_all", "outbound_email", None, ids=ids, **scope)
    if ids:
        _mark_queued()
    return len(ids)


def _mark_queued() -> None:
    global _queued_since_kick
    _queued_since_kick = True


async def run_outbox_worker(settings: Settings, stop: asyncio.Event) -> None:
    """Deliver the outbox until `stop` is set: at once when kicked, and every `MAIL_POLL_SECONDS` for retries
    that are due and rows to reclaim (the wake-ups only look; the rows' times decide what is sent)."""
    while not stop.is_set():
        try:
            await asyncio.wait_for(_wake.wait(), timeout=settings.mail.poll_seconds)
        except asyncio.TimeoutError:
            pass
        _wake.clear()
        try:
            await deliver_queued(settings)
        except Exception:  # the worker must outlive a bad row or a lost connection
            log.exception("outbox delivery failed")
