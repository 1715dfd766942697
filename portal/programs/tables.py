"""Programs, who funds them, their forms (as data) and their review rubrics."""

from piccolo.columns import (
    JSON,
    BigInt,
    Boolean,
    Date,
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

from portal.accounts.tables import Organisation, User


class Program(Table, tablename="program"):
    id: Serial  # the primary key Piccolo adds, declared for the type checker
    network = ForeignKey(Organisation, on_delete=OnDelete.restrict, index=True)
    slug = Varchar(length=80, unique=True)
    title = Varchar(length=200)
    summary = Text()
    description = Text(default="")
    offer_kind = Varchar(length=16)  # cash | cohort_seat | ta_hours | travel
    offer_text = Text(default="")  # what a city gets, in words
    budget_cents = BigInt(default=0)
    max_award_cents = BigInt(default=0)
    seats = Integer(default=0)  # cohort_seat: seats in the cohort (0: not set); the decision board's line
    max_ta_hours = Integer(default=0)  # most hours of technical assistance an award carries (0: none beside cash)
    rolling_decisions = Boolean(default=False)  # decided as applications arrive, before the deadline
    status = Varchar(length=16, default="draft", index=True)  # draft | open | closed
    opens_at = Timestamptz()
    deadline_at = Timestamptz()  # UTC
    timezone = Varchar(length=64, default="America/New_York")
    grace_minutes = Integer(default=0)  # submissions are still taken this long after deadline_at
    letter_signatory = Varchar(length=200, default="")
    letter_conditions = Text(default="")
    award_start = Date(null=True, default=None)
    award_end = Date(null=True, default=None)
    contact_email = Varchar(length=320, default="")
    created_at = Timestamptz()
    # Eligibility questions asked before an application opens, as data: see portal/programs/eligibility.py.
    eligibility = JSON(default="{}")


class ProgramFunder(Table, tablename="program_funder"):
    id: Serial  # the primary key Piccolo adds, declared for the type checker
    program = ForeignKey(Program, on_delete=OnDelete.cascade, index=True)
    funder = ForeignKey(Organisation, on_delete=OnDelete.restrict, index=True)
    pledged_cents = BigInt(default=0)

    # unique (program, funder): a unique index in migrations/ (SQLite cannot add constraints)


class ProgramRole(Table, tablename="program_role"):
    """A user's role on one program: staff who run it, or a reviewer on its panel."""

    id: Serial  # the primary key Piccolo adds, declared for the type checker

    program = ForeignKey(Program, on_delete=OnDelete.cascade, index=True)
    user = ForeignKey(User, on_delete=OnDelete.cascade, index=True)
    role = Varchar(length=16)  # staff | reviewer
    created_at = Timestamptz()

    # unique (program, user, role): a unique index in migrations/ (SQLite cannot add constraints)


class FormVersion(Table, tablename="form_version"):
    """A form defined as data. Kind: application or report. A filled form keeps the version it began on."""

    id: Serial  # the primary key Piccolo adds, declared for the type checker

    program = ForeignKey(Program, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=16)  # application | report
    version = Integer()
    title = Varchar(length=200, default="")
    schema = JSON()
    created_at = Timestamptz()

    # unique (program, kind, version): a unique index in migrations/ (SQLite cannot add constraints)


class Criterion(Table, tablename="criterion"):
    """One criterion of a program's weighted rubric."""

    id: Serial  # the primary key Piccolo adds, declared for the type checker

    program = ForeignKey(Program, on_delete=OnDelete.cascade, index=True)
    position = Integer()
    name = Varchar(length=200)
    description = Text(default="")
    weight = Integer()  # relative weight, e.g. 30 for 30 %
    scale_min = Integer(default=1)
    scale_max = Integer(default=5)
    scale_step = Real(default=1.0)  # 1: whole points; 0.5: half points (e.g. 0–5 in halves)
    lower_is_better = Boolean(default=False)  # NIH-style 1–9, where 1 is exceptional
    threshold = Real(null=True, default=None)  # a review's score on this criterion must reach it (None: no threshold)

    # unique (program, position): a unique index in migrations/ (SQLite cannot add constraints)
