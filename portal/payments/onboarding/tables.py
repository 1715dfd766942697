"""A grantee organisation's Stripe connected account, as last read from Stripe."""

from piccolo.columns import Boolean, ForeignKey, OnDelete, Serial, Timestamptz, Varchar
from piccolo.table import Table

from portal.accounts.tables import Organisation


class OrganisationPayout(Table, tablename="organisation_payout"):
    id: Serial  # the primary key Piccolo adds, declared for the type checker
    organisation = ForeignKey(Organisation, on_delete=OnDelete.restrict, unique=True)  # unique: separate migration
    stripe_account_id = Varchar(length=64)
    charges_enabled = Boolean(default=False)
    payouts_enabled = Boolean(default=False)
    updated_at = Timestamptz()
