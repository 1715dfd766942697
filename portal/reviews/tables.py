"""Review panels and their members, conflicts of interest, preferences, assignments, reviews (with every
submitted revision kept) and the panel meeting's outcome per application.

A program (one round of a program) has at most one review panel; the panel's applications are the program's
applications that have been submitted. Reviewers also hold a `program_role` row (role `reviewer`) while they
sit on a panel, which is what the session's roles and the older access checks read.
"""

from piccolo.columns import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Real,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from portal.accounts.tables import User
from portal.applications.tables import Application
from portal.programs.tables import Criterion, Program


class ReviewPanel(Table, tablename="review_panel"):
    id: Serial  # the primary key Piccolo adds, declared for the type checker
    program = ForeignKey(Program, on_delete=OnDelete.cascade, unique=True)
    name = Varchar(length=200)
    due_at = Timestamptz(null=True, default=None)  # reviews are due by then (UTC)
    blind = Boolean(default=False)  # reviewers do not see the fields the form marks as identifying
    reviews_per_application = Integer(default=3)  # k
    status = Varchar(length=16, default="open")  # open | closed (no more revisions once closed)
    closed_at = Timestamptz(null=True, default=None)
    overall_threshold = Real(null=True, default=None)  # an application's weighted mean must reach it
    ask_recommendation = Boolean(default=False)  # reviewers also say fund / fund with changes / do not fund
    # The assignment staff are previewing, not yet published: {"pairs": [[application, reviewer], ...],
    # "unfilled": [{"application": id, "missing": n, "reason": "..."}], "computed_at": iso}
    proposal = JSON(default="{}")
    published_at = Timestamptz(null=True, default=None)
    not_discussed_percent = Integer(default=0)  # the bottom share of the ranking the meeting does not discuss
    created_by = ForeignKey(User, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz()


class PanelMember(Table, tablename="panel_member"):
    """A reviewer on a panel (once they accepted the invitation), with what the assignment needs to know."""

    id: Serial  # the primary key Piccolo adds, declared for the type checker

    panel = ForeignKey(ReviewPanel, on_delete=OnDelete.cascade, index=True)
    user = ForeignKey(User, on_delete=OnDelete.cascade, index=True)
    capacity = Integer(default=10)  # at most this many applications
    expertise = Text(default="")  # comma-separated topics, matched against the application's topics
    home_city = Varchar(length=200, default="")  # "Madison, WI": a reviewer living there is conflicted on it
    joined_at = Timestamptz()

    # unique (panel, user): a unique index in migrations/


class ReviewConflict(Table, tablename="review_conflict"):
    """A conflict of interest declared by a reviewer (before opening the application) or recorded by staff.
    Conflicts found from memberships, home city and email domain are not stored: portal/reviews/conflicts/queries.py
    derives them every time, so they follow the data."""

    id: Serial  # the primary key Piccolo adds, declared for the type checker

    application = ForeignKey(Application, on_delete=OnDelete.cascade, index=True)
    reviewer = ForeignKey(User, on_delete=OnDelete.cascade, index=True)
    source = Varchar(length=16)  # reviewer | staff
    reason = Text()
    declared_by = ForeignKey(User, null=True, on_delete=OnDelete.set_null)
    declared_at = Timestamptz()

    # unique (application, reviewer): a unique index in migrations/


class ReviewPreference(Table, tablename="review_preference"):
    """How keen a reviewer is to review an application: eager | willing | not."""

    id: Serial  # the primary key Piccolo adds, declared for the type checker

    application = ForeignKey(Application, on_delete=OnDelete.cascade, index=True)
    reviewer = ForeignKey(User, on_delete=OnDelete.cascade, index=True)
    level = Varchar(length=8)
    updated_at = Timestamptz()

    # unique (application, reviewer): a unique index in migrations/


class Assignment(Table, tablename="review_assignment"):
    id: Serial  # the primary key Piccolo adds, declared for the type checker
    application = ForeignKey(Application, on_delete=OnDelete.restrict, index=True)
    reviewer = ForeignKey(User, on_delete=OnDelete.restrict, index=True)
    assigned_by = ForeignKey(User, on_delete=OnDelete.restrict)
    assigned_at = Timestamptz()
    status = Varchar(length=16, default="assigned")  # assigned | submitted
    submitted_at = Timestamptz(null=True, default=None)
    comment = Text(default="")  # for staff only
    applicant_comment = Text(default="")  # may be shown to the applicant (e.g. in a decline letter)
    recommendation = Varchar(length=16, default="")  # "" | fund | fund_changes | do_not_fund (rules.RECOMMENDATIONS)
    version = Integer(default=0)  # raised by every save: the scoring form's conflict check
    revision = Integer(default=0)  # how many times it was submitted (review_revision keeps each)

    # unique (application, reviewer): a unique index in migrations/ (SQLite cannot add constraints)


class Score(Table, tablename="review_score"):
    id: Serial  # the primary key Piccolo adds, declared for the type checker
    assignment = ForeignKey(Assignment, on_delete=OnDelete.cascade, index=True)
    criterion = ForeignKey(Criterion, on_delete=OnDelete.restrict)
    value = Real()
    comment = Text(default="")

    # unique (assignment, criterion): a unique index in migrations/ (SQLite cannot add constraints)


class ReviewRevision(Table, tablename="review_revision"):
    """A submitted review as it was when submitted; a revised review adds a row, earlier rows are kept."""

    id: Serial  # the primary key Piccolo adds, declared for the type checker

    assignment = ForeignKey(Assignment, on_delete=OnDelete.cascade, index=True)
    revision = Integer()
    scores = JSON()  # [{"criterion": id, "value": v, "comment": "..."}]
    comment = Text(default="")
    applicant_comment = Text(default="")
    recommendation = Varchar(length=16, default="")
    weighted_score = Real(null=True, default=None)
    submitted_at = Timestamptz()

    # unique (assignment, revision): a unique index in migrations/


class PanelOutcome(Table, tablename="panel_outcome"):
    """What the panel meeting decided about one application."""

    id: Serial  # the primary key Piccolo adds, declared for the type checker

    panel = ForeignKey(ReviewPanel, on_delete=OnDelete.cascade, index=True)
    application = ForeignKey(Application, on_delete=OnDelete.cascade, index=True)
    discussion_position = Integer(null=True, default=None)
    status = Varchar(length=16, default="pending")  # pending | discussed | not_discussed | pulled_back (meetings/rules.py)
    consensus_score = Real(null=True, default=None)
    consensus_note = Text(default="")
    minority_view = Text(default="")
    final_rank = Integer(null=True, default=None)
    updated_by = ForeignKey(User, null=True, on_delete=OnDelete.set_null)
    updated_at = Timestamptz(null=True, default=None)

    # unique (panel, application): a unique index in migrations/
