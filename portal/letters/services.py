"""Writing letters: templates, one letter's PDF, and round batches made by a background worker.

A letter is rendered from its program's template (portal.letters.rendering, sandboxed), placed in
templates/pdf/letter_document.html and made into a PDF by portal.core.pdf (the static-only URL fetcher); the
PDF is stored unchanged under files_dir/letters/ and its SHA-256 recorded in a `letter` row.

Batches: staff ask for a round's letters (`request_batch`, a `letter_batch` row `queued`); the worker started
in the app's lifespan (`run_letter_worker`) claims one batch at a time. Claiming is safe with several app
processes: on PostgreSQL `SELECT ... FOR UPDATE SKIP LOCKED` then an update re-checking the status, on SQLite
the same inside the IMMEDIATE write transaction. A running batch whose worker died (no heartbeat for
`LETTER_RECLAIM_AFTER_SECONDS`, STALE_AFTER by default) is claimed again and resumes after the letters it already
made: each letter's row and the batch's count are one transaction, so none is made twice. A PDF written just
before the crash whose row was not committed stays on disk unused (at most the two letters in flight: see
run_batch's pipeline); it is never served, as only a `letter` row names a file.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import multiprocessing
from concurrent.futures import Executor, ProcessPoolExecutor
from datetime import timedelta
from pathlib import Path

from piccolo.columns.combination import Or
from piccolo.engine.postgres import PostgresEngine

from portal.awards.hooks import StoredLetter
from portal.core import audit, clock, pdf
from portal.core.actor import Actor
from portal.core.errors import Conflict, Invalid, NotFound
from portal.core.templating import render
from portal.db import Duplicate, current_engine, write_transaction
from portal.letters import queries
from portal.letters.records import ClaimedBatch, LetterTemplateRecord, ScheduledTranche
from portal.letters.rendering import DEFAULTS, KINDS, LetterTemplateError, render_text  # noqa: F401
from portal.letters.tables import Letter, LetterBatch, LetterTemplate
from portal.programs.records import ProgramRecord

log = logging.getLogger(__name__)

LETTERS_DIR = "letters"
STALE_AFTER = timedelta(minutes=2)
"""The default of LETTER_RECLAIM_AFTER_SECONDS (portal.settings.Settings.letter_reclaim_after_seconds)."""
POLL_SECONDS = 1.0

_wake = asyncio.Event()


def kick() -> None:
    """Wake the worker of this process (a batch was queued)."""
    _wake.set()


async def ensure_default_templates(program_id: int) -> None:
    """Store the default template of every kind the program lacks. Writes letter_template rows; the unique
    (program, kind) index keeps one row when two processes do it at once."""
    have = {r["kind"] for r in await LetterTemplate.select(LetterTemplate.kind).where(
        LetterTemplate.program == program_id)}
    for kind in KINDS:
        if kind in have:
            continue
        try:
            async with write_transaction():
                await LetterTemplate.insert(LetterTemplate(
                    program=program_id, kind=kind, subject=DEFAULTS[kind][0], body=DEFAULTS[kind][1],
                    updated_at=clock.now(), updated_by=None))
        except Duplicate:
            pass


async def seed_default_templates() -> int:
    """Store the default templates of every program that lacks them (the demo seed, inside its transaction);
    returns how many rows it wrote. Writes letter_template rows only."""
    from portal.programs.tables import Program

    have = {(r["program"], r["kind"]) for r in await LetterTemplate.select(LetterTemplate.program, LetterTemplate.kind)}
    rows = [LetterTemplate(program=p["id"], kind=kind, subject=DEFAULTS[kind][0], body=DEFAULTS[kind][1],
                           updated_at=clock.now(), updated_by=None)
            for p in await Program.select(Program.id) for kind in KINDS if (p["id"], kind) not in have]
    if rows:
        await LetterTemplate.insert(*rows)
    return len(rows)


async def save_template(actor: Actor, program_id: int, kind: str, subject: str, body: str) -> None:
    """Replace the program's template of `kind` (already checked by forms.template_input). Writes the
    letter_template row and one audit row `letter_template.saved`."""
    await ensure_default_templates(program_id)
    async with write_transaction():
        await LetterTemplate.update({
            LetterTemplate.subject: subject, LetterTemplate.body: body, LetterTemplate.updated_at: clock.now(),
            LetterTemplate.updated_by: actor.user_id,
        }).where((LetterTemplate.program == program_id) & (LetterTemplate.kind == kind))
        await audit.record(actor, "letter_template.saved", "program", program_id, kind=kind)


def letter_document(subject: str, body: str, fields: dict[str, str]) -> str:
    """The whole letter as HTML: the staff's subject and body rendered (sandboxed) into the PDF template.
    LetterTemplateError if the template cannot be rendered."""
    return render("pdf/letter_document.html", {
        "subject": render_text(subject, fields), "body": render_text(body, fields), "fields": fields})


def sample_fields(program: ProgramRecord) -> dict[str, str]:
    """Made-up merge fields for a preview, in the program's own unit (money, a seat, hours)."""
    from portal.awards.terms import AwardTerms

    kind = program.offer_kind or "cash"
    terms = AwardTerms(kind=kind, amount_cents=2_500_000 if kind in ("cash", "travel") else 0,
                       ta_hours=40 if kind == "ta_hours" else 0)
    tranche = [ScheduledTranche(amount_cents=terms.amount_cents, trigger="on_acceptance", report_kind="", due_date=None)]
    return {
        "city": "Springfield, IL", "program_title": program.title, "network": program.network_name,
        "application_title": "Safe streets near schools", "date": "December 1, 2026",
        "signatory": program.letter_signatory or "The program director", "amount": terms.summary,
        "award_kind": terms.label,
        "conditions": "Share the project's outcomes at the network's spring convening.",
        "payment_schedule": queries.payment_schedule(terms, tranche, []),
        "reporting_schedule": "Interim report, due June 1, 2027\nFinal report, due December 1, 2027",
        "award_period": "January 1, 2027 to December 31, 2027",
        "reviewer_comments": "A clear plan with a realistic budget.\n\nSay more about how residents take part.",
        "contact_email": program.contact_email or "grants@example.org",
    }


