"""Awards, their letters, and the grantee's answer to each (accepted, signed, or declined).

The answer's table is here, beside the award, rather than in `acceptance/`: the award's letter (services.letter_bytes)
reads which letter was signed, and the acceptance sub-domain builds on the award's services."""

from piccolo.columns import (
    BigInt,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from portal.accounts.tables import User
from portal.applications.tables import Application


class Award(Table, tablename="award"):
    id: Serial  # the primary key Piccolo adds, declared for the type checker
    application = ForeignKey(Application, on_delete=OnDelete.restrict, unique=True)
    amount_cents = BigInt()  # what it means depends on the program's offer kind: see portal/awards/terms.py
    ta_hours = Integer(default=0)  # hours of technical assistance, alone or beside cash
    conditions = Text(default="")
    start_date = Date(null=True, default=None)
    end_date = Date(null=True, default=None)
    status = Varchar(length=16, default="offered")  # offered | accepted | declined
    decided_by = ForeignKey(User, on_delete=OnDelete.restrict)
    decided_at = Timestamptz()
    letter_file = Varchar(length=80, default="")  # stored name under the data directory
    letter_sha256 = Varchar(length=64, default="")


class AwardAcceptance(Table, tablename="award_acceptance"):
    id: Serial  # the primary key Piccolo adds, declared for the type checker
    award = ForeignKey(Award, on_delete=OnDelete.restrict, unique=True)  # unique: separate migration
    user = ForeignKey(User, on_delete=OnDelete.restrict)
    typed_name = Varchar(length=200, default="")
    title = Varchar(length=200, default="")
    decision = Varchar(length=16)  # accepted | declined
    reason = Text(default="")
    at = Timestamptz()
    ip_address = Varchar(length=64, default="")
    letter_sha256 = Varchar(length=64, default="")  # the award letter the signer read
    countersigned_file = Varchar(length=80, default="")  # letter + signature page, under files/countersigned
    countersigned_sha256 = Varchar(length=64, default="")
