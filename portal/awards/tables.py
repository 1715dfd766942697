"""Award decisions and their letters."""

from piccolo.columns import (
    BigInt,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from portal.accounts.tables import User
from portal.applications.tables import Application


class Award(Table, tablename="award"):
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
