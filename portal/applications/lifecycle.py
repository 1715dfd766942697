"""State changes around submission: withdraw, restore a withdrawn application, reopen for corrections, extend
one application's deadline, and the deadline reminders sent to drafts.

Each change is one write transaction with one audit row, checked against the transitions table in
applications/rules.py, and emails the city's team in the same transaction (so a rolled-back change sends
nothing).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

import msgspec

from portal.applications import queries
from portal.applications.records import ApplicationWithCity, ReminderCandidate
from portal.applications.rules import (
    MAX_GRACE_MINUTES,
    STATUS_LABELS,
    WITHDRAW_FORBIDDEN,
    can_withdraw,
    check_restore,
    check_transition,
    effective_deadline,
    reminder_due,
    restored_status,
)
from portal.applications.services import lock_application
from portal.applications.tables import Application, DeadlineReminder
from portal.core import audit, clock, mail
from portal.core.actor import Actor
from portal.core.errors import Conflict, Forbidden
from portal.core.mail import queue_email
from portal.db import Duplicate, write_transaction
from portal.programs import queries as programs
from portal.programs.records import ProgramRecord
from portal.programs.rules import time_left

log = logging.getLogger(__name__)

EXTENDABLE = frozenset({"draft", "submitted"})  # a submitted one may be reopened afterwards


async def _email_team(application: ApplicationWithCity | ReminderCandidate, program: ProgramRecord, template: str,
                      public_url: str, **context: object) -> int:
    """Queue `template` to the applying city's owners and members and the application's team; returns how many
    were queued."""
    team = await queries.list_application_people(application.id, application.organisation)
    link = f"{public_url}/applications/{application.id}"
    for person in team:
        await queue_email(person.email, template, {
            "name": person.name, "application": application, "program": program, "link": link, **context,
        }, program=program.id, application=application.id)
    return len(team)


async def withdraw_application(actor: Actor, application_id: int, reason: str, public_url: str = "", *,
                               rights: Iterable[str]) -> None:
    """The city withdraws its application (a draft or a submitted one), with a reason. `rights`: the actor's
    rights on it (access.get_application_for); a submitted application is withdrawn only by its signer or
    owner (rules.can_withdraw), checked here under the lock, so a draft submitted meanwhile is not withdrawn
    by an editor. The receipt of a submitted one is kept (staff may restore it: restore_application).

    Side effects: status `withdrawn`, status_reason, version +1; one audit row `application.withdrawn`
    (with the reason and the receipt it had); email `application_withdrawn` to the city's team. Raises
    Conflict if the transitions table does not allow it (already withdrawn, decided), Forbidden if `rights`
    do not allow it in the application's status.
    """
    async with write_transaction():
        application = await lock_application(application_id)
        check_transition(application.status, "withdrawn")
        if not can_withdraw(application.status, rights):
            raise Forbidden(WITHDRAW_FORBIDDEN)
        program = await programs.get_program(application.program)
        assert program is not None
        now = clock.now()
        await Application.update({
            Application.status: "withdrawn", Application.status_reason: reason,
            Application.version: application.version + 1, Application.updated_at: now,
        }).where(Application.id == application_id)
        await audit.record(actor, "application.withdrawn", "application", application_id, reason=reason,
                           previous_status=application.status, receipt_number=application.receipt_number)
        withdrawn = msgspec.structs.replace(application, status="withdrawn", status_reason=reason,
                                            version=application.version + 1, updated_at=now)
        await _email_team(withdrawn, program, "application_withdrawn", public_url, reason=reason, withdrawn_at=now,
                          by=actor.user.name if actor.user else "")


class StartedAgain(Conflict):
    """The city has started a new application to the same program since withdrawing this one."""


async def restore_application(actor: Actor, application_id: int, reason: str, public_url: str = "") -> str:
    """Staff undo a withdrawal, with a reason: the application becomes what it was (rules.restored_status:
    submitted, with its receipt, if it had been submitted; a draft otherwise). Returns that status.

    Side effects: status, status_reason, version +1; one audit row `application.restored` (reason, the
    restored status, the receipt); email `application_restored` to the city's team. Raises Conflict unless
    it is withdrawn, StartedAgain (a Conflict) if the city has started a new application to the program since
    (one live application per program and city: the partial unique index of
    migrations/portal_2026_12_07t15_10_00_000000.py).
    """
    try:
        async with write_transaction():
            application = await lock_application(application_id)
            status = restored_status(application.receipt_number)
            check_restore(application.status, status)
            if await queries.find_application_id(application.program, application.organisation) is not None:
                raise Duplicate("a live application of this city and program")
            program = await programs.get_program(application.program)
            assert program is not None
            now = clock.now()
            await Application.update({
                Application.status: status, Application.status_reason: reason,
                Application.version: application.version + 1, Application.updated_at: now,
            }).where(Application.id == application_id)
            await audit.record(actor, "application.restored", "application", application_id, reason=reason,
                               restored_status=status, receipt_number=application.receipt_number)
            restored = msgspec.structs.replace(application, status=status, status_reason=reason,
                                               version=application.version + 1, updated_at=now)
            await _email_team(restored, program, "application_restored", public_url,
                              reason=reason, restored_status=STATUS_LABELS[status].lower())
    except Duplicate as exc:
        raise StartedAgain("The city has started a new application to this program since it withdrew this one, "
                           "and a city has one live application per program. Ask the city to withdraw the new one "
                           "first if this one should count.") from exc
    return status


async def reopen_application(actor: Actor, application_id: int, reason: str, public_url: str = "") -> None:
    """Staff return a submitted application to draft for corrections, with a reason.

    The receipt of the submission stays in the audit trail (this row and `application.submitted`); the
    application's own receipt fields are cleared, and its next submission gets a new receipt ("…-2").
    Side effects: status `draft`, receipt number, submitted_at/by and fingerprint cleared, status_reason,
    version +1; one audit row `application.reopened`; email `application_reopened` to the city's team with
    the reason and the deadline that applies. Raises Conflict unless the application is submitted.
    """
    async with write_transaction():
        application = await lock_application(application_id)
        check_transition(application.status, "draft")
        program = await programs.get_program(application.program)
        assert program is not None
        await Application.update({
            Application.status: "draft", Application.status_reason: reason,
            Application.receipt_number: None, Application.submitted_at: None, Application.submitted_by: None,
            Application.content_sha256: "",
            Application.version: application.version + 1, Application.updated_at: clock.now(),
        }).where(Application.id == application_id)
        submitted_at = application.submitted_at
        await audit.record(actor, "application.reopened", "application", application_id, reason=reason,
                           receipt_number=application.receipt_number,
                           submitted_at=submitted_at.isoformat() if submitted_at else None,
                           content_sha256=application.content_sha256)
        deadline = effective_deadline(program, application.extended_deadline_at)
        # the email names the receipt of the submission reopened (templates/emails/application_reopened.txt)
        reopened = msgspec.structs.replace(application, status="draft", status_reason=reason)
        await _email_team(reopened, program, "application_reopened", public_url,
                          reason=reason, deadline=deadline, deadline_passed=deadline <= clock.now())


async def extend_deadline(actor: Actor, application_id: int, new_deadline: datetime, reason: str,
                          public_url: str = "") -> None:
    """Staff give one application its own deadline (later or earlier than the program's; it replaces the
    program's deadline and grace period for this application), with a reason.

    Side effects: extended_deadline_at, extension_reason; one audit row `application.deadline_extended`
    (old and new deadline, reason); email `deadline_extended` to the city's team. Earlier reminders stay
    recorded (a reminder is sent at most once per kind). Raises Conflict for a withdrawn or decided
    application.
    """
    async with write_transaction():
        application = await lock_application(application_id)
        if application.status not in EXTENDABLE:
            status = STATUS_LABELS.get(application.status, application.status).lower()
            raise Conflict(f"This application is {status}: its deadline can no longer be changed.")
        program = await programs.get_program(application.program)
        assert program is not None
        before = effective_deadline(program, application.extended_deadline_at)
        await Application.update({
            Application.extended_deadline_at: new_deadline, Application.extension_reason: reason,
            Application.updated_at: clock.now(),
        }).where(Application.id == application_id)
        await audit.record(actor, "application.deadline_extended", "application", application_id,
                           previous_deadline=before.isoformat(), new_deadline=new_deadline.isoformat(), reason=reason)
        await _email_team(application, program, "deadline_extended", public_url, reason=reason,
                          deadline=new_deadline, previous_deadline=before)


# Drafts whose deadline may fall in the next 7 days: of open programs (or with an extension), with a
# program deadline no more than a day ago (grace periods are at most a day) or an extension still ahead.
REMINDER_CANDIDATES_SQL = """
SELECT ap.id, ap.organisation, ap.title, ap.extended_deadline_at, o.name AS organisation_name,
       p.id AS program_id
FROM application ap JOIN program p ON p.id = ap.program JOIN organisation o ON o.id = ap.organisation
WHERE ap.status = 'draft'
  AND ((p.status = 'open' AND p.deadline_at > {}) OR (p.status IN ('open', 'closed') AND ap.extended_deadline_at > {}))
ORDER BY ap.id
"""


async def send_deadline_reminders(now: datetime, public_url: str = "") -> int:
    """Email the team of every draft not yet submitted, 7 days and 1 day before its effective deadline
    (see rules.reminder_due); returns how many reminders were sent.

    Side effects, per reminder, in one transaction: a DeadlineReminder row (unique per application and
    kind, so a reminder goes out at most once even with several processes running this at once); one
    audit row `application.reminder_sent`; emails `deadline_reminder` to the city's team.
    """
    raw = await Application.raw(REMINDER_CANDIDATES_SQL, now - timedelta(minutes=MAX_GRACE_MINUTES), now)
    rows = [ReminderCandidate.of(row) for row in raw]
    if not rows:
        return 0
    sent_kinds = await DeadlineReminder.select(DeadlineReminder.application, DeadlineReminder.kind).where(
        DeadlineReminder.application.is_in([r.id for r in rows]))
    already = {(r["application"], r["kind"]) for r in sent_kinds}
    program_cache: dict[int, ProgramRecord | None] = {}
    system = Actor(user=None, ip="reminders")
    sent = 0
    for row in rows:
        if row.program_id not in program_cache:
            program_cache[row.program_id] = await programs.get_program(row.program_id)
        program = program_cache[row.program_id]
        if program is None:
            continue
        deadline = effective_deadline(program, row.extended_deadline_at)
        kind = reminder_due(deadline, now)
        if kind is None or (row.id, kind) in already:
            continue
        try:
            async with write_transaction():
                await DeadlineReminder.insert(DeadlineReminder(application=row.id, kind=kind, deadline_at=deadline,
                                                               sent_at=now))
                await audit.record(system, "application.reminder_sent", "application", row.id, kind=kind,
                                   deadline=deadline.isoformat())
                await _email_team(row, program, "deadline_reminder", public_url, kind=kind, deadline=deadline,
                                  left=time_left(deadline, now))
        except Duplicate:  # another process sent this one a moment ago
            continue
        sent += 1
    return sent


async def run_reminder_worker(public_url: str, interval_seconds: int, stop: asyncio.Event) -> None:
    """Send due deadline reminders every `interval_seconds` until `stop` is set (the first run at once)."""
    while not stop.is_set():
        try:
            if await send_deadline_reminders(clock.now(), public_url):
                mail.kick(force=True)
        except Exception:  # the worker must outlive a bad row or a lost connection
            log.exception("sending deadline reminders failed")
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval_seconds)
        except asyncio.TimeoutError:
            pass
