"""Reading letters: a program's templates, which applications get which letter, the merge fields of one letter,
batches and stored letters."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Awaitable, Callable

from portal.applications.tables import Application
from portal.awards.tables import Award
from portal.awards.decisions.tables import Decision
from portal.awards.tranches.tables import Tranche
from portal.core import clock
from portal.core.templating import long_date, money
from portal.letters.records import (
    LetterBatchRecord, LetterFields, LetterRecord, LetterTemplateRecord, MadeTransfer, ScheduledTranche,
)
from portal.letters.rendering import DEFAULTS, KINDS
from portal.letters.tables import Letter, LetterBatch, LetterTemplate
from portal.payments.tables import Payment
from portal.reporting.queries import list_reports_for_award
from portal.reviews.conflicts.queries import conflicts
from portal.reviews.tables import Assignment

if TYPE_CHECKING:  # awards' services reach letters on use, not on import (see letter_fields)
    from portal.awards.terms import AwardTerms

BATCH_COLUMNS = (
    LetterBatch.id, LetterBatch.program, LetterBatch.kinds, LetterBatch.total, LetterBatch.done,
    LetterBatch.failed, LetterBatch.status, LetterBatch.error, LetterBatch.requested_at, LetterBatch.started_at,
    LetterBatch.finished_at, LetterBatch.requested_by._.name.as_alias("requested_by_name"),
)


async def templates_for(program_id: int) -> dict[str, LetterTemplateRecord]:
    """The program's template of each kind (the default text where none is stored)."""
    rows = await LetterTemplate.select(
        LetterTemplate.kind, LetterTemplate.subject, LetterTemplate.body, LetterTemplate.updated_at,
    ).where(LetterTemplate.program == program_id)
    stored = {r["kind"]: LetterTemplateRecord.of(r) for r in rows}
    return {kind: stored.get(kind) or LetterTemplateRecord(kind=kind, subject=DEFAULTS[kind][0], body=DEFAULTS[kind][1])
            for kind in KINDS}


# Which applications of a program get a letter of each kind. Pluggable: another module (e.g. a decision
# board with a waitlist outcome) may replace or add an entry with `register_kind`.
async def _awarded(program_id: int) -> list[int]:
    rows = await Award.select(Award.application).where(Award.application._.program == program_id)
    return sorted(r["application"] for r in rows)


async def _waitlisted(program_id: int) -> list[int]:
    """Applications the decision board released as waitlisted (they keep the status `submitted`)."""
    rows = await Decision.select(Decision.application).where(
        (Decision.program == program_id) & (Decision.outcome == "waitlist") & Decision.released_at.is_not_null())
    return sorted(r["application"] for r in rows)


def _with_status(status: str) -> Callable[[int], Awaitable[list[int]]]:
    async def targets(program_id: int) -> list[int]:
        rows = await Application.select(Application.id).where(
            (Application.program == program_id) & (Application.status == status))
        return sorted(r["id"] for r in rows)
    return targets


TARGETS: dict[str, Callable[[int], Awaitable[list[int]]]] = {
    "award": _awarded,
    "decline": _with_status("declined"),
    "waitlist": _waitlisted,
}


def register_kind(kind: str, targets: Callable[[int], Awaitable[list[int]]]) -> None:
    TARGETS[kind] = targets


async def targets(program_id: int, kinds: list[str]) -> list[tuple[int, str]]:
    """(application id, kind) for every letter a round of `kinds` makes, in a stable order."""
    result: list[tuple[int, str]] = []
    for kind in kinds:
        result.extend((app_id, kind) for app_id in await TARGETS[kind](program_id))
    return result


async def count_targets(program_id: int) -> dict[str, int]:
    return {kind: len(await TARGETS[kind](program_id)) for kind in KINDS}


TRIGGER_WORDS = {"on_acceptance": "on acceptance", "on_report_approval": "once the {report} report is approved",
                 "on_date": "on {date}"}


async def scheduled_tranches(award_id: int) -> list[ScheduledTranche]:
    """The award's tranches in their order, as its letter states them."""
    rows = await Tranche.select(Tranche.amount_cents, Tranche.trigger, Tranche.report_kind, Tranche.due_date).where(
        Tranche.award == award_id).order_by(Tranche.position)
    return [ScheduledTranche(**row) for row in rows]


