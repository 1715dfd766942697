"""Reading assignments, reviews and the scores staff rank applications by; and the reads for scoring: a reviewer's
queue, one assignment with its panel, others' scores and revisions."""

from __future__ import annotations

from typing import Any, Mapping, Sequence, cast

import msgspec

from portal.accounts.tables import Membership
from portal.applications import blind as blinding
from portal.applications import queries as application_queries
from portal.applications.tables import Application
from portal.core import clock
from portal.programs.tables import Criterion, FormVersion, ProgramRole
from portal.reviews import rules
from portal.reviews.conflicts import queries as conflicts
from portal.reviews.records import (
    ApplicationReview,
    CriterionRow,
    OpenAssignment,
    OtherReview,
    PanelRecord,
    ProgramReviewer,
    QueueGroup,
    QueueItem,
    ReviewedApplication,
    ReviewerAssignment,
    ReviewRevisionRecord,
    ScoreRecord,
    ScoringAssignment,
    ScoringPanel,
)
from portal.reviews.tables import Assignment, PanelMember, ReviewPanel, ReviewRevision, Score

# Applications that have left the draft stage can be reviewed and ranked.
REVIEWABLE_STATUSES = ("submitted", "awarded", "declined")


async def list_criteria(program_id: int) -> list[CriterionRow]:
    """The program's rubric, in order (every column of `criterion`)."""
    rows = await Criterion.select().where(Criterion.program == program_id).order_by(Criterion.position)
    return cast(list[CriterionRow], rows)  # Criterion.select(): exactly CriterionRow's columns


async def scores_of(assignment_id: int) -> dict[int, ScoreRecord]:
    """criterion id -> the score of one review."""
    rows = await Score.select().where(Score.assignment == assignment_id)
    return {r["criterion"]: ScoreRecord.of(r) for r in rows}


async def list_assignments_of_reviewer(user_id: int) -> list[ReviewerAssignment]:
    """A reviewer's own assignments, to do first, newest first within."""
    program = Assignment.application._.program._
    rows = await Assignment.select(
        Assignment.id, Assignment.status, Assignment.assigned_at, Assignment.submitted_at,
        Assignment.application._.title.as_alias("application_title"), program.title.as_alias("program_title"),
        program.deadline_at.as_alias("deadline_at"), program.timezone.as_alias("timezone"),
    ).where(Assignment.reviewer == user_id).order_by(Assignment.assigned_at, ascending=False)
    rows.sort(key=lambda r: r["status"] == "submitted")
    return [ReviewerAssignment(**r) for r in rows]


async def count_open_assignments(user_id: int) -> int:
    return int(await Assignment.count().where((Assignment.reviewer == user_id) & (Assignment.status == "assigned")))


async def reviews_of_application(application_id: int, criteria: list[CriterionRow]) -> list[ApplicationReview]:
    """Every assignment of an application with its reviewer, scores and weighted score (two queries)."""
    rows = await Assignment.select(
        Assignment.id, Assignment.status, Assignment.comment, Assignment.assigned_at, Assignment.submitted_at,
        Assignment.reviewer, Assignment.reviewer._.name.as_alias("reviewer_name"),
        Assignment.reviewer._.email.as_alias("reviewer_email"),
    ).where(Assignment.application == application_id).order_by(Assignment.assigned_at)
    scores = await Score.select().where(Score.assignment.is_in([r["id"] for r in rows] or [0]))
    by_assignment: dict[int, dict[int, ScoreRecord]] = {}
    for s in scores:
        by_assignment.setdefault(s["assignment"], {})[s["criterion"]] = ScoreRecord.of(s)
    reviews = []
    for row in rows:
        mine = by_assignment.get(row["id"], {})
        weighted = (rules.review_score({k: v.value for k, v in mine.items()}, criteria)
                    if row["status"] == "submitted" else None)
        reviews.append(ApplicationReview(**row, scores=mine, weighted_score=weighted))
    return reviews


async def list_program_reviewers(program_id: int) -> list[ProgramReviewer]:
    """The program's reviewer panel: id, name, email, and the cities each belongs to (for conflicts)."""
    rows = await ProgramRole.select(
        ProgramRole.user._.id.as_alias("id"), ProgramRole.user._.name.as_alias("name"),
        ProgramRole.user._.email.as_alias("email"),
    ).where((ProgramRole.program == program_id) & (ProgramRole.role == "reviewer")).order_by(ProgramRole.user._.name)
    cities: dict[int, list[int]] = {}
    if rows:
        memberships = await Membership.select(Membership.user, Membership.organisation).where(
            Membership.user.is_in([r["id"] for r in rows]) & (Membership.organisation._.kind == "city")
        )
        for m in memberships:
            cities.setdefault(m["user"], []).append(m["organisation"])
    return [ProgramReviewer(**r, city_ids=cities.get(r["id"], [])) for r in rows]


