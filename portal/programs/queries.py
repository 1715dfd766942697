"""Reading programs."""

from __future__ import annotations

from portal.core import clock
from portal.programs.eligibility import Spec
from portal.programs.records import CriterionRecord, FormVersionRecord, ProgramRecord, PublicProgram
from portal.programs.tables import Criterion, FormVersion, Program, ProgramFunder

PROGRAM_COLUMNS = (
    Program.id, Program.network, Program.network._.name.as_alias("network_name"), Program.slug, Program.title,
    Program.summary, Program.description, Program.offer_kind, Program.offer_text, Program.budget_cents,
    Program.max_award_cents, Program.seats, Program.max_ta_hours, Program.rolling_decisions, Program.status,
    Program.opens_at, Program.deadline_at, Program.timezone, Program.grace_minutes, Program.letter_signatory,
    Program.letter_conditions, Program.award_start, Program.award_end, Program.contact_email, Program.created_at,
)
"""The columns of a `ProgramRecord`: every column of program but eligibility, and its network's name."""


# The busiest public page: plain SQL (Piccolo spent longer building this join than the database running it).
PUBLIC_LIST_SQL = """
SELECT p.id, p.slug, p.title, p.summary, p.offer_kind, p.offer_text, p.max_award_cents, p.budget_cents, p.status,
       p.opens_at, p.deadline_at, p.timezone, n.name AS network_name
FROM program p JOIN organisation n ON n.id = p.network
WHERE p.status <> 'draft' ORDER BY p.deadline_at
"""


async def list_public_programs() -> list[PublicProgram]:
    """Open and closed programs (not drafts), soonest deadline first among the open ones."""
    now = clock.now()
    programs = [PublicProgram.of(row, now) for row in await Program.raw(PUBLIC_LIST_SQL)]
    programs.sort(key=lambda p: (not p.is_open, p.deadline_at))
    return programs


async def get_program_by_slug(slug: str) -> ProgramRecord | None:
    row = await Program.select(*PROGRAM_COLUMNS).where(Program.slug == slug).first()
    return ProgramRecord.of(row) if row else None


async def get_program(program_id: int) -> ProgramRecord | None:
    row = await Program.select(*PROGRAM_COLUMNS).where(Program.id == program_id).first()
    return ProgramRecord.of(row) if row else None


async def list_funder_names(program_id: int) -> list[str]:
    rows = await ProgramFunder.select(ProgramFunder.funder._.name.as_alias("name")).where(
        ProgramFunder.program == program_id)
    return [r["name"] for r in rows]


async def current_form(program_id: int, kind: str) -> FormVersionRecord | None:
    """The newest version of a program's form of `kind` (application | report), schema loaded."""
    row = await FormVersion.select().where(
        (FormVersion.program == program_id) & (FormVersion.kind == kind)
    ).order_by(FormVersion.version, ascending=False).output(load_json=True).first()
    return FormVersionRecord.of(row) if row else None


async def get_form_version(form_version_id: int) -> FormVersionRecord | None:
    row = await FormVersion.select().where(FormVersion.id == form_version_id).output(load_json=True).first()
    return FormVersionRecord.of(row) if row else None


async def list_criteria(program_id: int) -> list[CriterionRecord]:
    rows = await Criterion.select().where(Criterion.program == program_id).order_by(Criterion.position)
    return [CriterionRecord.of(row) for row in rows]


async def get_eligibility(program_id: int) -> Spec:
    """The program's eligibility questions and rules (portal/programs/eligibility.py); {} if it asks none."""
    row = await Program.select(Program.eligibility).where(Program.id == program_id).output(load_json=True).first()
    spec = row["eligibility"] if row else {}
    return spec if isinstance(spec, dict) else {}
