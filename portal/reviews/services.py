"""Review state changes: assigning reviewers, saving and submitting reviews. Each says what it writes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from piccolo.columns import Column

from portal.accounts.tables import Membership, User
from portal.applications.tables import Application
from portal.applications import blind as blinding
from portal.core import audit, clock
from portal.core.actor import Actor
from portal.core.errors import Conflict, Invalid, NotFound
from portal.core.mail import queue_email
from portal.db import Duplicate, write_transaction
from portal.programs.tables import ProgramRole
from portal.reviews import queries, rules
from portal.reviews.forms import ReviewInput
from portal.reviews.records import AssignmentRecord, CriterionRow
from portal.reviews.tables import Assignment, ReviewPanel, ReviewRevision, Score


async def assign_reviewer(actor: Actor, application_id: int, reviewer_id: int, public_url: str) -> int:
    """Assign a member of the program's review panel to an application (submitted or later).

    Refuses (Invalid, field `reviewer`) a conflicted reviewer (portal/reviews/conflicts/queries.py: a member of the
    applicant organisation, living in its city, sharing its email domain, or a declared conflict), someone
    not on the panel (panel_member; for a program without a panel, its reviewers as before panels existed)
    and a second assignment of the same reviewer.
    Writes: review_assignment; audit `review.assigned`; email `review_assigned` to the reviewer.
    """
    from portal.reviews.conflicts.queries import conflict_reason
    from portal.reviews.tables import PanelMember, ReviewPanel

    try:
        async with write_transaction():
            application = await Application.select(
                Application.id, Application.title, Application.status, Application.program,
                Application.program._.title,
            ).where(Application.id == application_id).first()
            if application is None:
                raise NotFound()
            if application["status"] not in queries.REVIEWABLE_STATUSES:
                raise Conflict("Only submitted applications can be reviewed.")
            reviewer = await User.select(User.id, User.name, User.email).where(User.id == reviewer_id).first()
            if reviewer is None:
                raise Invalid({"reviewer": "Choose a reviewer from this program's panel."})
            reason = await conflict_reason(reviewer_id, application_id)
            if reason:
                raise Invalid({"reviewer": f"{reviewer['name']} has a conflict of interest with this application "
                                           f"({reason}) and cannot review it."})
            panel = await ReviewPanel.select(ReviewPanel.id).where(
                ReviewPanel.program == application["program"]).first()
            if panel is not None:
                on_panel = await PanelMember.exists().where(
                    (PanelMember.panel == panel["id"]) & (PanelMember.user == reviewer_id))
            else:
                on_panel = await ProgramRole.exists().where(
                    (ProgramRole.program == application["program"]) & (ProgramRole.user == reviewer_id)
                    & (ProgramRole.role == "reviewer"))
            if not on_panel:
                raise Invalid({"reviewer": "Choose a reviewer from this program's panel."})
            rows = await Assignment.insert(Assignment(
                application=application_id, reviewer=reviewer_id, assigned_by=actor.user_id, assigned_at=clock.now(),
            )).returning(Assignment.id)
            assignment_id: int = rows[0]["id"]
            await audit.record(actor, "review.assigned", "review_assignment", assignment_id,
                               application_id=application_id, reviewer_id=reviewer_id)
            await queue_email(reviewer["email"], "review_assigned", {
                "name": reviewer["name"], "program_title": application["program.title"],
                # The title as the reviewer may see it (the blind title on a blind panel).
                "application_title": (await blinding.titles_for_reviewers([application_id]))[application_id],
                "link": f"{public_url}/reviews/{assignment_id}",
            }, program=application["program"], application=application_id)
    except Duplicate:
        raise Invalid({"reviewer": "This reviewer is already assigned to this application."})
    return assignment_id


async def remove_assignment(actor: Actor, assignment_id: int) -> int:
    """Take an assignment back, while its review is not submitted. Returns the application id.
    Writes: deletes the assignment and its draft scores; audit `review.unassigned`.
    Raises Conflict once the review is submitted (submitted reviews are kept)."""
    async with write_transaction():
        row = await Assignment.select().where(Assignment.id == assignment_id).first()
        if row is None:
            raise NotFound()
        assignment = AssignmentRecord.of(row)
        if assignment.status != "assigned":
            raise Conflict("This review is submitted; a submitted review cannot be removed.")
        await Score.delete().where(Score.assignment == assignment_id)
        deleted = await Assignment.delete().where(
            (Assignment.id == assignment_id) & (Assignment.status == "assigned")
        ).returning(Assignment.id)
        if not deleted:
            raise Conflict("This review was submitted meanwhile; it cannot be removed.")
        await audit.record(actor, "review.unassigned", "review_assignment", assignment_id,
                           application_id=assignment.application, reviewer_id=assignment.reviewer)
    return assignment.application


class StaleReview(Conflict):
    """The review changed since the page was rendered (another tab or window): nothing was written.
    `saved_version` is the version now stored, `their_version` the one the page sent."""

    def __init__(self, saved_version: int, their_version: int) -> None:
        super().__init__(f"This review was saved elsewhere meanwhile (saved version {saved_version}; this page has "
                         f"version {their_version}). Nothing was overwritten.")
        self.saved_version = saved_version
        self.their_version = their_version


@dataclass
class Saved:
    version: int  # the review's version now: the next save must send it
    saved_at: datetime


async def _refuse_if_closed(assignment_id: int) -> None:
    """Conflict once the assignment's panel is closed (no more changes or revisions)."""
    row = await Assignment.select(Assignment.application._.program.as_alias("program")).where(
        Assignment.id == assignment_id).first()
    if row is None:
        raise NotFound()
    reason = queries.closed_reason(await queries.get_panel(row["program"]))
    if reason:
        raise Conflict(reason)


