"""Funder summaries: what happened in the programs a funder funds, and nothing about any other program.

Every query takes program ids that the caller has already limited to the funder's own programs
(`funded_programs`). Money is summed in Python: SQLite's SUM returns floats.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import msgspec
from piccolo.query.functions.aggregate import Count

from portal.applications.tables import Application
from portal.awards.tables import Award
from portal.awards.records import FunderAward
from portal.core.actor import Principal
from portal.core.errors import Forbidden, NotFound
from portal.dashboards.records import FundedProgram, FundedProgramPage, FunderSummary
from portal.payments.ledger import queries as ledger
from portal.programs.tables import ProgramFunder
from portal.reporting.queries import RECEIVED_STATUSES
from portal.reporting.tables import Report

NOT_SUBMITTED = ("draft", "withdrawn")
# An award the city turned down is not money committed.
COUNTED_AWARD_STATUSES = ("offered", "accepted")


async def funded_programs(funder_ids: list[int], program_id: int | None = None) -> list[FundedProgram]:
    """The programs any of `funder_ids` funds (or just `program_id`, if they fund it), each once, with the
    amount those funders pledged."""
    if not funder_ids:
        return []
    query = ProgramFunder.select(
        ProgramFunder.program.as_alias("id"),
        ProgramFunder.program._.title.as_alias("title"),
        ProgramFunder.program._.slug.as_alias("slug"),
        ProgramFunder.program._.status.as_alias("status"),
        ProgramFunder.program._.offer_kind.as_alias("offer_kind"),
        ProgramFunder.program._.budget_cents.as_alias("budget_cents"),
        ProgramFunder.program._.network._.name.as_alias("network_name"),
        ProgramFunder.funder._.name.as_alias("funder_name"),
        ProgramFunder.pledged_cents,
    ).where(ProgramFunder.funder.is_in(funder_ids)).order_by(ProgramFunder.program._.title)
    if program_id is not None:
        query = query.where(ProgramFunder.program == program_id)
    by_program: dict[int, list[dict[str, Any]]] = {}  # one row per funder of the program, in title order
    for row in await query:
        by_program.setdefault(row["id"], []).append(row)
    return [_funded_program(rows) for rows in by_program.values()]


def _funded_program(rows: list[dict[str, Any]]) -> FundedProgram:
    """The program of its rows of `funded_programs` (one per funder), with their names and pledges summed."""
    first = rows[0]
    return FundedProgram(id=first["id"], title=first["title"], slug=first["slug"], status=first["status"],
                         offer_kind=first["offer_kind"], budget_cents=int(first["budget_cents"]),
                         network_name=first["network_name"], funder_names=tuple(r["funder_name"] for r in rows),
                         pledged_cents=sum(int(r["pledged_cents"]) for r in rows))


async def count_submitted_applications(program_ids: list[int]) -> dict[int, int]:
    """Applications that reached staff (submitted, awarded, declined), per program."""
    if not program_ids:
        return {}
    rows = await Application.select(Application.program, Count(Application.id, alias="n")).where(
        Application.program.is_in(program_ids) & Application.status.not_in(list(NOT_SUBMITTED))
    ).group_by(Application.program)
    return {r["program"]: int(r["n"]) for r in rows}


async def list_awards(program_ids: list[int]) -> list[FunderAward]:
    """Every award of the programs, with its city: largest first."""
    if not program_ids:
        return []
    rows = await Award.select(
        Award.id, Award.amount_cents, Award.ta_hours, Award.status, Award.start_date, Award.end_date,
        Award.decided_at, Award.application._.program.as_alias("program_id"),
        Award.application._.program._.offer_kind.as_alias("offer_kind"),
        Award.application._.organisation._.name.as_alias("city_name"),
        Award.application._.organisation._.state.as_alias("city_state"),
    ).where(Award.application._.program.is_in(program_ids))
    awards = [FunderAward.of(row) for row in rows]  # what each gives, in its own unit: `terms` (a seat, hours, money)
    awards.sort(key=lambda a: (-a.amount_cents, a.city_name))
    return awards


async def count_reports_received(program_ids: list[int]) -> dict[int, int]:
    """Follow-up reports received (submitted, approved or not), per program."""
    if not program_ids:
        return {}
    rows = await Report.select(Report.award._.application._.program.as_alias("program_id"),
                               Count(Report.id, alias="n")).where(
        Report.award._.application._.program.is_in(program_ids) & Report.status.is_in(list(RECEIVED_STATUSES))
    ).group_by(Report.award._.application._.program)
    return {r["program_id"]: int(r["n"]) for r in rows}


async def summaries(programs: list[FundedProgram]) -> list[FunderSummary]:
    """Each program with its figures: applications, awards, total awarded, awards by city, reports.

    Four queries whatever the number of programs.
    """
    ids = [p.id for p in programs]
    applications = await count_submitted_applications(ids)
    reports = await count_reports_received(ids)
    awards_by_program: dict[int, list[FunderAward]] = defaultdict(list)
    for award in await list_awards(ids):
        awards_by_program[award.program_id].append(award)
    out = []
    for program in programs:
        awards = awards_by_program[program.id]
        counted = [a for a in awards if a.status in COUNTED_AWARD_STATUSES]
        out.append(FunderSummary(
            **msgspec.structs.asdict(program),
            applications=applications.get(program.id, 0),
            awards=awards,
            award_count=len(counted),
            awarded_cents=sum(a.amount_cents for a in counted),
            reports_received=reports.get(program.id, 0),
        ))
    return out


async def get_funded_program_for(user: Principal, program_id: int) -> FundedProgramPage:
    """One program the user's funder organisations fund, with its figures.

    Forbidden (403) for a signed-in user who is no funder; NotFound (404) for a program none of the
    user's funder organisations funds, whether or not it exists.
    """
    if not user.is_funder:
        raise Forbidden("This page is for the funders of a program.")
    programs = await funded_programs(user.funder_ids, program_id)
    if not programs:
        raise NotFound()
    summary = (await summaries(programs))[0]
    # Where the money is: the ledger's figures (docs/payments.md), paid out to cities and received from funders.
    money_ledger = await ledger.program_ledger(program_id)
    return FundedProgramPage(**msgspec.structs.asdict(summary), ledger=money_ledger["totals"],
                             funds_received_cents=money_ledger["funds_received_cents"])
