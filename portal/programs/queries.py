"""Reading programs."""

from __future__ import annotations

from typing import Any

from portal.core import clock
from portal.db import to_datetime
from portal.programs.tables import Criterion, FormVersion, Program, ProgramFunder

PUBLIC_COLUMNS = (
    Program.id, Program.slug, Program.title, Program.summary, Program.offer_kind, Program.offer_text,
    Program.max_award_cents, Program.budget_cents, Program.status, Program.opens_at, Program.deadline_at,
    Program.timezone, Program.network.name, Program.grace_minutes,
)


# The busiest public page: plain SQL (Piccolo spent longer building this join than the database running it).
PUBLIC_LIST_SQL = """
SELECT p.id, p.slug, p.title, p.summary, p.offer_kind, p.offer_text, p.max_award_cents, p.budget_cents, p.status,
       p.opens_at, p.deadline_at, p.timezone, n.name AS "network.name"
FROM program p JOIN organisation n ON n.id = p.network
WHERE p.status <> 'draft' ORDER BY p.deadline_at
"""


async def list_public_programs() -> list[dict[str, Any]]:
    """Open and closed programs (not drafts), soonest deadline first among the open ones."""
    rows = await Program.raw(PUBLIC_LIST_SQL)
    now = clock.now()
    for row in rows:
        row["opens_at"], row["deadline_at"] = to_datetime(row["opens_at"]), to_datetime(row["deadline_at"])
        row["is_open"] = row["status"] == "open" and clock.as_utc(row["opens_at"]) <= now < clock.as_utc(row["deadline_at"])
    rows.sort(key=lambda r: (not r["is_open"], r["deadline_at"]))
    return rows


async def get_program_by_slug(slug: str) -> dict[str, Any] | None:
    return await Program.select(*PUBLIC_COLUMNS, Program.description, Program.network, Program.contact_email).where(
        Program.slug == slug
    ).first()


async def get_program(program_id: int) -> dict[str, Any] | None:
    return await Program.select(*PUBLIC_COLUMNS, Program.description, Program.network, Program.contact_email,
                                Program.letter_signatory, Program.letter_conditions, Program.award_start,
                                Program.award_end).where(Program.id == program_id).first()


async def list_funder_names(program_id: int) -> list[str]:
    rows = await ProgramFunder.select(ProgramFunder.funder.name).where(ProgramFunder.program == program_id)
    return [r["funder.name"] for r in rows]


async def current_form(program_id: int, kind: str) -> dict[str, Any] | None:
    """The newest version of a program's form of `kind` (application | report), schema loaded."""
    return await FormVersion.select().where(
        (FormVersion.program == program_id) & (FormVersion.kind == kind)
    ).order_by(FormVersion.version, ascending=False).output(load_json=True).first()


async def get_form_version(form_version_id: int) -> dict[str, Any] | None:
    return await FormVersion.select().where(FormVersion.id == form_version_id).output(load_json=True).first()


async def list_criteria(program_id: int) -> list[dict[str, Any]]:
    return await Criterion.select().where(Criterion.program == program_id).order_by(Criterion.position)


async def get_eligibility(program_id: int) -> dict[str, Any]:
    """The program's eligibility questions and rules (portal/programs/eligibility.py); {} if it asks none."""
    row = await Program.select(Program.eligibility).where(Program.id == program_id).output(load_json=True).first()
    spec = row["eligibility"] if row else {}
    return spec if isinstance(spec, dict) else {}