async def application_for_review(application_id: int, *, as_reviewer: bool = False) -> ReviewedApplication | None:
    """An application as reviewers and staff read it: its answers, its form's schema, its city and files.

    `blind` says whether its panel reviews blind (False without a panel). `blind_copy` holds, for a blind
    panel, what its reviewers may see: the organisation's name and state emptied, a title without identifying
    values, files with neutral names and none of identifying fields (applications/blind.py);
    templates/reviews/_application.html shows it on a reviewer's page, staff see the original.
    With `as_reviewer`: for a blind panel, the blind copy itself. Conflicts are checked before this is called
    (reviews.access.get_assignment_for answers 404 to a conflicted reviewer)."""
    program, organisation = Application.program._, Application.organisation._
    row = await Application.select(
        Application.id, Application.title, Application.status, Application.answers, Application.requested_cents,
        Application.submitted_at, Application.receipt_number, Application.program,
        program.title.as_alias("program_title"), program.network.as_alias("program_network"),
        program.timezone.as_alias("program_timezone"), Application.organisation,
        organisation.name.as_alias("organisation_name"), organisation.state.as_alias("organisation_state"),
        organisation.email_domain.as_alias("organisation_email_domain"), Application.form_version,
    ).where(Application.id == application_id).output(load_json=True).first()
    if row is None:
        return None
    form = await FormVersion.select(FormVersion.schema).where(
        FormVersion.id == row["form_version"]
    ).output(load_json=True).first()
    schema: dict[str, object] = form["schema"] if form else {"sections": []}
    files = await application_queries.list_files(application_id)
    blind = await blinding.panel_is_blind(row["program"])
    application = ReviewedApplication(**row, schema=schema, files=files, blind=blind, blind_copy=None)
    if not blind:
        return application
    title = blinding.blind_title(schema, {"id": application_id, "title": row["title"], "answers": row["answers"]},
                                 row["organisation_name"] or "")
    blind_copy = msgspec.structs.replace(
        application, title=title, organisation_name="", organisation_state="", organisation_email_domain="",
        organisation=None, files=blinding.neutral_files(application_id, schema, files))
    if as_reviewer:
        return blind_copy
    return msgspec.structs.replace(application, blind_copy=blind_copy)


async def get_panel(program_id: int) -> PanelRecord | None:
    """The program's review panel (a program has at most one), or None."""
    row = await ReviewPanel.select().where(ReviewPanel.program == program_id).output(load_json=True).first()
    return PanelRecord.of(row) if row is not None else None


async def panel_member_ids(panel_id: int) -> list[int]:
    rows = await PanelMember.select(PanelMember.user).where(PanelMember.panel == panel_id)
    return [r["user"] for r in rows]


# --- scoring: a reviewer's queue and one assignment -------------------------------------------------------------

async def get_assignment(assignment_id: int) -> ScoringAssignment | None:
    """An assignment with what the scoring page needs of its application, program and panel."""
    application = Assignment.application._
    row = await Assignment.select(
        Assignment.id, Assignment.application, Assignment.reviewer, Assignment.status, Assignment.comment,
        Assignment.applicant_comment, Assignment.recommendation, Assignment.version, Assignment.revision,
        Assignment.assigned_at, Assignment.submitted_at, application.program.as_alias("program"),
        application.title.as_alias("application_title"), application.program._.title.as_alias("program_title"),
        application.program._.timezone.as_alias("timezone"),
    ).where(Assignment.id == assignment_id).first()
    if row is None:
        return None
    panel = await ReviewPanel.select(
        ReviewPanel.id, ReviewPanel.name, ReviewPanel.due_at, ReviewPanel.status, ReviewPanel.closed_at,
        ReviewPanel.ask_recommendation,
    ).where(ReviewPanel.program == row["program"]).first()
    return ScoringAssignment(**row, panel=ScoringPanel(**panel) if panel is not None else None)


def closed_reason(panel: ScoringPanel | PanelRecord | None, timezone: str = "UTC") -> str | None:
    """Why reviews of this panel can no longer change, or None while it is open."""
    if panel is None or panel.status != "closed":
        return None
    when = ""
    if panel.closed_at:
        when = " on " + clock.as_utc(panel.closed_at).astimezone(clock.zone(timezone)).strftime("%B %-d, %Y")
    return f"The panel closed{when}: reviews can no longer be changed or revised."


