"""Reminding reviewers of the reviews they still owe a panel. Each says what it writes."""

from __future__ import annotations

from typing import Any

from portal.accounts.tables import User
from portal.core import audit, clock
from portal.core.actor import Actor
from portal.core.errors import Invalid, NotFound
from portal.core.mail import queue_email
from portal.db import write_transaction
from portal.programs.tables import Program
from portal.reviews.progress.queries import REMINDED, list_progress
from portal.reviews.records import PanelRecord, ProgressRow


async def _remind(actor: Actor, panel: PanelRecord, program: dict[str, Any], row: ProgressRow,
                  email: str, public_url: str, overdue: bool) -> None:
    await queue_email(email, "reviews_reminder", {
        "name": row.name, "count": row.due, "program": program, "due_at": panel.due_at,
        "overdue": overdue, "link": f"{public_url}/reviews",
    }, program=panel.program)
    await audit.record(actor, REMINDED, "review_panel", panel.id, reviewer_id=row.reviewer, due=row.due)


async def send_reminders(actor: Actor, panel: PanelRecord, public_url: str,
                         reviewer_id: int | None = None) -> int:
    """Email each reviewer who still has reviews due on the panel (only `reviewer_id`, if given) one reminder
    with how many are due and the due date. Nobody with nothing due is reminded. Returns how many were sent.
    Raises Invalid when `reviewer_id` has nothing due (or holds no review of the panel).
    Writes: an email `reviews_reminder` and an audit row `review.reminded` (on the panel, with the reviewer)
    per reviewer reminded.
    """
    now = clock.now()
    rows = [r for r in await list_progress(panel, now) if reviewer_id is None or r.reviewer == reviewer_id]
    if reviewer_id is not None and (not rows or rows[0].due == 0):
        raise Invalid({"reviewer": "This reviewer has no review due on this panel: there is nothing to remind them of."})
    due = [r for r in rows if r.due > 0]
    if not due:
        return 0
    async with write_transaction():
        program = await Program.select(Program.title, Program.timezone).where(Program.id == panel.program).first()
        if program is None:
            raise NotFound()
        emails = {u["id"]: u["email"] for u in await User.select(User.id, User.email).where(
            User.id.is_in([r.reviewer for r in due]))}
        for row in due:
            if row.reviewer in emails:
                await _remind(actor, panel, program, row, emails[row.reviewer], public_url, row.overdue > 0)
    return len(due)