def _tranche_schedule(tranches: list[ScheduledTranche]) -> str:
    """The award's tranches in words, e.g. "$30,000 on acceptance" and "$20,000 once the interim report is
    approved"."""
    lines = []
    for t in tranches:
        when = TRIGGER_WORDS.get(t.trigger, t.trigger).format(
            report=t.report_kind or "final", date=long_date(t.due_date) if t.due_date else "a date to be set")
        lines.append(f"{money(t.amount_cents)} {when}")
    return "\n".join(lines)


NOTHING_PAID = "Nothing is paid under this award: it gives {gives}, not money."
NO_SCHEDULE_YET = ("No payment schedule has been set yet. The program team will send you the schedule before "
                   "any payment is made.")


def payment_schedule(terms: AwardTerms, tranches: list[ScheduledTranche], payments: list[MadeTransfer]) -> str:
    """The letter's payment schedule, from the stored records only: the tranches staff set; else the transfers
    already made (`payment` rows); else that no schedule is set yet. An award that pays no money (a cohort seat,
    technical assistance) says so. `terms` is the award's `portal.awards.terms.AwardTerms`."""
    if not terms.is_paid:
        return NOTHING_PAID.format(gives=terms.phrase)
    if tranches:
        return _tranche_schedule(tranches)
    if payments:
        return _schedule(payments)
    return NO_SCHEDULE_YET


def _schedule(payments: list[MadeTransfer]) -> str:
    lines = []
    for p in payments:
        when = f"paid {long_date(p.paid_at)}" if p.paid_at else p.status
        lines.append(f"{money(p.amount_cents)} ({when})")
    return "\n".join(lines)


async def reviewer_comments(application_id: int) -> list[str]:
    """The comments for the applicant of the application's submitted reviews, leaving out conflicted ones."""
    rows = await Assignment.select(Assignment.reviewer, Assignment.applicant_comment).where(
        (Assignment.application == application_id) & (Assignment.status == "submitted")
        & (Assignment.applicant_comment != "")
    ).order_by(Assignment.id)
    if not rows:
        return []
    found = await conflicts([application_id], [r["reviewer"] for r in rows])
    return [r["applicant_comment"].strip() for r in rows
            if (application_id, r["reviewer"]) not in found and r["applicant_comment"].strip()]


async def letter_fields(application_id: int, kind: str) -> LetterFields | None:
    """The merge fields of one letter, plus what the page around the body shows; None if the application is
    gone or (award letters) has no award."""
    app = await Application.select(
        Application.id, Application.title, Application.program,
        Application.organisation._.name.as_alias("city_name"),
        Application.organisation._.state.as_alias("city_state"),
        Application.program._.title.as_alias("program_title"), Application.program._.slug.as_alias("program_slug"),
        Application.program._.network._.name.as_alias("network"),
        Application.program._.letter_signatory.as_alias("signatory"),
        Application.program._.contact_email.as_alias("contact_email"),
        Application.program._.timezone.as_alias("timezone"),
        Application.program._.offer_kind.as_alias("offer_kind"),
        Application.program._.offer_text.as_alias("offer_text"),
    ).where(Application.id == application_id).first()
    if app is None:
        return None
    city = app["city_name"] + (f", {app['city_state']}" if app["city_state"] else "")
    fields: dict[str, str] = {
        "city": city, "program_title": app["program_title"], "network": app["network"],
        "application_title": app["title"] or "your application", "signatory": app["signatory"] or app["network"],
        "contact_email": app["contact_email"] or "the program team",
        "date": long_date(clock.now().astimezone(clock.zone(app["timezone"])).date()),
        "amount": "", "conditions": "", "payment_schedule": "", "reporting_schedule": "", "award_period": "",
        "reviewer_comments": "", "award_kind": "",
    }
    if kind == "award":
        award = await Award.select(Award.id, Award.amount_cents, Award.ta_hours, Award.conditions, Award.start_date,
                                   Award.end_date, Award.decided_at).where(Award.application == application_id).first()
        if award is None:
            return None
        payments = [MadeTransfer(**row) for row in await Payment.select(
            Payment.amount_cents, Payment.status, Payment.paid_at,
        ).where((Payment.award_id == award["id"]) & (Payment.kind == "transfer")).order_by(Payment.id)]
        tranches = await scheduled_tranches(award["id"])
        reports = await list_reports_for_award(award["id"])
        from portal.awards.terms import terms_of  # awards' services reach letters on use, not on import

        terms = terms_of(award | {"offer_kind": app["offer_kind"]})
        fields |= {
            # An award letter is dated the day of the decision, however often it is made again.
            "date": long_date(clock.as_utc(award["decided_at"]).astimezone(clock.zone(app["timezone"])).date()),
            "award_kind": terms.label + (f" ({app['offer_text']})" if app["offer_text"] else ""),
            # What the award gives in its own units: "$25,000 and 80 hours of technical assistance", "One seat
            # in the program's cohort"; never "$0" for something that is not money.
            "amount": terms.summary,
            "conditions": award["conditions"] or "None beyond the program's published terms.",
            "payment_schedule": payment_schedule(terms, tranches, payments),
            "reporting_schedule": "\n".join(f"{r.kind.capitalize()} report, due {long_date(r.due_on)}"
                                            for r in reports) or "The program team will tell you when reports are due.",
            "award_period": (f"{long_date(award['start_date'])} to {long_date(award['end_date'])}"
                             if award["start_date"] and award["end_date"] else "as agreed with the program team"),
        }
    if kind == "decline":
        comments = await reviewer_comments(application_id)
        fields["reviewer_comments"] = "\n\n".join(comments) or "The reviewers left no comments for you."
    return LetterFields(fields=fields, program_id=app["program"], program_slug=app["program_slug"])


