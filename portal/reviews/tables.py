"""Reviewer assignments, reviews and per-criterion scores."""

from piccolo.columns import (
    ForeignKey,
    OnDelete,
    Real,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from portal.accounts.tables import User
from portal.applications.tables import Application
from portal.programs.tables import Criterion


class Assignment(Table, tablename="review_assignment"):
    application = ForeignKey(Application, on_delete=OnDelete.restrict, index=True)
    reviewer = ForeignKey(User, on_delete=OnDelete.restrict, index=True)
    assigned_by = ForeignKey(User, on_delete=OnDelete.restrict)
    assigned_at = Timestamptz()
    status = Varchar(length=16, default="assigned")  # assigned | submitted
    submitted_at = Timestamptz(null=True, default=None)
    comment = Text(default="")

    # unique (application, reviewer): a unique index in migrations/ (SQLite cannot add constraints)


class Score(Table, tablename="review_score"):
    assignment = ForeignKey(Assignment, on_delete=OnDelete.cascade, index=True)
    criterion = ForeignKey(Criterion, on_delete=OnDelete.restrict)
    value = Real()
    comment = Text(default="")

    # unique (assignment, criterion): a unique index in migrations/ (SQLite cannot add constraints)
