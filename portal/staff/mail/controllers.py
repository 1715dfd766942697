"""The mail pages: a program's undelivered email for its staff, and the outbox of every email sent for the
administrators (it holds sign-in links), each with "send again"."""

from __future__ import annotations

from typing import Any

from litestar import Response, get, post
from litestar.params import FromPath

from portal.core import mail
from portal.core.errors import Forbidden, NotFound
from portal.programs.access import get_program_for_staff
from portal.staff.mail import queries
from portal.web.auth import actor, current_user
from portal.web.forms import read_form, text
from portal.web.render import redirect, render
from portal.web.sessions import PortalRequest


OUTBOX_NOTICES = {"requeued": "The email is queued again and will be sent shortly.",
                  "requeued-all": "Every failed email is queued again and will be sent shortly.",
                  "none-failed": "No email had failed: nothing was queued again.",
                  "not-failed": "That email is no longer failed (queued again already, or sent): nothing changed."}


MAX_EMAIL_ID = 2**31 - 1


def _email_id(data: Any) -> int:
    """The `email` field of a requeue form; NotFound for anything that names no email."""
    raw = text(data, "email", 20)
    if not raw.isdigit() or not 0 < int(raw) <= MAX_EMAIL_ID:  # SERIAL (int4) on PostgreSQL
        raise NotFound()
    return int(raw)


UNDELIVERED_NOTICES = {
    "sent-again": "The email is queued again and will be sent shortly.",
    "sent-all-again": "Every failed email of this program is queued again and will be sent shortly.",
    "none-failed": "No email of this program had failed: nothing was queued again.",
    "not-failed": "That email is no longer failed (sent again already, or sent): nothing changed."}


@get("/staff/programs/{program_id:int}/undelivered", name="staff:undelivered")
async def staff_undelivered(request: PortalRequest, program_id: FromPath[int]) -> Response[str]:
    program = await get_program_for_staff(current_user(request), program_id)
    return render(request, "staff/mail/undelivered.html", {
        "program": program, "emails": await queries.list_program_mail_trouble(program_id),
        "counts": await queries.count_program_mail_trouble(program_id),
        "notice": UNDELIVERED_NOTICES.get(request.query_params.get("done", ""), "")})


@post("/staff/programs/{program_id:int}/undelivered/send-again", name="staff:undelivered-send-again")
async def staff_undelivered_send_again(request: PortalRequest, program_id: FromPath[int]) -> Response[str]:
    await get_program_for_staff(current_user(request), program_id)
    email_id = _email_id(await read_form(request))
    requeued = await mail.requeue_email(actor(request), email_id, program=program_id)
    done = "sent-again" if requeued else "not-failed"
    return redirect(request, f"/staff/programs/{program_id}/undelivered?done={done}")


@post("/staff/programs/{program_id:int}/undelivered/send-all-again", name="staff:undelivered-send-all-again")
async def staff_undelivered_send_all_again(request: PortalRequest, program_id: FromPath[int]) -> Response[str]:
    await get_program_for_staff(current_user(request), program_id)
    count = await mail.requeue_failed_emails(actor(request), program=program_id)
    done = "sent-all-again" if count else "none-failed"
    return redirect(request, f"/staff/programs/{program_id}/undelivered?done={done}")


def _require_admin(request: PortalRequest) -> None:
    # Administrators only: the outbox holds password-reset and invitation links, which are credentials.
    if not current_user(request).is_admin:
        raise Forbidden("The outbox is for administrators: it holds sign-in links.")


@get("/admin/outbox", name="admin:outbox")
async def staff_outbox(request: PortalRequest) -> Response[str]:
    _require_admin(request)
    raw = request.query_params.get("page", "1")
    messages, page, pages = await queries.list_outbox(int(raw[:6]) if raw.isdigit() else 1)
    trouble, failed = await queries.list_outbox_trouble()
    return render(request, "staff/mail/outbox.html", {
        "messages": messages, "page": page, "pages": pages, "trouble": trouble, "failed_count": failed,
        "notice": OUTBOX_NOTICES.get(request.query_params.get("done", ""), "")})


@post("/admin/outbox/requeue", name="admin:outbox-requeue")
async def staff_outbox_requeue(request: PortalRequest) -> Response[str]:
    _require_admin(request)
    requeued = await mail.requeue_email(actor(request), _email_id(await read_form(request)))
    return redirect(request, f"/admin/outbox?done={'requeued' if requeued else 'not-failed'}")


@post("/admin/outbox/requeue-failed", name="admin:outbox-requeue-failed")
async def staff_outbox_requeue_failed(request: PortalRequest) -> Response[str]:
    _require_admin(request)
    count = await mail.requeue_failed_emails(actor(request))
    return redirect(request, f"/admin/outbox?done={'requeued-all' if count else 'none-failed'}")


ROUTES = [staff_outbox, staff_outbox_requeue, staff_outbox_requeue_failed,
          staff_undelivered, staff_undelivered_send_again, staff_undelivered_send_all_again]
