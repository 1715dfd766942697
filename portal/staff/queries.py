"""Reading for the program staff area, with its access checks (a program's: portal/programs/access.py)."""

from __future__ import annotations

from collections import Counter
import msgspec

from portal.accounts.records import OrganisationRecord
from portal.applications.access import get_application_for
from portal.applications.tables import Application
from portal.core.actor import Principal
from portal.core.errors import NotFound
from portal.programs.access import require_staff
from portal.programs.rules import can_manage_program
from portal.programs.tables import Program, ProgramFunder
from portal.reviews.conflicts import queries as conflicts
from portal.reviews import queries as review_queries
from portal.reviews.ranking import queries as ranking
from portal.reviews import rules as review_rules
from portal.reviews.records import ApplicationScores, ReviewedApplication
from portal.reviews.tables import Assignment
from portal.staff.records import (
    ApplicationCounts, ReviewerChoice, StaffApplicationRow, StaffAssignment, StaffProgram,
)


async def get_application_for_staff(user: Principal, application_id: int) -> ReviewedApplication:
    """An application (submitted or later: drafts stay private to the city) of a program `user` runs, as
    reviewers read it (reviews.queries.application_for_review)."""
    require_staff(user)
    await get_application_for(user, application_id, "staff")
    application = await review_queries.application_for_review(application_id)
    if application is None or application.status not in review_queries.REVIEWABLE_STATUSES:
        raise NotFound()
    return application


async def get_assignment_for_staff(user: Principal, assignment_id: int) -> StaffAssignment:
    require_staff(user)
    row = await Assignment.select(
        Assignment.id, Assignment.application, Assignment.status,
        Assignment.application._.program._.network.as_alias("network"),
    ).where(Assignment.id == assignment_id).first()
    if row is None or not can_manage_program(user, row["network"]):
        raise NotFound()
    return StaffAssignment(**row)


async def list_staff_programs(user: Principal) -> list[StaffProgram]:
    """The programs of the user's networks (every program for admins) with application counts:
    drafts, submitted (submitted or later), reviewed (at least one submitted review) and awarded."""
    query = Program.select(Program.id, Program.title, Program.status, Program.deadline_at, Program.timezone,
                           Program.network._.name.as_alias("network_name")).order_by(Program.deadline_at)
    if not user.is_admin:
        if not user.network_ids:
            return []
        query = query.where(Program.network.is_in(user.network_ids))
    programs = await query
    ids = [p["id"] for p in programs]
    drafts: Counter[int] = Counter()
    submitted: Counter[int] = Counter()
    reviewed: Counter[int] = Counter()
    awarded: Counter[int] = Counter()
    if ids:
        apps = await Application.select(Application.program, Application.status).where(Application.program.is_in(ids))
        for a in apps:
            if a["status"] == "draft":
                drafts[a["program"]] += 1
            elif a["status"] in review_queries.REVIEWABLE_STATUSES:
                submitted[a["program"]] += 1
            if a["status"] == "awarded":
                awarded[a["program"]] += 1
        rows = await Assignment.select(Assignment.application, Assignment.application._.program).where(
            Assignment.application._.program.is_in(ids) & (Assignment.status == "submitted")
        )
        seen = {(r["application.program"], r["application"]) for r in rows}
        for program_id, _ in seen:
            reviewed[program_id] += 1
    return [StaffProgram(**p, counts=ApplicationCounts(drafts=drafts[p["id"]], submitted=submitted[p["id"]],
                                                       reviewed=reviewed[p["id"]], awarded=awarded[p["id"]]))
            for p in programs]


async def list_program_applications(program_id: int) -> list[StaffApplicationRow]:
    """The program's applications submitted or later, with scores and rank, best rank first."""
    rows = await Application.select(
        Application.id, Application.title, Application.status, Application.requested_cents,
        Application.submitted_at, Application.organisation._.name.as_alias("city_name"),
        Application.organisation._.state.as_alias("city_state"),
    ).where((Application.program == program_id) & Application.status.is_in(list(review_queries.REVIEWABLE_STATUSES)))
    scores = await ranking.scores_for_program(program_id)
    empty = ApplicationScores(weighted_mean=None, reviews_done=0, reviews_assigned=0, rank=None)
    applications = [StaffApplicationRow(**row, **msgspec.structs.asdict(scores.get(row["id"], empty)))
                    for row in rows]
    applications.sort(key=lambda a: review_rules.rank_order_key(a.rank, a.city_name + a.title))
    return applications


async def list_program_funders(program_id: int) -> list[OrganisationRecord]:
    """The funder organisations of the program, by name."""
    rows = await ProgramFunder.select(*ProgramFunder.funder.all_columns()).where(
        ProgramFunder.program == program_id
    ).order_by(ProgramFunder.funder._.name)
    return [OrganisationRecord.of({key.removeprefix("funder."): value for key, value in row.items()}) for row in rows]


async def reviewer_choices(program_id: int, application: ReviewedApplication) -> list[ReviewerChoice]:
    """The program's reviewers, each with the reason they may not review this application (`conflict_reason`,
    found or declared: portal/reviews/conflicts/queries.py; "" if none)."""
    reviewers = await review_queries.list_program_reviewers(program_id)
    found = await conflicts.conflicts([application.id], [r.id for r in reviewers])
    return [ReviewerChoice(id=r.id, name=r.name, email=r.email, conflict_reason=found.get((application.id, r.id), ""))
            for r in reviewers]
