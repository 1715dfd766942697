"""Follow-up reports a grantee files on a form the program defines."""

from piccolo.columns import (
    JSON,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from portal.awards.tables import Award
from portal.programs.tables import FormVersion


class Report(Table, tablename="report"):
    id: Serial  # the primary key Piccolo adds, declared for the type checker
    award = ForeignKey(Award, on_delete=OnDelete.restrict, index=True)
    form_version = ForeignKey(FormVersion, on_delete=OnDelete.restrict)
    kind = Varchar(length=16)  # interim | final
    due_on = Date()
    status = Varchar(length=16, default="draft")  # draft | submitted | approved (by staff)
    answers = JSON(default="{}")
    version = Integer(default=1)
    submitted_at = Timestamptz(null=True, default=None)
    submitted_by = Integer(null=True, default=None)
    updated_at = Timestamptz()

    # unique (award, kind): a unique index in migrations/ (SQLite cannot add constraints)