async def get_batch(program_id: int, batch_id: int) -> LetterBatchRecord | None:
    row = await LetterBatch.select(*BATCH_COLUMNS).where(
        (LetterBatch.id == batch_id) & (LetterBatch.program == program_id)).first()
    return LetterBatchRecord.of(row) if row else None


async def list_batches(program_id: int, limit: int = 10) -> list[LetterBatchRecord]:
    rows = await LetterBatch.select(*BATCH_COLUMNS).where(LetterBatch.program == program_id).order_by(
        LetterBatch.id, ascending=False).limit(limit)
    return [LetterBatchRecord.of(row) for row in rows]


async def active_batch(program_id: int) -> LetterBatchRecord | None:
    row = await LetterBatch.select(*BATCH_COLUMNS).where(
        (LetterBatch.program == program_id) & LetterBatch.status.is_in(["queued", "running"])
    ).order_by(LetterBatch.id, ascending=False).first()
    return LetterBatchRecord.of(row) if row else None


LETTER_COLUMNS = (
    Letter.id, Letter.application, Letter.kind, Letter.file, Letter.sha256, Letter.created_at, Letter.batch,
    Letter.application._.title.as_alias("application_title"),
    Letter.application._.organisation._.name.as_alias("city_name"),
    Letter.application._.program.as_alias("program_id"),
    Letter.application._.program._.slug.as_alias("program_slug"),
)


async def list_letters(program_id: int, limit: int = 200) -> list[LetterRecord]:
    """The newest letter of each application and kind in the program."""
    rows = await Letter.select(*LETTER_COLUMNS).where(Letter.application._.program == program_id).order_by(
        Letter.id, ascending=False)
    seen: set[tuple[int, str]] = set()
    result: list[LetterRecord] = []
    for r in rows:
        if (r["application"], r["kind"]) not in seen:
            seen.add((r["application"], r["kind"]))
            result.append(LetterRecord.of(r))
    return result[:limit]


async def get_letter(program_id: int, letter_id: int) -> LetterRecord | None:
    row = await Letter.select(*LETTER_COLUMNS).where(
        (Letter.id == letter_id) & (Letter.application._.program == program_id)).first()
    return LetterRecord.of(row) if row else None


async def latest_letter(application_id: int, kind: str) -> LetterRecord | None:
    row = await Letter.select(*LETTER_COLUMNS).where(
        (Letter.application == application_id) & (Letter.kind == kind)).order_by(Letter.id, ascending=False).first()
    return LetterRecord.of(row) if row else None


async def letters_of(application_id: int, kind: str) -> list[LetterRecord]:
    """Every stored letter of `kind` for the application, newest first."""
    rows = await Letter.select(*LETTER_COLUMNS).where(
        (Letter.application == application_id) & (Letter.kind == kind)).order_by(Letter.id, ascending=False)
    return [LetterRecord.of(row) for row in rows]
