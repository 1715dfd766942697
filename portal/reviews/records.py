"""Review assignments, scores, panels, their members and conflicts, and the meeting's outcomes as the rest of the
portal sees them: typed, immutable records (the pattern of portal/payments/records.py, docs/architecture.md
"Types"). `<Entity>Record` holds every column of its table and is built by `of(row)`; a query that joins other
tables or computes values returns a record named for what its caller gets (`QueueItem`, `MemberRow`, ...), its
joined columns under plain names (`program_title`, not Piccolo's "application.program.title").

The rubric's criteria stay the program's rows (`CriterionRow`): they belong to the program, and the pure score
arithmetic (rules.py, ranking/) reads them as mappings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Hashable, TypedDict

import msgspec

from portal.core.records import Record

from portal import db
from portal.applications.records import ApplicationFileRecord, NeutralFile


class CriterionRow(TypedDict):
    """A row of `criterion` (portal/programs/tables.py) as `Criterion.select()` returns it."""

    id: int
    program: int
    position: int
    name: str
    description: str
    weight: int
    threshold: float | None
    scale_min: int
    scale_max: int
    scale_step: float
    lower_is_better: bool


class UnfilledEntry(TypedDict):
    application: int
    missing: int
    reason: str


class Proposal(TypedDict, total=False):
    """review_panel.proposal: the assignment staff are previewing ({} when none)."""

    pairs: list[list[int]]  # [[application, reviewer], ...]
    unfilled: list[UnfilledEntry]
    computed_at: str  # ISO time


# --- review_assignment and review_score --------------------------------------------------------------------

class AssignmentRecord(msgspec.Struct, frozen=True):
    """Every column of `review_assignment`."""

    id: int
    application: int
    reviewer: int
    assigned_by: int
    assigned_at: datetime
    status: str  # assigned | submitted
    submitted_at: datetime | None
    comment: str
    applicant_comment: str
    recommendation: str
    version: int
    revision: int

    @classmethod
    def of(cls, row: dict[str, Any]) -> AssignmentRecord:
        if isinstance(row["assigned_at"], datetime):
            return cls(**row)
        return cls(**(row | {"assigned_at": db.to_datetime(row["assigned_at"]),
                             "submitted_at": db.to_datetime(row["submitted_at"])}))


class ScoreRecord(Record, frozen=True):
    """Every column of `review_score`: one criterion's score in one review."""

    id: int
    assignment: int
    criterion: int
    value: float
    comment: str


class ReviewRevisionRecord(msgspec.Struct, frozen=True):
    """Every column of `review_revision` (scores loaded from JSON)."""

    id: int
    assignment: int
    revision: int
    scores: list[dict[str, object]]  # [{"criterion": id, "value": v, "comment": "..."}]
    comment: str
    applicant_comment: str
    recommendation: str
    weighted_score: float | None
    submitted_at: datetime

    @classmethod
    def of(cls, row: dict[str, Any]) -> ReviewRevisionRecord:
        return cls(**(row | {"submitted_at": db.to_datetime(row["submitted_at"])}))


class ReviewerAssignment(msgspec.Struct, frozen=True):
    """A reviewer's assignment in their list (list_assignments_of_reviewer)."""

    id: int
    status: str
    assigned_at: datetime
    submitted_at: datetime | None
    application_title: str
    program_title: str
    deadline_at: datetime | None
    timezone: str


class ScoringPanel(msgspec.Struct, frozen=True):
    """What scoring needs of an assignment's panel."""

    id: int
    name: str
    due_at: datetime | None
    status: str
    closed_at: datetime | None
    ask_recommendation: bool


class ScoringAssignment(msgspec.Struct, frozen=True):
    """An assignment with what the scoring page needs of its application, program and panel (get_assignment)."""

    id: int
    application: int
    reviewer: int
    status: str
    comment: str
    applicant_comment: str
    recommendation: str
    version: int
    revision: int
    assigned_at: datetime
    submitted_at: datetime | None
    program: int
    application_title: str
    program_title: str
    timezone: str
    panel: ScoringPanel | None


class QueueItem(msgspec.Struct, frozen=True):
    """One assignment in a reviewer's queue (its title as the reviewer may see it)."""

    id: int
    application: int
    status: str
    assigned_at: datetime
    submitted_at: datetime | None
    revision: int
    application_title: str
    program: int


class QueueGroup(msgspec.Struct, frozen=True):
    """A program's part of a reviewer's queue (list_queue)."""

    program: int
    title: str
    panel_name: str
    due_at: datetime | None
    timezone: str
    closed: bool
    overdue: bool
    to_do: int
    assignments: list[QueueItem]


class OpenAssignment(msgspec.Struct, frozen=True):
    """A review still to do, on the reviewer's dashboard."""

    id: int
    application: int
    application_title: str
    program_title: str


