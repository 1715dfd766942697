"""Reading a panel's review progress: per reviewer assigned, submitted, due, overdue, last activity, last
reminded."""

from __future__ import annotations

from datetime import datetime

from portal.core import clock
from portal.core.tables import AuditEvent
from portal.db import to_datetime
from portal.reviews.assignment import queries as aq
from portal.reviews.records import PanelRecord, ProgressRow

REMINDED = "review.reminded"


async def _last_activity(program_id: int) -> dict[int, datetime]:
    """Reviewer id -> the last audited change a reviewer made to one of their own reviews of the program
    (a save, a submission, a revision), whatever the action is called."""
    rows = await AuditEvent.raw(
        "SELECT a.reviewer AS reviewer, MAX(e.at) AS last FROM audit_event e "
        "JOIN review_assignment a ON a.id = e.object_id JOIN application p ON p.id = a.application "
        "WHERE e.object_type = 'review_assignment' AND e.actor_id = a.reviewer AND p.program = {} "
        "GROUP BY a.reviewer", program_id)
    last = {r["reviewer"]: to_datetime(r["last"]) for r in rows}
    return {reviewer: clock.as_utc(at) for reviewer, at in last.items() if at is not None}


async def last_reminded(panel_id: int) -> dict[int, datetime]:
    """Reviewer id -> when they were last reminded about this panel (from the audit trail)."""
    rows = await AuditEvent.select(AuditEvent.at, AuditEvent.detail).where(
        (AuditEvent.object_type == "review_panel") & (AuditEvent.object_id == panel_id)
        & (AuditEvent.action == REMINDED)).output(load_json=True)
    result: dict[int, datetime] = {}
    for r in rows:
        detail = r["detail"] if isinstance(r["detail"], dict) else {}
        reviewer = detail.get("reviewer_id")
        if isinstance(reviewer, int):
            at = clock.as_utc(r["at"])
            if reviewer not in result or at > result[reviewer]:
                result[reviewer] = at
    return result


async def list_progress(panel: PanelRecord, now: datetime | None = None) -> list[ProgressRow]:
    """One row per panel member and per anyone else holding a review of the panel's applications: assigned,
    submitted, due (assigned and not submitted), overdue (due, once the panel's due date has passed), last
    activity (their last saved or submitted review, else their last submission time) and last reminded."""
    now = now or clock.now()
    members = await aq.list_panel_members(panel.id)
    assignments = await aq.list_program_assignments(panel.program)
    people: dict[int, tuple[str, str, bool]] = {m.user: (m.name, m.email, True) for m in members}
    assigned: dict[int, int] = dict.fromkeys(people, 0)
    submitted: dict[int, int] = dict.fromkeys(people, 0)
    last: dict[int, datetime] = {}
    for a in assignments:
        people.setdefault(a.reviewer, (a.name, "", False))
        assigned[a.reviewer] = assigned.get(a.reviewer, 0) + 1
        if a.status == "submitted":
            submitted[a.reviewer] = submitted.get(a.reviewer, 0) + 1
            if a.submitted_at is not None:
                at = clock.as_utc(a.submitted_at)
                if a.reviewer not in last or at > last[a.reviewer]:
                    last[a.reviewer] = at
    activity = await _last_activity(panel.program)
    reminded = await last_reminded(panel.id)
    due_at = clock.as_utc(panel.due_at) if panel.due_at else None
    rows = []
    for reviewer, (name, email, member) in people.items():
        if reviewer in activity and (reviewer not in last or activity[reviewer] > last[reviewer]):
            last[reviewer] = activity[reviewer]
        due = assigned.get(reviewer, 0) - submitted.get(reviewer, 0)
        rows.append(ProgressRow(
            reviewer=reviewer, name=name, email=email, member=member, assigned=assigned.get(reviewer, 0),
            submitted=submitted.get(reviewer, 0), due=due, overdue=due if due_at is not None and now > due_at else 0,
            last_activity=last.get(reviewer), last_reminded=reminded.get(reviewer)))
    return sorted(rows, key=lambda r: (-r.overdue, -r.due, r.name.lower()))
