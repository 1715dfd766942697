"""Draft award decisions of a program round (the decision board), kept until staff release the round."""

from piccolo.columns import BigInt, ForeignKey, Integer, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table

from portal.accounts.tables import User
from portal.applications.tables import Application
from portal.programs.tables import Program


class Decision(Table, tablename="decision"):
    """One application's decision on the board: a draft until `released_at` is set by the round's release."""

    id: Serial  # the primary key Piccolo adds, declared for the type checker

    program = ForeignKey(Program, on_delete=OnDelete.restrict, index=True)
    application = ForeignKey(Application, on_delete=OnDelete.restrict)  # unique: a unique index in migrations/
    outcome = Varchar(length=16)  # award | decline | waitlist
    amount_cents = BigInt(default=0)  # award: the amount (cash, travel) or the value of the seat or hours
    quantity = Integer(default=0)  # award: hours of technical assistance (ta_hours), 1 seat (cohort_seat)
    tie_break_note = Text(default="")  # the tie-break rule, when tied applications straddle the funding line
    note = Text(default="")  # decline and waitlist: the note sent to the city
    decided_by = ForeignKey(User, on_delete=OnDelete.restrict)
    updated_at = Timestamptz()
    released_at = Timestamptz(null=True, default=None)
    award_id = Integer(null=True, default=None)  # the Award made at release
