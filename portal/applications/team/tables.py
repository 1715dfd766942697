"""The invitations to join an application's team, and the signatures given at submission. The team's members
(`TeamMember`) are in portal/applications/tables.py: the application's access rights are made from them."""

from piccolo.columns import ForeignKey, Integer, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table

from portal.accounts.tables import User
from portal.applications.tables import Application


class TeamInvitation(Table, tablename="application_invitation"):
    """An emailed, one-time link to join an application's team. Only the SHA-256 of the token is stored."""

    id: Serial  # the primary key Piccolo adds, declared for the type checker

    token_hash = Varchar(length=64, unique=True)
    application = ForeignKey(Application, on_delete=OnDelete.restrict, index=True)
    email = Varchar(length=320, index=True)  # lower-cased; only an account with this email may accept
    role = Varchar(length=16)  # editor | viewer
    invited_by = ForeignKey(User, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz()
    expires_at = Timestamptz()
    accepted_at = Timestamptz(null=True, default=None)
    accepted_by = Integer(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)


class Signature(Table, tablename="application_signature"):
    """The signer's attestation, one per submission: the typed name, the exact words attested, who, when
    (UTC) and from which address. Append-only, like the audit trail."""

    id: Serial  # the primary key Piccolo adds, declared for the type checker

    application = ForeignKey(Application, on_delete=OnDelete.restrict, index=True)
    user = ForeignKey(User, on_delete=OnDelete.restrict)
    typed_name = Varchar(length=200)
    attestation = Text()
    signed_at = Timestamptz()
    ip_address = Varchar(length=64, default="")
    receipt_number = Varchar(length=32, default="")
