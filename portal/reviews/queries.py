"""Reading assignments, reviews and the scores staff rank applications by; and the reads for scoring: a reviewer's
queue, one assignment with its panel, others' scores and revisions."""

from __future__ import annotations

from typing import Any

from portal.accounts.tables import Membership
from portal.applications import blind as blinding
from portal.applications import queries as application_queries
from portal.applications.tables import Application
from portal.core import clock
from portal.programs.tables import Criterion, FormVersion, ProgramRole
from portal.reviews import rules
from portal.reviews.conflicts import queries as conflicts
from portal.reviews.tables import Assignment, PanelMember, ReviewPanel, ReviewRevision, Score

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
    application["files"] = await application_queries.list_files(application_id)
    application["blind"] = await blinding.panel_is_blind(application["program"])
    application["blind_copy"] = None
    if application["blind"]:
        schema = application["schema"]
        application["blind_copy"] = application | {
            "title": blinding.blind_title(schema, {"id": application_id, "title": application["title"],
                                                   "answers": application["answers"]},
                                          application["organisation.name"] or ""),
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


# --- scoring: a reviewer's queue and one assignment -------------------------------------------------------------

async def get_assignment(assignment_id: int) -> dict[str, Any] | None:
    """An assignment with what the scoring page needs of its application, program and panel."""
    row = await Assignment.select(
        Assignment.id, Assignment.application, Assignment.reviewer, Assignment.status, Assignment.comment,
        Assignment.applicant_comment, Assignment.recommendation, Assignment.version, Assignment.revision,
        Assignment.assigned_at, Assignment.submitted_at, Assignment.application.program,
        Assignment.application.title, Assignment.application.program.title, Assignment.application.program.timezone,
    ).where(Assignment.id == assignment_id).first()
    if row is None:
        return None
    row["panel"] = await ReviewPanel.select(
        ReviewPanel.id, ReviewPanel.name, ReviewPanel.due_at, ReviewPanel.status, ReviewPanel.closed_at,
        ReviewPanel.ask_recommendation,
    ).where(ReviewPanel.program == row["application.program"]).first()
    return row


def closed_reason(panel: dict[str, Any] | None, timezone: str = "UTC") -> str | None:
    """Why reviews of this panel can no longer change, or None while it is open."""
    if panel is None or panel["status"] != "closed":
        return None
    when = ""
    if panel.get("closed_at"):
        when = " on " + clock.as_utc(panel["closed_at"]).astimezone(clock.zone(timezone)).strftime("%B %-d, %Y")
    return f"The panel closed{when}: reviews can no longer be changed or revised."


async def list_queue(user_id: int, secret: str) -> list[dict[str, Any]]:
    """A reviewer's queue: their assignments (those they are conflicted on left out), grouped by program (its
    panel's due date first, earliest first; no due date last), and within a group not-submitted first, each part
    in the reviewer's own stable random order (rules.queue_key). Each group: {"program", "title", "panel_name",
    "due_at", "timezone", "overdue", "assignments": [...]}; groups with nothing left to do, or whose panel is
    closed, come after the others. Five queries plus the conflict check's."""
    rows = await Assignment.select(
        Assignment.id, Assignment.application, Assignment.status, Assignment.assigned_at, Assignment.submitted_at,
        Assignment.revision, Assignment.application.title, Assignment.application.program,
        Assignment.application.program.title, Assignment.application.program.timezone,
    ).where(Assignment.reviewer == user_id)
    if not rows:
        return []
    found = await conflicts.conflicts([r["application"] for r in rows], [user_id])
    rows = [r for r in rows if (r["application"], user_id) not in found]
    titles = await blinding.titles_for_reviewers(r["application"] for r in rows)
    for r in rows:
        r["application.title"] = titles.get(r["application"], r["application.title"])
    program_ids = sorted({r["application.program"] for r in rows})
    panels = {p["program"]: p for p in await ReviewPanel.select(
        ReviewPanel.program, ReviewPanel.name, ReviewPanel.due_at, ReviewPanel.status,
    ).where(ReviewPanel.program.is_in(program_ids or [0]))}
    now = clock.now()
    groups: dict[int, dict[str, Any]] = {}
    for r in rows:
        pid = r["application.program"]
        panel = panels.get(pid) or {}
        group = groups.setdefault(pid, {
            "program": pid, "title": r["application.program.title"], "panel_name": panel.get("name", ""),
            "due_at": panel.get("due_at"), "timezone": r["application.program.timezone"] or "UTC",
            "closed": panel.get("status") == "closed", "overdue": False, "assignments": [],
        })
        group["assignments"].append(r)
    for group in groups.values():
        group["assignments"].sort(key=lambda a: (a["status"] == "submitted", rules.queue_key(secret, user_id, a["id"])))
        open_left = any(a["status"] != "submitted" for a in group["assignments"])
        group["overdue"] = bool(group["due_at"] and clock.as_utc(group["due_at"]) < now and open_left)
        group["to_do"] = sum(a["status"] != "submitted" for a in group["assignments"])
    # Panels with reviews still to do come first, earliest due first; finished or closed ones after them.
    return sorted(groups.values(), key=lambda g: (g["closed"] or not g["to_do"], g["due_at"] is None,
                                                  clock.as_utc(g["due_at"]) if g["due_at"] else now,
                                                  g["title"].lower(), g["program"]))


async def list_open_assignments(user_id: int) -> list[dict[str, Any]]:
    """A reviewer's reviews still to do (not submitted), without those they are conflicted on (whose titles
    they may not see), oldest assignment first. For the dashboard; /reviews uses `list_queue`."""
    rows = await Assignment.select(
        Assignment.id, Assignment.application, Assignment.application.title, Assignment.application.program.title,
    ).where((Assignment.reviewer == user_id) & (Assignment.status == "assigned")).order_by(Assignment.assigned_at)
    found = await conflicts.conflicts([r["application"] for r in rows], [user_id]) if rows else {}
    rows = [r for r in rows if (r["application"], user_id) not in found]
    titles = await blinding.titles_for_reviewers(r["application"] for r in rows)
    for r in rows:
        r["application.title"] = titles.get(r["application"], r["application.title"])
    return rows


def next_in_queue(groups: list[dict[str, Any]], current_id: int) -> int | None:
    """The next not-submitted assignment after `current_id` in queue order (wrapping round), or None."""
    order = [a["id"] for g in groups if not g["closed"] for a in g["assignments"] if a["status"] != "submitted"]
    others = [a for a in order if a != current_id]
    if not others:
        return None
    if current_id in order:
        at = order.index(current_id)
        return (order[at + 1:] + order[:at])[0]
    return others[0]


async def others_scores(assignment: dict[str, Any], criteria: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The other reviewers' submitted reviews of the same application, anonymised ("Reviewer 1", "Reviewer 2" in
    assignment order), without those conflicted on it: [{"label", "weighted_score", "scores": {criterion: v}}].
    Only for a reviewer whose own review is submitted (the caller checks; an empty list otherwise)."""
    if assignment["status"] != "submitted":
        return []
    rows = await Assignment.select(Assignment.id, Assignment.reviewer).where(
        (Assignment.application == assignment["application"]) & (Assignment.status == "submitted")
        & (Assignment.id != assignment["id"])
    ).order_by(Assignment.id)
    if not rows:
        return []
    found = await conflicts.conflicts([assignment["application"]], [r["reviewer"] for r in rows])
    rows = [r for r in rows if (assignment["application"], r["reviewer"]) not in found]
    scores = await Score.select(Score.assignment, Score.criterion, Score.value).where(
        Score.assignment.is_in([r["id"] for r in rows] or [0]))
    values: dict[int, dict[int, float]] = {}
    for s in scores:
        values.setdefault(s["assignment"], {})[s["criterion"]] = s["value"]
    return [{"label": f"Reviewer {n}", "scores": {cid: rules.plain(v) for cid, v in values.get(r["id"], {}).items()},
             "weighted_score": rules.review_score(values.get(r["id"], {}), criteria)}
            for n, r in enumerate(rows, start=1)]


async def revisions_of(assignment_id: int) -> list[dict[str, Any]]:
    """Every submitted revision of a review, newest first."""
    return await ReviewRevision.select().where(ReviewRevision.assignment == assignment_id).order_by(
        ReviewRevision.revision, ascending=False).output(load_json=True)