async def list_queue(user_id: int, secret: str) -> list[QueueGroup]:
    """A reviewer's queue: their assignments (those they are conflicted on left out), grouped by program (its
    panel's due date first, earliest first; no due date last), and within a group not-submitted first, each part
    in the reviewer's own stable random order (rules.queue_key). Groups with nothing left to do, or whose panel
    is closed, come after the others. Five queries plus the conflict check's."""
    program = Assignment.application._.program
    rows = await Assignment.select(
        Assignment.id, Assignment.application, Assignment.status, Assignment.assigned_at, Assignment.submitted_at,
        Assignment.revision, Assignment.application._.title.as_alias("application_title"),
        program.as_alias("program"), program._.title.as_alias("program_title"),
        program._.timezone.as_alias("timezone"),
    ).where(Assignment.reviewer == user_id)
    if not rows:
        return []
    found = await conflicts.conflicts([r["application"] for r in rows], [user_id])
    rows = [r for r in rows if (r["application"], user_id) not in found]
    titles = await blinding.titles_for_reviewers(r["application"] for r in rows)
    program_ids = sorted({r["program"] for r in rows})
    panels = {p["program"]: p for p in await ReviewPanel.select(
        ReviewPanel.program, ReviewPanel.name, ReviewPanel.due_at, ReviewPanel.status,
    ).where(ReviewPanel.program.is_in(program_ids or [0]))}
    now = clock.now()
    items: dict[int, list[QueueItem]] = {}
    first: dict[int, dict[str, Any]] = {}
    for r in rows:
        first.setdefault(r["program"], r)
        items.setdefault(r["program"], []).append(QueueItem(
            id=r["id"], application=r["application"], status=r["status"], assigned_at=r["assigned_at"],
            submitted_at=r["submitted_at"], revision=r["revision"], program=r["program"],
            application_title=titles.get(r["application"], r["application_title"])))
    groups = []
    for pid, assignments in items.items():
        panel = panels.get(pid) or {}
        assignments.sort(key=lambda a: (a.status == "submitted", rules.queue_key(secret, user_id, a.id)))
        to_do = sum(a.status != "submitted" for a in assignments)
        due_at = panel.get("due_at")
        groups.append(QueueGroup(
            program=pid, title=first[pid]["program_title"], panel_name=panel.get("name", ""), due_at=due_at,
            timezone=first[pid]["timezone"] or "UTC", closed=panel.get("status") == "closed",
            overdue=bool(due_at and clock.as_utc(due_at) < now and to_do), to_do=to_do, assignments=assignments))
    # Panels with reviews still to do come first, earliest due first; finished or closed ones after them.
    return sorted(groups, key=lambda g: (g.closed or not g.to_do, g.due_at is None,
                                         clock.as_utc(g.due_at) if g.due_at else now, g.title.lower(), g.program))


async def list_open_assignments(user_id: int) -> list[OpenAssignment]:
    """A reviewer's reviews still to do (not submitted), without those they are conflicted on (whose titles
    they may not see), oldest assignment first. For the dashboard; /reviews uses `list_queue`."""
    rows = await Assignment.select(
        Assignment.id, Assignment.application, Assignment.application._.title.as_alias("application_title"),
        Assignment.application._.program._.title.as_alias("program_title"),
    ).where((Assignment.reviewer == user_id) & (Assignment.status == "assigned")).order_by(Assignment.assigned_at)
    found = await conflicts.conflicts([r["application"] for r in rows], [user_id]) if rows else {}
    rows = [r for r in rows if (r["application"], user_id) not in found]
    titles = await blinding.titles_for_reviewers(r["application"] for r in rows)
    return [OpenAssignment(**(r | {"application_title": titles.get(r["application"], r["application_title"])}))
            for r in rows]


def next_in_queue(groups: list[QueueGroup], current_id: int) -> int | None:
    """The next not-submitted assignment after `current_id` in queue order (wrapping round), or None."""
    order = [a.id for g in groups if not g.closed for a in g.assignments if a.status != "submitted"]
    others = [a for a in order if a != current_id]
    if not others:
        return None
    if current_id in order:
        at = order.index(current_id)
        return (order[at + 1:] + order[:at])[0]
    return others[0]


async def others_scores(assignment: ScoringAssignment, criteria: Sequence[Mapping[str, Any]]) -> list[OtherReview]:
    """The other reviewers' submitted reviews of the same application, anonymised ("Reviewer 1", "Reviewer 2" in
    assignment order), without those conflicted on it. Only for a reviewer whose own review is submitted (the
    caller checks; an empty list otherwise)."""
    if assignment.status != "submitted":
        return []
    rows = await Assignment.select(Assignment.id, Assignment.reviewer).where(
        (Assignment.application == assignment.application) & (Assignment.status == "submitted")
        & (Assignment.id != assignment.id)
    ).order_by(Assignment.id)
    if not rows:
        return []
    found = await conflicts.conflicts([assignment.application], [r["reviewer"] for r in rows])
    rows = [r for r in rows if (assignment.application, r["reviewer"]) not in found]
    scores = await Score.select(Score.assignment, Score.criterion, Score.value).where(
        Score.assignment.is_in([r["id"] for r in rows] or [0]))
    values: dict[int, dict[int, float | None]] = {}
    for s in scores:
        values.setdefault(s["assignment"], {})[s["criterion"]] = s["value"]
    return [OtherReview(label=f"Reviewer {n}",
                        scores={cid: rules.plain(v) for cid, v in values.get(r["id"], {}).items()},
                        weighted_score=rules.review_score(values.get(r["id"], {}), criteria))
            for n, r in enumerate(rows, start=1)]


async def revisions_of(assignment_id: int) -> list[ReviewRevisionRecord]:
    """Every submitted revision of a review, newest first."""
    rows = await ReviewRevision.select().where(ReviewRevision.assignment == assignment_id).order_by(
        ReviewRevision.revision, ascending=False).output(load_json=True)
    return [ReviewRevisionRecord.of(r) for r in rows]