async def letter_html(application_id: int, kind: str, templates: dict[str, LetterTemplateRecord] | None = None
                      ) -> str | None:
    """The HTML of one application's letter of `kind`, from the database (`templates`: the program's, read
    once by a batch); None if it gets no such letter."""
    data = await queries.letter_fields(application_id, kind)
    if data is None:
        return None
    template = (templates or await queries.templates_for(data.program_id))[kind]
    return letter_document(template.subject, template.body, data.fields)


async def _render_and_store(html: str, files_dir: Path, executor: Executor | None = None) -> tuple[str, str]:
    """The PDF made (in `executor`: the worker's renderer process, or a thread) and written: (name, sha256)."""
    content = await asyncio.get_running_loop().run_in_executor(executor, pdf.render_pdf, html)
    return await asyncio.to_thread(pdf.store_pdf, files_dir, LETTERS_DIR, content)


async def _record(actor: Actor | None, application_id: int, kind: str, name: str, sha256: str,
                  batch_id: int | None) -> int:
    async with write_transaction():
        rows = await Letter.insert(Letter(application=application_id, kind=kind, file=name, sha256=sha256,
                                          created_at=clock.now(), batch=batch_id)).returning(Letter.id)
        letter_id: int = rows[0]["id"]
        if batch_id is not None:
            await LetterBatch.update({LetterBatch.done: LetterBatch.done + 1,
                                      LetterBatch.heartbeat_at: clock.now()}).where(LetterBatch.id == batch_id)
        elif actor is not None:
            await audit.record(actor, "letter.made", "application", application_id, kind=kind, sha256=sha256)
    return letter_id


async def make_letter(actor: Actor | None, application_id: int, kind: str, files_dir: Path,
                      batch_id: int | None = None, templates: dict[str, LetterTemplateRecord] | None = None
                      ) -> int | None:
    """Make and store one letter; returns the letter id, None if the application gets no such letter.

    Side effects: a file files_dir/letters/<random>.pdf; a `letter` row with its SHA-256; with a batch, the
    batch's `done` count and heartbeat, in the same transaction; without one, an audit row `letter.made`.
    """
    html = await letter_html(application_id, kind, templates)
    if html is None:
        return None
    name, sha256 = await _render_and_store(html, files_dir)
    return await _record(actor, application_id, kind, name, sha256, batch_id)


def stored_letter(files_dir: Path, letter: StoredLetter) -> bytes:
    """The stored PDF of a letter (a `LetterRecord`), checked against its SHA-256: NotFound if the file is gone,
    Conflict if it changed since it was made."""
    path = pdf.stored_path(files_dir, LETTERS_DIR, letter.file)
    if path is None:
        raise NotFound("The letter's file is missing. Make the letters again.")
    content = path.read_bytes()
    if hashlib.sha256(content).hexdigest() != letter.sha256:
        log.error("letter %s: stored file %s does not match its SHA-256", letter.id, letter.file)
        raise Conflict("The stored letter does not match the one that was made. Make the letters again.")
    return content


