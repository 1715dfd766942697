"""Applications and their uploaded files."""

from piccolo.columns import (
    JSON,
    BigInt,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from portal.accounts.tables import Organisation, User
from portal.programs.tables import FormVersion, Program


class Application(Table, tablename="application"):
    program = ForeignKey(Program, on_delete=OnDelete.restrict, index=True)
    organisation = ForeignKey(Organisation, on_delete=OnDelete.restrict, index=True)
    form_version = ForeignKey(FormVersion, on_delete=OnDelete.restrict)
    status = Varchar(length=16, default="draft", index=True)
    title = Varchar(length=200, default="")
    answers = JSON(default="{}")
    version = Integer(default=1)  # bumped on every save: the optimistic-lock token
    requested_cents = BigInt(default=0)
    created_by = ForeignKey(User, on_delete=OnDelete.restrict)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    submitted_at = Timestamptz(null=True, default=None)
    submitted_by = Integer(null=True, default=None)
    receipt_number = Varchar(length=32, null=True, default=None, unique=True)
    content_sha256 = Varchar(length=64, default="")
    decision_note = Text(default="")

    # unique (program, organisation): a unique index in migrations/ (SQLite cannot add constraints)


class ApplicationFile(Table, tablename="application_file"):
    application = ForeignKey(Application, on_delete=OnDelete.restrict, index=True)
    field_key = Varchar(length=80)
    stored_name = Varchar(length=80, unique=True)
    original_name = Varchar(length=255)
    content_type = Varchar(length=100)
    size_bytes = Integer()
    sha256 = Varchar(length=64)
    uploaded_by = ForeignKey(User, on_delete=OnDelete.restrict)
    uploaded_at = Timestamptz()
