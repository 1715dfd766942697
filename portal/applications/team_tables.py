"""The people who write an application together, the invitations to join them, and the signatures given at
submission. The owner is not a row here: it is the application's creator (`application.created_by`), so
applications started before teams existed keep working unchanged."""

from piccolo.columns import Boolean, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from portal.accounts.tables import User
from portal.applications.tables import Application


class TeamMember(Table, tablename="application_member"):
    """A colleague on an application's team: an editor (view and edit) or a viewer (view only)."""

    application = ForeignKey(Application, on_delete=OnDelete.restrict, index=True)
    user = ForeignKey(User, on_delete=OnDelete.cascade, index=True)
    role = Varchar(length=16)  # editor | viewer
    is_signer = Boolean(default=False)  # the authorised signer; at most one per application (none: the owner)
    added_by = Integer(null=True, default=None)
    created_at = Timestamptz()

    # unique (application, user): a unique index in migrations/ (SQLite cannot add constraints)


class TeamInvitation(Table, tablename="application_invitation"):
    """An emailed, one-time link to join an application's team. Only the SHA-256 of the token is stored."""

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

    application = ForeignKey(Application, on_delete=OnDelete.restrict, index=True)
    user = ForeignKey(User, on_delete=OnDelete.restrict)
    typed_name = Varchar(length=200)
    attestation = Text()
    signed_at = Timestamptz()
    ip_address = Varchar(length=64, default="")
    receipt_number = Varchar(length=32, default="")
