"""Reading awards: budget left, one award with what its page and letter show, a city's awards."""

from __future__ import annotations

from typing import Any

from portal.accounts.tables import Membership
from portal.applications.tables import Application
from portal.awards.records import AwardDetail, CityAward, ProgramContact, Recipient
from portal.awards.tables import Award
from portal.core.errors import NotFound
from portal.db import placeholders
from portal.programs.tables import Program

AWARD_COLUMNS = (
    Award.id, Award.application, Award.amount_cents, Award.ta_hours, Award.conditions, Award.start_date, Award.end_date,
    Award.status, Award.decided_by, Award.decided_at, Award.letter_file, Award.letter_sha256,
    Award.application._.organisation.as_alias("city_id"),
    Award.application._.organisation._.name.as_alias("city_name"),
    Award.application._.organisation._.state.as_alias("city_state"),
    Award.application._.title.as_alias("application_title"),
    Award.application._.status.as_alias("application_status"),
    Award.application._.program.as_alias("program_id"),
    Award.application._.program._.title.as_alias("program_title"),
    Award.application._.program._.slug.as_alias("program_slug"),
    Award.application._.program._.network.as_alias("network_id"),
    Award.application._.program._.network._.name.as_alias("network_name"),
    Award.application._.program._.offer_kind.as_alias("offer_kind"),
    Award.application._.program._.offer_text.as_alias("offer_text"),
    Award.application._.program._.letter_signatory.as_alias("letter_signatory"),
    Award.application._.program._.contact_email.as_alias("contact_email"),
    Award.application._.program._.timezone.as_alias("program_timezone"),
)


async def committed_cents(program_id: int) -> int:
    """The sum of every award of the program (summed here: SQLite's SUM would be a float)."""
    rows = await Award.select(Award.amount_cents).where(Award.application.program == program_id)
    return sum(int(r["amount_cents"]) for r in rows)


async def budget_left_cents(program_id: int) -> int:
    program = await Program.select(Program.budget_cents).where(Program.id == program_id).first()
    if program is None:
        return 0
    return int(program["budget_cents"]) - await committed_cents(program_id)


async def get_award(award_id: int) -> AwardDetail | None:
    """One award with its program and city, and what it gives (`terms`, portal/awards/terms.py)."""
    row = await Award.select(*AWARD_COLUMNS).where(Award.id == award_id).first()
    return AwardDetail.of(row) if row else None


async def award_for_application(application_id: int) -> AwardDetail | None:
    row = await Award.select(*AWARD_COLUMNS).where(Award.application == application_id).first()
    return AwardDetail.of(row) if row else None


# On every city member's dashboard: plain SQL, as Piccolo took longer to build this join than to run it.
CITY_AWARDS_SQL = """
SELECT a.id, a.amount_cents, a.ta_hours, a.start_date, a.end_date, a.status, o.name AS city_name,
       p.title AS program_title, p.offer_kind AS offer_kind, p.offer_text AS offer_text
FROM award a JOIN application ap ON ap.id = a.application JOIN organisation o ON o.id = ap.organisation
JOIN program p ON p.id = ap.program
WHERE ap.organisation IN ({cities}) ORDER BY a.decided_at DESC
"""


async def list_awards_for_cities(city_ids: list[int]) -> list[CityAward]:
    if not city_ids:
        return []
    rows: list[dict[str, Any]] = await Award.raw(CITY_AWARDS_SQL.format(cities=placeholders(city_ids)),
                                                 *[int(c) for c in city_ids])
    return [CityAward.of(row) for row in rows]


async def city_member_emails(org_id: int) -> list[Recipient]:
    """Active owners and members of a city, to be told of a decision."""
    rows = await Membership.select(
        Membership.user._.email.as_alias("email"), Membership.user._.name.as_alias("name"),
    ).where(
        (Membership.organisation == org_id) & Membership.role.is_in(["owner", "member"])
        & (Membership.user._.is_active == True)  # noqa: E712 (a SQL expression)
    ).order_by(Membership.user._.email)
    return [Recipient(**row) for row in rows]


async def application_status(application_id: int) -> str | None:
    row = await Application.select(Application.status).where(Application.id == application_id).first()
    return row["status"] if row else None



async def program_contact(program_id: int) -> ProgramContact:
    """What a decision's email says of the program; NotFound for no such program."""
    row = await Program.select(Program.id, Program.title, Program.network._.name.as_alias("network_name"),
                               Program.contact_email).where(Program.id == program_id).first()
    if row is None:
        raise NotFound()
    return ProgramContact(**row)
