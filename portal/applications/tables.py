"""Applications, their uploaded files and their team's members. The owner is not a team row: it is the
application's creator (`application.created_by`), so applications started before teams existed keep working
unchanged. Invitations and signatures are the team sub-domain's (portal/applications/team/tables.py)."""

from piccolo.columns import (
    JSON,
    BigInt,
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from portal.accounts.tables import Organisation, User
from portal.programs.tables import FormVersion, Program


class Application(Table, tablename="application"):
    id: Serial  # the primary key Piccolo adds, declared for the type checker
    program = ForeignKey(Program, on_delete=OnDelete.restrict, index=True)
    organisation = ForeignKey(Organisation, on_delete=OnDelete.restrict, index=True)
    form_version = ForeignKey(FormVersion, on_delete=OnDelete.restrict)
    status = Varchar(length=16, default="draft", index=True)
    title = Varchar(length=200, default="")
    answers = JSON(default="{}")
    version = Integer(default=1)  # bumped on every save: the optimistic-lock token
    field_versions = JSON(default="{}")  # field key -> the version that last changed it (per-field conflicts)
    requested_cents = BigInt(default=0)
    created_by = ForeignKey(User, on_delete=OnDelete.restrict)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    submitted_at = Timestamptz(null=True, default=None)
    submitted_by = Integer(null=True, default=None)
    receipt_number = Varchar(length=32, null=True, default=None, unique=True)
    content_sha256 = Varchar(length=64, default="")
    decision_note = Text(default="")
    # Deadlines and what happens around submission (see applications/rules.py):
    extended_deadline_at = Timestamptz(null=True, default=None)  # an extension staff gave this application
    extension_reason = Text(default="")
    submission_count = Integer(default=0)  # a reopened application's next receipt ends in -2, -3, ...
    status_reason = Text(default="")  # why it was last withdrawn or reopened

    # unique (program, organisation) among applications not withdrawn: a partial unique index in migrations/
    # (SQLite cannot add constraints); after a withdrawal the city may start again


class ApplicationFile(Table, tablename="application_file"):
    id: Serial  # the primary key Piccolo adds, declared for the type checker
    application = ForeignKey(Application, on_delete=OnDelete.restrict, index=True)
    field_key = Varchar(length=80)
    stored_name = Varchar(length=80, unique=True)
    original_name = Varchar(length=255)
    content_type = Varchar(length=100)
    size_bytes = Integer()
    sha256 = Varchar(length=64)
    uploaded_by = ForeignKey(User, on_delete=OnDelete.restrict)
    uploaded_at = Timestamptz()


class ApplicationPresence(Table, tablename="application_presence"):
    """Who has an application open: refreshed by the open page every 30 seconds and by each save."""

    id: Serial  # the primary key Piccolo adds, declared for the type checker

    application = ForeignKey(Application, on_delete=OnDelete.cascade, index=True)
    user = ForeignKey(User, on_delete=OnDelete.cascade)
    step = Varchar(length=80, default="")
    last_seen = Timestamptz()

    # unique (application, user): a unique index in migrations/


class PendingSave(Table, tablename="pending_save"):
    """Answers posted after the editor's session had expired, kept until the same person signs in again
    (then shown in the form to save). Only a SHA-256 of the token in the sign-in link is stored."""

    id: Serial  # the primary key Piccolo adds, declared for the type checker

    token_hash = Varchar(length=64, unique=True)
    application = ForeignKey(Application, on_delete=OnDelete.cascade, index=True)
    user = ForeignKey(User, on_delete=OnDelete.cascade)
    form_data = JSON()
    created_at = Timestamptz()


class DeadlineReminder(Table, tablename="deadline_reminder"):
    """A deadline reminder sent for a draft: written in the transaction that queues the email, so that each
    kind ("7d", "1d") goes out at most once per application."""

    id: Serial  # the primary key Piccolo adds, declared for the type checker

    application = ForeignKey(Application, on_delete=OnDelete.cascade)
    kind = Varchar(length=8)
    deadline_at = Timestamptz()  # the effective deadline the reminder named
    sent_at = Timestamptz()

    # unique (application, kind): a unique index in migrations/


class TeamMember(Table, tablename="application_member"):
    """A colleague on an application's team: an editor (view and edit) or a viewer (view only)."""

    id: Serial  # the primary key Piccolo adds, declared for the type checker

    application = ForeignKey(Application, on_delete=OnDelete.restrict, index=True)
    user = ForeignKey(User, on_delete=OnDelete.cascade, index=True)
    role = Varchar(length=16)  # editor | viewer
    is_signer = Boolean(default=False)  # the authorised signer; at most one per application (none: the owner)
    added_by = Integer(null=True, default=None)
    created_at = Timestamptz()

    # unique (application, user): a unique index in migrations/ (SQLite cannot add constraints)
