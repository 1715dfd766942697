"""Letter templates per program, letter batches (one round's letters, made in the background) and the letters."""

from piccolo.columns import ForeignKey, Integer, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table

from portal.accounts.tables import User
from portal.applications.tables import Application
from portal.programs.tables import Program


class LetterTemplate(Table, tablename="letter_template"):
    """A program's letter of one kind (award | decline | waitlist): the body is staff text with
    `{{ merge_field }}` placeholders, rendered in a sandboxed Jinja environment. Unique (program, kind)."""

    id: Serial  # the primary key Piccolo adds, declared for the type checker

    program = ForeignKey(Program, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=16)
    subject = Varchar(length=200, default="")
    body = Text(default="")
    updated_at = Timestamptz()
    updated_by = ForeignKey(User, on_delete=OnDelete.set_null, null=True, default=None)


class LetterBatch(Table, tablename="letter_batch"):
    """One request to make a round's letters; a worker claims it (queued -> running -> done | failed)."""

    id: Serial  # the primary key Piccolo adds, declared for the type checker

    program = ForeignKey(Program, on_delete=OnDelete.cascade, index=True)
    kinds = Varchar(length=64)  # comma-separated letter kinds, e.g. "award,decline"
    total = Integer(default=0)
    done = Integer(default=0)
    failed = Integer(default=0)
    status = Varchar(length=16, default="queued")  # queued | running | done | failed
    error = Text(default="")
    requested_by = ForeignKey(User, on_delete=OnDelete.restrict)
    requested_at = Timestamptz()
    started_at = Timestamptz(null=True, default=None)
    heartbeat_at = Timestamptz(null=True, default=None)  # a running batch not heard of for a while is reclaimed
    finished_at = Timestamptz(null=True, default=None)


class Letter(Table, tablename="letter"):
    """One PDF letter as made, stored unchanged under the data directory with its SHA-256."""

    id: Serial  # the primary key Piccolo adds, declared for the type checker

    application = ForeignKey(Application, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=16)
    file = Varchar(length=80)
    sha256 = Varchar(length=64)
    created_at = Timestamptz()
    batch = ForeignKey(LetterBatch, on_delete=OnDelete.set_null, null=True, default=None, index=True)