async def _write_review(assignment_id: int, entry: ReviewInput, version: int, statuses: tuple[str, ...],
                        updates: dict[Column | str, object]) -> int:
    """Claim the assignment at `version` in one of `statuses` (so a change made meanwhile, or a submitted review
    changed as a draft, is never overwritten), raise its version and replace its scores. Returns the new version.
    Raises StaleReview when the version moved on, Conflict when the status does not allow it."""
    claimed = await Assignment.update({
        Assignment.comment: entry.overall, Assignment.applicant_comment: entry.applicant_comment,
        Assignment.recommendation: entry.recommendation, Assignment.version: Assignment.version + 1, **updates,
    }).where(
        (Assignment.id == assignment_id) & (Assignment.version == version) & Assignment.status.is_in(list(statuses))
    ).returning(Assignment.version)
    if not claimed:
        now = await Assignment.select(Assignment.status, Assignment.version).where(
            Assignment.id == assignment_id).first()
        if now is None:
            raise NotFound()
        if now["status"] not in statuses:
            raise Conflict("This review is submitted: a draft can no longer be saved over it. To change it, "
                           "submit a revision.")
        raise StaleReview(now["version"], version)
    await Score.delete().where(Score.assignment == assignment_id)
    rows = [
        Score(assignment=assignment_id, criterion=cid, value=value, comment=entry.comments.get(cid, ""))
        for cid, value in entry.values.items() if value is not None
    ]
    if rows:
        await Score.insert(*rows)
    new_version: int = claimed[0]["version"]
    return new_version


async def save_review(actor: Actor, assignment_id: int, entry: ReviewInput, version: int) -> Saved:
    """Save a draft review (scores may be missing) if it is still at `version` (what the page was rendered at).
    Writes: review_score rows (replaced), the comments and recommendation, version + 1; audit `review.saved`.
    Raises StaleReview if it changed meanwhile, Conflict if it is submitted or its panel is closed."""
    async with write_transaction():
        await _refuse_if_closed(assignment_id)
        new_version = await _write_review(assignment_id, entry, version, ("assigned",), {})
        await audit.record(actor, "review.saved", "review_assignment", assignment_id,
                           scored=sum(v is not None for v in entry.values.values()), version=new_version)
    return Saved(version=new_version, saved_at=clock.now())


async def submit_review(actor: Actor, assignment_id: int, entry: ReviewInput, criteria: Sequence[CriterionRow],
                        public_url: str, version: int) -> Saved:
    """Submit a review, or a revision of a submitted one while its panel is open: every criterion scored on its
    scale, at the version the page was rendered at.
    Writes: review_score rows, assignment status `submitted`, submitted_at, revision + 1 and version + 1; a
    review_revision row (revision n: scores, comments, recommendation, weighted score; earlier rows stay);
    audit `review.submitted` (first) or `review.revised`; on the first submission, email `review_submitted` to
    the program's contact address, if it has one.
    Raises Invalid if a score is missing or off the scale, Conflict for a rubric mixing directions or a closed
    panel, StaleReview if the review changed meanwhile."""
    problem = rules.rubric_problem(criteria)
    if problem:
        raise Conflict(problem)
    errors = rules.missing_or_invalid(entry.values, criteria, require_all=True)
    if errors:
        raise Invalid({f"score_{cid}": message for cid, message in errors.items()})
    score = rules.review_score(entry.values, criteria)
    now = clock.now()
    async with write_transaction():
        await _refuse_if_closed(assignment_id)
        new_version = await _write_review(assignment_id, entry, version, ("assigned", "submitted"), {
            Assignment.status: "submitted", Assignment.submitted_at: now,
            Assignment.revision: Assignment.revision + 1,
        })
        application = Assignment.application._
        info = await Assignment.select(
            Assignment.application, application.title.as_alias("application_title"),
            Assignment.reviewer._.name.as_alias("reviewer_name"), Assignment.revision,
            application.program.as_alias("program"), application.program._.title.as_alias("program_title"),
            application.program._.contact_email.as_alias("contact_email"),
        ).where(Assignment.id == assignment_id).first()
        if info is None:
            raise NotFound()
        revision = info["revision"]
        await ReviewRevision.insert(ReviewRevision(
            assignment=assignment_id, revision=revision,
            scores=json.dumps([{"criterion": cid, "value": value, "comment": entry.comments.get(cid, "")}
                               for cid, value in entry.values.items() if value is not None]),
            comment=entry.overall, applicant_comment=entry.applicant_comment,
            recommendation=entry.recommendation, weighted_score=score, submitted_at=now,
        ))
        await audit.record(actor, "review.submitted" if revision == 1 else "review.revised", "review_assignment",
                           assignment_id, application_id=info["application"], weighted_score=score,
                           revision=revision)
        if revision == 1 and info["contact_email"]:
            await queue_email(info["contact_email"], "review_submitted", {
                "reviewer": info["reviewer_name"], "program_title": info["program_title"],
                "application_title": info["application_title"] or "Untitled application",
                "weighted_score": score, "link": f"{public_url}/staff/applications/{info['application']}",
            }, program=info["program"], application=info["application"])
    return Saved(version=new_version, saved_at=now)