class ApplicationReview(msgspec.Struct, frozen=True):
    """One review of an application on the staff application page (reviews_of_application)."""

    id: int
    status: str
    comment: str
    assigned_at: datetime
    submitted_at: datetime | None
    reviewer: int
    reviewer_name: str
    reviewer_email: str
    scores: dict[int, ScoreRecord]  # criterion id -> score
    weighted_score: float | None


class OtherReview(msgspec.Struct, frozen=True):
    """Another reviewer's submitted review, anonymised (others_scores)."""

    label: str
    scores: dict[int, str]  # criterion id -> the score as shown
    weighted_score: float | None


class ProgramReviewer(msgspec.Struct, frozen=True):
    """A reviewer of a program, with the cities they belong to (list_program_reviewers)."""

    id: int
    name: str
    email: str
    city_ids: list[int]


# --- review_panel and panel_member -------------------------------------------------------------------------

_PANEL_TIMES = ("due_at", "closed_at", "published_at", "created_at")


class PanelRecord(msgspec.Struct, frozen=True):
    """Every column of `review_panel` (the proposal loaded from JSON)."""

    id: int
    program: int
    name: str
    due_at: datetime | None
    blind: bool
    reviews_per_application: int
    status: str  # open | closed
    closed_at: datetime | None
    overall_threshold: float | None
    ask_recommendation: bool
    proposal: Proposal
    published_at: datetime | None
    not_discussed_percent: int
    created_by: int | None
    created_at: datetime

    @classmethod
    def of(cls, row: dict[str, Any]) -> PanelRecord:
        """The record of a `review_panel` row (every column; `proposal` as loaded JSON or its text)."""
        proposal = row["proposal"]
        if isinstance(proposal, str):
            proposal = msgspec.json.decode(proposal or "{}")
        fixed: dict[str, Any] = {"proposal": proposal if isinstance(proposal, dict) else {}}
        if not isinstance(row["created_at"], datetime):
            fixed |= {name: db.to_datetime(row[name]) for name in _PANEL_TIMES}
        return cls(**(row | fixed))


class PanelDetail(msgspec.Struct, frozen=True):
    """A panel with its program's title, time zone, contact address and network (get_panel, get_panel_of_program)."""

    id: int
    program: int
    name: str
    due_at: datetime | None
    blind: bool
    reviews_per_application: int
    status: str
    closed_at: datetime | None
    overall_threshold: float | None
    ask_recommendation: bool
    program_title: str
    program_timezone: str
    program_contact_email: str
    program_network: int


class PanelMembership(msgspec.Struct, frozen=True):
    """A panel its member sits on, as /panels lists it."""

    panel_id: int
    name: str
    due_at: datetime | None
    status: str
    program_title: str
    program_timezone: str
    capacity: int


class MemberProfile(msgspec.Struct, frozen=True):
    """One member of a panel with their name and address (get_member)."""

    id: int
    user: int
    capacity: int
    expertise: str
    home_city: str
    name: str
    email: str


class MemberRow(msgspec.Struct, frozen=True):
    """A member on the panel's members page, with their load in the program (list_members)."""

    user: int
    name: str
    email: str
    capacity: int
    expertise: str
    home_city: str
    joined_at: datetime
    load: int
    submitted: int


class PendingInvitation(msgspec.Struct, frozen=True):
    id: int
    email: str
    created_at: datetime
    expires_at: datetime


class PanelApplication(msgspec.Struct, frozen=True):
    """One of a panel's applications with its city (list_panel_applications)."""

    id: int
    title: str
    status: str
    organisation_name: str
    organisation_state: str

    @property
    def city(self) -> str:
        return self.organisation_name + (f", {self.organisation_state}" if self.organisation_state else "")


class MemberApplication(msgspec.Struct, frozen=True):
    """What a member bids on: a panel application with their preference and assignment status ("" for none);
    `city` is None on a blind panel (the member sees the title only)."""

    id: int
    title: str
    preference: str
    assignment: str
    city: str | None


class DeclaredConflict(msgspec.Struct, frozen=True):
    """A conflict of interest declared by a reviewer or recorded by staff, as the members page lists it."""

    id: int
    source: str
    reason: str
    declared_at: datetime
    reviewer_name: str
    application_title: str
    organisation_name: str


class PanelProgram(msgspec.Struct, frozen=True):
    """A program as its panel's staff pages (ranking, reviewers, meeting) read it, with its panel."""

    id: int
    title: str
    slug: str
    status: str
    network: int
    timezone: str
    panel: PanelRecord | None


class ApplicationSummary(msgspec.Struct, frozen=True):
    """An application's id, title and status (a panel's application, checked by its access function)."""

    id: int
    title: str
    status: str


# --- panel_outcome -------------------------------------------------------------------------------------------

