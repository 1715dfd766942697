"""Reading for the mail pages: the outbox, and a program's undelivered email (failed, or delayed)."""

from __future__ import annotations

from typing import Any

from piccolo.columns.combination import Or

from portal.applications.tables import Application
from portal.core.mail import kind_label
from portal.core.tables import OutboundEmail
from portal.reviews import queries as review_queries

OUTBOX_PAGE_SIZE = 50
PROGRAM_MAIL_LIMIT = 100  # the newest undelivered emails listed on a program's page ("send all again" takes all)


async def list_outbox(page: int) -> tuple[list[dict[str, Any]], int, int]:
    """One page (from 1, clamped to the pages there are) of every email the portal queued, newest first;
    returns (messages, page, pages)."""
    total = await OutboundEmail.count()
    pages = max(1, -(-total // OUTBOX_PAGE_SIZE))
    page = min(max(page, 1), pages)
    rows = await OutboundEmail.select(
        OutboundEmail.id, OutboundEmail.to_address, OutboundEmail.subject, OutboundEmail.status,
        OutboundEmail.created_at, OutboundEmail.sent_at, OutboundEmail.body_text, OutboundEmail.error,
        OutboundEmail.attempts, OutboundEmail.next_attempt_at,
    ).order_by(OutboundEmail.id, ascending=False).limit(OUTBOX_PAGE_SIZE).offset((page - 1) * OUTBOX_PAGE_SIZE)
    return rows, page, pages


def _mail_trouble() -> Or:
    """Failed emails, and delayed ones (queued again after a failed attempt)."""
    return (OutboundEmail.status == "failed") | ((OutboundEmail.status == "queued") & (OutboundEmail.attempts > 0))


async def count_program_mail_trouble(program_id: int) -> dict[str, int]:
    """How many emails about the program failed for good (`failed`) and how many are `delayed` (still retried)."""
    ours = OutboundEmail.program_id == program_id
    failed = await OutboundEmail.count().where(ours & (OutboundEmail.status == "failed"))
    delayed = await OutboundEmail.count().where(
        ours & (OutboundEmail.status == "queued") & (OutboundEmail.attempts > 0))
    return {"failed": failed, "delayed": delayed}


async def list_program_mail_trouble(program_id: int) -> list[dict[str, Any]]:
    """The program's failed emails, then its delayed ones, each newest first (at most PROGRAM_MAIL_LIMIT in all),
    with what each was (`label`) and, if it concerns an application, the application's title, city and staff page
    (`application_link`). No body text: it holds invitation links, which are credentials (the administrators'
    outbox shows it)."""
    rows = await OutboundEmail.select(
        OutboundEmail.id, OutboundEmail.to_address, OutboundEmail.kind, OutboundEmail.application_id,
        OutboundEmail.status, OutboundEmail.created_at, OutboundEmail.error, OutboundEmail.attempts,
        OutboundEmail.next_attempt_at,
    ).where((OutboundEmail.program_id == program_id) & _mail_trouble()).order_by(
        OutboundEmail.status).order_by(OutboundEmail.id, ascending=False).limit(PROGRAM_MAIL_LIMIT)  # failed first
    ids = sorted({r["application_id"] for r in rows if r["application_id"] is not None})
    applications = {}
    if ids:
        found = await Application.select(Application.id, Application.title, Application.status,
                                         Application.organisation.name).where(
            Application.id.is_in(ids) & (Application.program == program_id))
        applications = {a["id"]: a for a in found}
    for row in rows:
        application = applications.get(row["application_id"])
        row["label"] = kind_label(row["kind"])
        row["application_title"] = (application["title"] or "Untitled application") if application else ""
        row["city"] = application["organisation.name"] if application else ""
        row["application_link"] = _staff_link(application) if application else ""
    return rows


def _staff_link(application: dict[str, Any]) -> str:
    """The staff page of an application: its reviews once submitted; its deadline page while a draft or
    withdrawn (as the program page links them)."""
    if application["status"] in review_queries.REVIEWABLE_STATUSES:
        return f"/staff/applications/{application['id']}"
    return f"/staff/applications/{application['id']}/deadline"


async def list_outbox_trouble() -> tuple[list[dict[str, Any]], int]:
    """The emails that need an administrator's eye, newest first (at most a page): failed ones (retried for
    MAIL_RETRY_FOR_HOURS, given up) and delayed ones (queued after a failed attempt, retried later); returns
    them and how many are failed in all."""
    trouble = _mail_trouble()
    rows = await OutboundEmail.select(
        OutboundEmail.id, OutboundEmail.to_address, OutboundEmail.subject, OutboundEmail.status,
        OutboundEmail.created_at, OutboundEmail.error, OutboundEmail.attempts, OutboundEmail.next_attempt_at,
    ).where(trouble).order_by(OutboundEmail.id, ascending=False).limit(OUTBOX_PAGE_SIZE)
    failed = await OutboundEmail.count().where(OutboundEmail.status == "failed")
    return rows, failed

