"""Award and report factories: rows written directly, with explicit defaults."""

from __future__ import annotations

from datetime import date, timedelta

from portal.applications.tables import Application
from portal.awards.tables import Award
from portal.core import clock
from portal.reporting.tables import Report
from tests.factories import form_version_id


async def make_award(application_id: int, decided_by: int, *, amount_cents: int = 1_000_000, status: str = "offered",
                     start_date: date = date(2027, 1, 1), end_date: date = date(2027, 12, 31),
                     ta_hours: int = 0) -> int:
    """An award on an application, which becomes `awarded`."""
    hours = {"ta_hours": ta_hours} if ta_hours else {}  # the column's default otherwise
    rows = await Award.insert(Award(application=application_id, amount_cents=amount_cents, **hours,
                                    conditions="Report.",
                                    start_date=start_date, end_date=end_date, status=status, decided_by=decided_by,
                                    decided_at=clock.now())).returning(Award.id)
    await Application.update({Application.status: "awarded"}).where(Application.id == application_id)
    return rows[0]["id"]


async def make_report(award_id: int, program_id: int, *, kind: str = "interim", status: str = "draft",
                      due_in: timedelta = timedelta(days=180)) -> int:
    now = clock.now()
    rows = await Report.insert(Report(award=award_id, form_version=await form_version_id(program_id, "report"),
                                      kind=kind, due_on=(now + due_in).date(), status=status,
                                      submitted_at=now if status == "submitted" else None,
                                      updated_at=now)).returning(Report.id)
    return rows[0]["id"]