class PanelOutcomeRecord(msgspec.Struct, frozen=True):
    """Every column of `panel_outcome`: what the meeting decided about one application."""

    id: int
    panel: int
    application: int
    discussion_position: int | None
    status: str  # pending | discussed | not_discussed | pulled_back
    consensus_score: float | None
    consensus_note: str
    minority_view: str
    final_rank: int | None
    updated_by: int | None
    updated_at: datetime | None

    @classmethod
    def of(cls, row: dict[str, Any]) -> PanelOutcomeRecord:
        if row["updated_at"] is None or isinstance(row["updated_at"], datetime):
            return cls(**row)
        return cls(**(row | {"updated_at": db.to_datetime(row["updated_at"])}))


class FinalRank(msgspec.Struct, frozen=True):
    """An application's place in the finalised panel ranking (final_ranking)."""

    application: int
    title: str
    final_rank: int
    consensus_score: float | None
    status: str


# --- the panel assignment ------------------------------------------------------------------------------------

class TopicApplication(msgspec.Struct, frozen=True):
    """A panel application as the assignment reads it: its city and the topics its answers chose."""

    id: int
    title: str
    city: str
    topics: set[str]


class AssignableMember(msgspec.Struct, frozen=True):
    """A panel member as the assignment reads them: capacity and expertise (`terms`, normalised)."""

    member_id: int
    user: int
    name: str
    email: str
    capacity: int
    expertise: str
    terms: set[str]


class ProgramAssignment(msgspec.Struct, frozen=True):
    """An assignment of one of the program's applications, with its reviewer's name."""

    id: int
    application: int
    reviewer: int
    name: str
    status: str
    assigned_at: datetime
    submitted_at: datetime | None


class ProgressRow(msgspec.Struct, frozen=True):
    """A reviewer's progress on a panel (progress/queries.py list_progress): `due` is assigned and not submitted,
    `overdue` the due ones once the panel's due date has passed."""

    reviewer: int
    name: str
    email: str
    member: bool
    assigned: int
    submitted: int
    due: int
    overdue: int
    last_activity: datetime | None
    last_reminded: datetime | None


# --- the ranking ---------------------------------------------------------------------------------------------

class RankingRow(msgspec.Struct, frozen=True):
    """One application of a panel's ranking with its reviews' statistics (ranking/rules.py build_ranking)."""

    id: int
    title: str
    status: str
    organisation_name: str
    organisation_state: str
    n: int
    mean: float | None
    median: float | None
    stdev: float | None
    calibrated: float | None
    rank: int | None
    disputed: bool
    impact: int | None
    percentile: float | None
    criterion_means: dict[int, float]
    passes: bool | None  # None: no score, or nothing has a threshold
    failures: list[str]


class ReviewerStatsRow(msgspec.Struct, frozen=True):
    """A reviewer's statistics on a panel (the reviewers page); `id` is the reviewer's (a user id)."""

    id: Hashable
    name: str
    count: int
    mean: float
    stdev: float | None
    offset: float | None
    verdict: str  # harsh | lenient | in line | ""


class FinalEntry(msgspec.Struct, frozen=True):
    """An application's place in the final order (meetings/rules.py final_order)."""

    id: int
    score: float
    basis: str  # consensus | calibrated
    not_discussed: bool
    rank: int


class ApplicationScores(msgspec.Struct, frozen=True):
    """An application's scores as the ranking computes them (ranking/queries.py scores_for_program)."""

    weighted_mean: float | None
    reviews_done: int
    reviews_assigned: int
    rank: int | None


class ExportedReview(msgspec.Struct, frozen=True):
    """A review as the CSV exports write it: its application, program, reviewer and scores (export/queries.py)."""

    id: int
    application: int
    reviewer: int
    reviewer_name: str
    reviewer_email: str
    status: str
    submitted_at: datetime | None
    comment: str
    applicant_comment: str
    recommendation: str
    application_title: str
    answers: dict[str, object]  # the application's form answers (JSON)
    form_version: int
    program: int
    program_title: str
    program_slug: str
    organisation_name: str
    organisation_state: str
    schema: dict[str, object]  # the form's schema (JSON)
    scores: dict[int, ScoreRecord]  # criterion id -> score


class ReviewedApplication(msgspec.Struct, frozen=True):
    """An application as reviewers and staff read it (queries.application_for_review): its answers, its form's
    schema, its program, its city and files. `blind_copy` is what a blind panel's reviewers may see (None when
    the panel is not blind): the organisation's name, state and domain emptied, a title without identifying
    values, neutral file names and no identifying files."""

    id: int
    title: str
    status: str
    answers: dict[str, object]  # the form's answers (JSON)
    requested_cents: int
    submitted_at: datetime | None
    receipt_number: str | None
    program: int
    program_title: str
    program_network: int
    program_timezone: str
    organisation: int | None
    organisation_name: str
    organisation_state: str
    organisation_email_domain: str
    form_version: int
    schema: dict[str, object]  # the form's schema (JSON)
    files: Sequence[ApplicationFileRecord | NeutralFile]  # its files (for a blind reader: the neutral ones)
    blind: bool
    blind_copy: ReviewedApplication | None
