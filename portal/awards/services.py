"""Award decisions and their letters.

A decision (award or decline) is one write transaction: the Award row (unique per application, so a
double submit makes one award), the application's status change, the follow-up reports, one audit row
and the emails to the city. The letter PDF is made after the commit (slow, and a file on disk), and
again on demand if it is ever missing.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from piccolo.engine.postgres import PostgresEngine
from piccolo.table import Table

from portal.applications.rules import STATUS_LABELS, check_transition
from portal.applications.tables import Application
from portal.awards import hooks, queries
from portal.awards.forms import AwardInput
from portal.awards.records import AwardDetail, AwardRecord, DecidableApplication
from portal.awards.tables import Award, AwardAcceptance
from portal.core import audit, clock, pdf
from portal.core.actor import Actor
from portal.core.errors import Conflict, Invalid, NotFound
from portal.core.mail import queue_email
from portal.core.templating import money
from portal.db import Duplicate, current_engine, write_transaction
from portal.programs.tables import Program
from portal.reporting.services import schedule_reports

log = logging.getLogger(__name__)

LETTERS_DIR = "letters"


async def _lock(table: type[Table], row_id: int) -> None:
    """On PostgreSQL, lock the row until the transaction ends (SQLite's IMMEDIATE transaction already
    serialises writers), so that two decisions on one application or one budget queue up."""
    if isinstance(current_engine(), PostgresEngine):
        await table.raw(f"SELECT id FROM {table._meta.tablename} WHERE id = {{}} FOR UPDATE", row_id)


async def _submitted_application(application_id: int) -> DecidableApplication:
    """The application, locked, if it is waiting for a decision; Conflict otherwise."""
    await _lock(Application, application_id)
    application = await Application.select(
        Application.id, Application.status, Application.program, Application.organisation, Application.title,
        Application.version,
    ).where(Application.id == application_id).first()
    if application is None:
        raise NotFound()
    if application["status"] != "submitted":
        raise Conflict(undecidable_message(application["status"]))
    return DecidableApplication(**application)


def undecidable_message(status: str) -> str:
    if status == "draft":
        return "This application is still a draft: it can be decided once the city submits it."
    if status in {"awarded", "declined"}:
        return f"This application has already been decided ({STATUS_LABELS[status].lower()})."
    return f"This application is {STATUS_LABELS.get(status, status).lower()} and cannot be decided."


async def _set_status(application: DecidableApplication, new: str, note: str = "") -> None:
    check_transition(application.status, new)
    await Application.update({
        Application.status: new,
        Application.decision_note: note,
        Application.updated_at: clock.now(),
        Application.version: Application.version + 1,
    }).where(Application.id == application.id)


async def decide_award(actor: Actor, application_id: int, award: AwardInput, public_url: str,
                       files_dir: Path, *, allow_over_budget: bool = False, make_letter: bool = True) -> int:
    """Award a submitted application; returns the award id.

    Side effects, in one transaction: an Award row (`offered`); the application `submitted` -> `awarded`;
    the interim and final reports scheduled (reporting.services.schedule_reports); one audit row
    `award.decided`; an email `award_made` to each owner and member of the city, with the letter link.
    After the commit: the letter PDF is made and stored (see `generate_letter`; a failure there is
    logged and the letter is made on demand at download).
    Raises Conflict unless the application is submitted (a second submit of the same decision
    included), Invalid if the amount is more than the program's budget left, unless staff confirmed going over
    it (`allow_over_budget`: the audit row then says by how much). With `make_letter=False` the caller makes
    the letter itself once its own transaction has committed (the decision board's release does).
    """
    try:
        async with write_transaction():
            application = await _submitted_application(application_id)
            await _lock(Program, application.program)
            left = await queries.budget_left_cents(application.program)
            over_budget = max(award.amount_cents - max(left, 0), 0)
            if over_budget and not allow_over_budget:
                raise Invalid({"amount": f"The amount is more than the program's budget left ({money(max(left, 0))})."})
            rows = await Award.insert(Award(
                application=application_id, amount_cents=award.amount_cents, ta_hours=award.ta_hours,
                conditions=award.conditions,
                start_date=award.start_date, end_date=award.end_date, status="offered",
                decided_by=actor.user_id, decided_at=clock.now(),
            )).returning(Award.id)
            award_id: int = rows[0]["id"]
            await _set_status(application, "awarded")
            await schedule_reports(actor, award_id)
            await audit.record(actor, "award.decided", "award", award_id, application_id=application_id,
                               amount_cents=award.amount_cents, ta_hours=award.ta_hours,
                               over_budget_cents=over_budget)
            details = await queries.get_award(award_id)
            assert details is not None
            for member in await queries.city_member_emails(application.organisation):
                await queue_email(member.email, "award_made", {
                    "name": member.name, "award": details,
                    "award_link": f"{public_url}/awards/{award_id}",
                    "letter_link": f"{public_url}/awards/{award_id}/letter.pdf",
                }, program=application.program, application=application_id)
    except Duplicate as exc:
        raise Conflict(undecidable_message("awarded")) from exc
    if make_letter:
        await make_letter_quietly(actor, award_id, files_dir)
    return award_id


async def make_letter_quietly(actor: Actor, award_id: int, files_dir: Path) -> None:
    """Make and store an award's letter; a failure is logged, not raised: the decision stands, and the letter
    is made again when first downloaded."""
    try:
        await generate_letter(actor, award_id, files_dir)
    except Exception:
        log.exception("award letter %s could not be made", award_id)


async def decline_application(actor: Actor, application_id: int, note: str, public_url: str) -> None:
    """Decline a submitted application with a note to the city.

    Side effects, in one transaction: the application `submitted` -> `declined` with the note kept as
    its decision note; one audit row `application.declined`; an email `decision_declined` with the note
    to each owner and member of the city. Raises Conflict unless the application is submitted.
    """
    async with write_transaction():
        application = await _submitted_application(application_id)
        await _set_status(application, "declined", note)
        await audit.record(actor, "application.declined", "application", application_id)
        program = await queries.program_contact(application.program)
        for member in await queries.city_member_emails(application.organisation):
            await queue_email(member.email, "decision_declined", {
                "name": member.name, "program": program, "application_title": application.title,
                "note": note, "link": f"{public_url}/dashboard",
            }, program=application.program, application=application_id)


async def generate_letter(actor: Actor, award_id: int, files_dir: Path) -> str:
    """Make the award letter PDF and keep it; returns its stored name.

    Side effects: a file files_dir/letters/<random>.pdf; Award.letter_file and letter_sha256 set; one
    audit row `award.letter_made`. If another request made the letter meanwhile, that one is kept and
    this file is removed.
    """
    award = await queries.get_award(award_id)
    if award is None:
        raise NotFound()
    html = await hooks.letters().letter_html(award.application, "award")  # the program's award letter template
    if html is None:
        raise NotFound()
    content = await asyncio.to_thread(pdf.render_pdf, html)
    name, sha256 = await asyncio.to_thread(pdf.store_pdf, files_dir, LETTERS_DIR, content)
    async with write_transaction():
        updated = await Award.update({Award.letter_file: name, Award.letter_sha256: sha256}).where(
            (Award.id == award_id) & (Award.letter_file == award.letter_file)
        ).returning(Award.id)
        if updated:
            await audit.record(actor, "award.letter_made", "award", award_id, sha256=sha256)
    if not updated:
        (files_dir / LETTERS_DIR / name).unlink(missing_ok=True)
        current = await queries.get_award(award_id)
        return current.letter_file if current else name
    return name


async def letter_bytes(actor: Actor, award: AwardDetail, files_dir: Path) -> bytes:
    """The award letter the city reads, downloads and signs, checked against its SHA-256.

    Before the city answers: the newest letter of kind award made for the application (a letter round, or the
    letter remade when staff changed the payment schedule), else the award's own letter, made now if missing.
    After it answered: the letter whose SHA-256 the acceptance recorded, whatever was made since."""
    letters = hooks.letters()
    answered = await AwardAcceptance.select(AwardAcceptance.letter_sha256).where(
        AwardAcceptance.award == award.id).first()
    signed = answered["letter_sha256"] if answered else None
    for made in await letters.letters_of(award.application, "award"):
        if signed is not None and made.sha256 != signed:
            continue
        try:
            return await asyncio.to_thread(letters.stored_letter, files_dir, made)  # Conflict if it was changed
        except NotFound:
            continue  # its file is gone: an older one, or the award's own letter
    path = await letter_path(actor, award, files_dir)
    return await asyncio.to_thread(path.read_bytes)


async def remake_letter(actor: Actor, award: AwardDetail, files_dir: Path) -> None:
    """While the city has not answered, the letter follows the award's terms: make it again (a new letter row
    of kind award, the newest, which `letter_bytes` serves). An answered award keeps the letter it was signed on.
    A failure is logged: the previous letter stays."""
    if award.status != "offered":
        return
    letters = hooks.letters()
    try:
        await letters.make_letter(actor, award.application, "award", files_dir)
    except Exception:
        log.exception("award letter %s could not be remade", award.id)


async def letter_path(actor: Actor, award: AwardRecord, files_dir: Path) -> Path:
    """The stored letter of an award, made now if it was never made or its file is gone."""
    path = pdf.stored_path(files_dir, LETTERS_DIR, award.letter_file)
    if path is None:
        name = await generate_letter(actor, award.id, files_dir)
        path = pdf.stored_path(files_dir, LETTERS_DIR, name)
    if path is None:
        raise NotFound("The letter could not be made. Please try again in a moment.")
    return path