async def request_batch(actor: Actor, program_id: int, kinds: list[str]) -> int:
    """Queue a round's letters of `kinds`; returns the batch id. Writes a letter_batch row (`queued`, with
    the number of letters it will make) and one audit row `letter_batch.requested`; wakes the worker.
    Conflict if a batch of the program is already queued or running."""
    if not kinds or any(k not in queries.TARGETS for k in kinds):
        raise Invalid({"kinds": "Choose which letters to make."})
    await ensure_default_templates(program_id)
    total = len(await queries.targets(program_id, kinds))
    if total == 0:
        raise Invalid({"kinds": "No application of this program gets these letters yet."})
    async with write_transaction():
        if isinstance(current_engine(), PostgresEngine):
            await LetterBatch.raw("SELECT id FROM program WHERE id = {} FOR UPDATE", program_id)
        if await queries.active_batch(program_id):
            raise Conflict("Letters for this program are being made already: wait for that round to finish.")
        rows = await LetterBatch.insert(LetterBatch(
            program=program_id, kinds=",".join(kinds), total=total, status="queued", requested_by=actor.user_id,
            requested_at=clock.now())).returning(LetterBatch.id)
        batch_id: int = rows[0]["id"]
        await audit.record(actor, "letter_batch.requested", "program", program_id, batch=batch_id, kinds=kinds,
                           total=total)
    kick()
    return batch_id


def _claimable(stale_after: timedelta = STALE_AFTER) -> Or:
    stale = clock.now() - stale_after
    return (LetterBatch.status == "queued") | (
        (LetterBatch.status == "running") & (LetterBatch.heartbeat_at < stale))


async def claim_batch(stale_after: timedelta = STALE_AFTER) -> ClaimedBatch | None:
    """Claim the oldest queued (or abandoned running: no heartbeat for `stale_after`) batch for this worker, or
    None. Two workers never claim the same batch: see the module docstring."""
    if not await LetterBatch.exists().where(_claimable(stale_after)):
        return None  # the idle poll: a plain read, no write lock taken
    async with write_transaction():
        if isinstance(current_engine(), PostgresEngine):
            rows = await LetterBatch.raw(
                "SELECT id FROM letter_batch WHERE status = 'queued' OR (status = 'running' AND heartbeat_at < {}) "
                "ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED", clock.now() - stale_after)
        else:
            rows = await LetterBatch.select(LetterBatch.id).where(_claimable(stale_after)).order_by(
                LetterBatch.id).limit(1)
        if not rows:
            return None
        now = clock.now()
        claimed = await LetterBatch.update({
            LetterBatch.status: "running", LetterBatch.heartbeat_at: now, LetterBatch.started_at: now,
        }).where((LetterBatch.id == rows[0]["id"]) & _claimable(stale_after)).returning(
            LetterBatch.id, LetterBatch.program, LetterBatch.kinds, LetterBatch.requested_by)
        return ClaimedBatch.of(claimed[0]) if claimed else None


