"""An award's payment schedule: tranches released on acceptance, on a report's approval, or on a date."""

from piccolo.columns import BigInt, Date, ForeignKey, Integer, OnDelete, Serial, Timestamptz, Varchar
from piccolo.table import Table

from portal.awards.tables import Award
from portal.payments.tables import Payment


class Tranche(Table, tablename="tranche"):
    id: Serial  # the primary key Piccolo adds, declared for the type checker
    award = ForeignKey(Award, on_delete=OnDelete.restrict, index=True)
    position = Integer()  # unique with award: separate migration
    amount_cents = BigInt()
    trigger = Varchar(length=24)  # on_acceptance | on_report_approval | on_date
    report_kind = Varchar(length=16, default="")  # interim | final, for on_report_approval
    due_date = Date(null=True, default=None)  # for on_date
    status = Varchar(length=16, default="scheduled")  # scheduled | released | paid | failed | reversed
    payment = ForeignKey(Payment, on_delete=OnDelete.restrict, null=True, default=None)
    released_at = Timestamptz(null=True, default=None)
