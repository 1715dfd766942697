"""The grantee's answer to an award: accepted (signed) or declined."""

from piccolo.columns import ForeignKey, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from portal.accounts.tables import User
from portal.awards.tables import Award


class AwardAcceptance(Table, tablename="award_acceptance"):
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