async def run_batch(batch: ClaimedBatch, files_dir: Path, stop: asyncio.Event | None = None,
                    executor: Executor | None = None) -> None:
    """Make the batch's letters (resuming after those it has), then mark it done (or failed if every
    letter failed). Updates the batch's counts as it goes; one audit row `letter_batch.finished`."""
    batch_id = batch.id
    kinds = [k for k in batch.kinds.split(",") if k in queries.TARGETS]
    todo = await queries.targets(batch.program, kinds)
    made = {(r["application"], r["kind"]) for r in await Letter.select(Letter.application, Letter.kind).where(
        Letter.batch == batch_id)}
    await LetterBatch.update({LetterBatch.total: len(todo), LetterBatch.done: len(made & set(todo)),
                              LetterBatch.failed: 0}).where(LetterBatch.id == batch_id)
    templates = await queries.templates_for(batch.program)  # one round, one version of the templates
    pending = [item for item in todo if item not in made]
    failed = 0

    async def fail(item: tuple[int, str], exc: BaseException) -> None:
        nonlocal failed
        failed += 1
        log.warning("letter batch %s: %s letter of application %s failed: %s", batch_id, item[1], item[0], exc)
        await LetterBatch.update({LetterBatch.failed: LetterBatch.failed + 1, LetterBatch.heartbeat_at: clock.now(),
                                  LetterBatch.error: f"{item[1]} letter of application {item[0]}: {exc}"[:2000]}
                                 ).where(LetterBatch.id == batch_id)

    def prepare(item: tuple[int, str]) -> asyncio.Task[str | None]:
        return asyncio.create_task(letter_html(item[0], item[1], templates))

    # A pipeline: while WeasyPrint renders letter i (in the renderer process, or a thread), the next letter's
    # database reads and the previous letter's row (a commit) run on the event loop. Every letter is still rendered, stored and
    # recorded in that order, one at a time.
    written: tuple[tuple[int, str], str, str] | None = None
    next_html = prepare(pending[0]) if pending else None
    try:
        for i, item in enumerate(pending):
            if stop is not None and stop.is_set():
                break  # another process (or this one, restarted) resumes it once the heartbeat is stale
            assert next_html is not None
            try:
                html = await next_html
            except Exception as exc:
                html, error = None, exc
            else:
                error = LookupError("the application no longer gets this letter")
            next_html = prepare(pending[i + 1]) if i + 1 < len(pending) else None
            render = asyncio.create_task(_render_and_store(html, files_dir, executor)) if html else None
            if written is not None:
                try:
                    await _record(None, written[0][0], written[0][1], written[1], written[2], batch_id)
                except Exception as exc:
                    await fail(written[0], exc)
                written = None
            if render is None:
                await fail(item, error)
                continue
            try:
                name, sha256 = await render
            except Exception as exc:
                await fail(item, exc)
                continue
            written = (item, name, sha256)
        if written is not None:
            try:
                await _record(None, written[0][0], written[0][1], written[1], written[2], batch_id)
            except Exception as exc:
                await fail(written[0], exc)
    finally:
        if next_html is not None and not next_html.done():
            next_html.cancel()
    if stop is not None and stop.is_set():
        return
    status = "failed" if todo and failed == len(todo) - len(made & set(todo)) and failed else "done"
    async with write_transaction():
        await LetterBatch.update({LetterBatch.status: status, LetterBatch.finished_at: clock.now()}).where(
            LetterBatch.id == batch_id)
        await audit.record(Actor(user=None), "letter_batch.finished", "program", batch.program, batch=batch_id,
                           status=status, failed=failed)


async def process_next_batch(files_dir: Path, stop: asyncio.Event | None = None,
                             executor: Executor | None = None, stale_after: timedelta = STALE_AFTER) -> bool:
    """Claim and run one batch; False if there was none."""
    batch = await claim_batch(stale_after)
    if batch is None:
        return False
    try:
        await run_batch(batch, files_dir, stop, executor)
    except Exception as exc:
        log.exception("letter batch %s failed", batch.id)
        await LetterBatch.update({LetterBatch.status: "failed", LetterBatch.finished_at: clock.now(),
                                  LetterBatch.error: str(exc)[:2000]}).where(LetterBatch.id == batch.id)
    return True


def renderer_process() -> ProcessPoolExecutor:
    """One process that renders PDFs for this app process. WeasyPrint holds the GIL for the whole render
    (about 40 ms a letter): in a thread of the web process it would stall every request and every database
    reply meanwhile; in a process of its own it runs beside them. Spawned (not forked: the web process has
    threads), on the first batch only."""
    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))


async def run_letter_worker(files_dir: Path, stop: asyncio.Event, stale_after: timedelta = STALE_AFTER) -> None:
    """Make queued letter batches until `stop` is set: at once when kicked, otherwise polling every second
    (a batch queued by another process, or one abandoned for `stale_after`). PDFs are rendered in
    `renderer_process()`, started when first needed and stopped with the worker."""
    executor: ProcessPoolExecutor | None = None
    try:
        while not stop.is_set():
            try:
                await asyncio.wait_for(_wake.wait(), timeout=POLL_SECONDS)
            except asyncio.TimeoutError:
                pass
            _wake.clear()
            try:
                while not stop.is_set():
                    if not await LetterBatch.exists().where(_claimable(stale_after)):
                        break
                    if executor is None:
                        executor = renderer_process()
                    if not await process_next_batch(files_dir, stop, executor, stale_after):
                        break
            except Exception:  # the worker must outlive a bad batch, a lost connection or a dead renderer
                log.exception("letter worker failed")
                if executor is not None:
                    executor.shutdown(wait=False, cancel_futures=True)
                    executor = None
    finally:
        if executor is not None:
            await asyncio.to_thread(executor.shutdown, True, cancel_futures=True)
