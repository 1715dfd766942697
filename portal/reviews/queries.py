"""Reading assignments, reviews and the scores staff rank applications by."""

from __future__ import annotations

from typing import Any

from portal.accounts.tables import Membership
from portal.applications import blind as blinding
from portal.applications.tables import Application, ApplicationFile
from portal.programs.tables import Criterion, FormVersion, ProgramRole
from portal.reviews import rules
from portal.reviews.tables import Assignment, PanelMember, ReviewPanel, Score

# Applications that have left the draft stage can be reviewed and ranked.
REVIEWABLE_STATUSES = ("submitted", "awarded", "declined")


async def list_criteria(program_id: int) -> list[dict[str, Any]]:
    return await Criterion.select().where(Criterion.program == program_id).order_by(Criterion.position)


async def scores_of(assignment_id: int) -> dict[int, dict[str, Any]]:
    """criterion id -> {"value", "comment"} of one review."""
    rows = await Score.select(Score.criterion, Score.value, Score.comment).where(Score.assignment == assignment_id)
    return {r["criterion"]: {"value": r["value"], "comment": r["comment"]} for r in rows}


async def list_assignments_of_reviewer(user_id: int) -> list[dict[str, Any]]:
    """A reviewer's own assignments, to do first, newest first within."""
    rows = await Assignment.select(
        Assignment.id, Assignment.status, Assignment.assigned_at, Assignment.submitted_at,
        Assignment.application.title, Assignment.application.program.title,
        Assignment.application.program.deadline_at, Assignment.application.program.timezone,
    ).where(Assignment.reviewer == user_id).order_by(Assignment.assigned_at, ascending=False)
    rows.sort(key=lambda r: r["status"] == "submitted")
    return rows


async def count_open_assignments(user_id: int) -> int:
    return await Assignment.count().where((Assignment.reviewer == user_id) & (Assignment.status == "assigned"))


async def reviews_of_application(application_id: int, criteria: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every assignment of an application with its reviewer, scores and weighted score (two queries)."""
    rows = await Assignment.select(
        Assignment.id, Assignment.status, Assignment.comment, Assignment.assigned_at, Assignment.submitted_at,
        Assignment.reviewer, Assignment.reviewer.name, Assignment.reviewer.email,
    ).where(Assignment.application == application_id).order_by(Assignment.assigned_at)
    scores = await Score.select(Score.assignment, Score.criterion, Score.value, Score.comment).where(
        Score.assignment.is_in([r["id"] for r in rows] or [0])
    )
    by_assignment: dict[int, dict[int, dict[str, Any]]] = {}
    for s in scores:
        by_assignment.setdefault(s["assignment"], {})[s["criterion"]] = {"value": s["value"], "comment": s["comment"]}
    for row in rows:
        row["scores"] = by_assignment.get(row["id"], {})
        row["weighted_score"] = (
            rules.review_score({k: v["value"] for k, v in row["scores"].items()}, criteria)
            if row["status"] == "submitted" else None
        )
    return rows


async def list_program_reviewers(program_id: int) -> list[dict[str, Any]]:
    """The program's reviewer panel: id, name, email, and the cities each belongs to (for conflicts)."""
    rows = await ProgramRole.select(ProgramRole.user.id, ProgramRole.user.name, ProgramRole.user.email).where(
        (ProgramRole.program == program_id) & (ProgramRole.role == "reviewer")
    ).order_by(ProgramRole.user.name)
    reviewers = [{"id": r["user.id"], "name": r["user.name"], "email": r["user.email"], "city_ids": []} for r in rows]
    if reviewers:
        memberships = await Membership.select(Membership.user, Membership.organisation).where(
            Membership.user.is_in([r["id"] for r in reviewers]) & (Membership.organisation.kind == "city")
        )
        cities: dict[int, list[int]] = {}
        for m in memberships:
            cities.setdefault(m["user"], []).append(m["organisation"])
        for r in reviewers:
            r["city_ids"] = cities.get(r["id"], [])
    return reviewers


async def application_for_review(application_id: int, *, as_reviewer: bool = False) -> dict[str, Any] | None:
    """An application as reviewers and staff read it: its answers, its form's schema, its city and files.

    `blind` says whether its panel reviews blind (False without a panel). `blind_copy` holds, for a blind
    panel, what its reviewers may see: the same keys with the organisation's name and state emptied, a title
    without identifying values, files with neutral names and none of identifying fields (applications/
    blind.py); templates/reviews/_application.html shows it on a reviewer's page, staff see the original.
    With `as_reviewer`: for a blind panel, the blind copy itself. Conflicts are checked before this is called
    (reviews.access.get_assignment_for answers 404 to a conflicted reviewer)."""
    application = await Application.select(
        Application.id, Application.title, Application.status, Application.answers, Application.requested_cents,
        Application.submitted_at, Application.receipt_number, Application.program, Application.program.title,
        Application.program.network, Application.program.timezone, Application.organisation,
        Application.organisation.name, Application.organisation.state, Application.organisation.email_domain,
        Application.form_version,
    ).where(Application.id == application_id).output(load_json=True).first()
    if application is None:
        return None
    form = await FormVersion.select(FormVersion.schema).where(
        FormVersion.id == application["form_version"]
    ).output(load_json=True).first()
    application["schema"] = form["schema"] if form else {"sections": []}
    application["files"] = await ApplicationFile.select(
        ApplicationFile.id, ApplicationFile.field_key, ApplicationFile.original_name, ApplicationFile.content_type,
        ApplicationFile.size_bytes,
    ).where(ApplicationFile.application == application_id).order_by(ApplicationFile.id)
    application["blind"] = await blinding.panel_is_blind(application["program"])
    application["blind_copy"] = None
    if application["blind"]:
        schema = application["schema"]
        application["blind_copy"] = application | {
            "title": blinding.blind_title(schema, application, application["organisation.name"] or ""),
            "organisation.name": "", "organisation.state": "", "organisation.email_domain": "", "organisation": None,
            "files": blinding.neutral_files(application_id, schema, application["files"]), "blind_copy": None,
        }
        if as_reviewer:
            return application["blind_copy"]
    return application


async def get_panel(program_id: int) -> dict[str, Any] | None:
    """The program's review panel (a program has at most one), or None."""
    return await ReviewPanel.select().where(ReviewPanel.program == program_id).output(load_json=True).first()


async def panel_member_ids(panel_id: int) -> list[int]:
    rows = await PanelMember.select(PanelMember.user).where(PanelMember.panel == panel_id)
    return [r["user"] for r in rows]
