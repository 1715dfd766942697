"""Cross-domain records: the audit trail and the outbox of every email sent."""

from piccolo.columns import JSON, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table


class AuditEvent(Table, tablename="audit_event"):
    """One append-only row per state change: who, what, which object, when (UTC), from where; chained by hashes."""

    id: Serial  # the primary key Piccolo adds, declared for the type checker

    at = Timestamptz(index=True)
    actor_id = Integer(null=True, index=True)  # user id; null for the system or an anonymous visitor
    action = Varchar(length=80)
    object_type = Varchar(length=40)
    object_id = Integer(null=True)
    ip_address = Varchar(length=64, default="")
    detail = JSON(default="{}")
    prev_hash = Varchar(length=64, default="")  # the previous row's row_hash (portal.core.audit: the chain)
    row_hash = Varchar(length=64, default="")  # SHA-256 of prev_hash and this row's content


class OutboundEmail(Table, tablename="outbound_email"):
    """Every email the portal sends, kept so that none is silently dropped (the staff outbox)."""

    id: Serial  # the primary key Piccolo adds, declared for the type checker

    created_at = Timestamptz(index=True)
    to_address = Varchar(length=320, index=True)
    subject = Varchar(length=300)
    body_text = Text()
    status = Varchar(length=16, default="queued")  # queued | sending | sent | failed | not_configured
    sent_at = Timestamptz(null=True, default=None)
    error = Text(default="")
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(null=True, default=None)  # a queued row is not tried before this (none: at once)
    claimed_at = Timestamptz(null=True, default=None)  # when a worker took it for sending
    retry_since = Timestamptz(null=True, default=None)  # the retry period runs from here (none: created_at)
    # What the email concerns, so that the program's staff see theirs when it fails (ids, not foreign keys: the
    # outbox is kept whatever becomes of a program or an application; none for account mail, e.g. a reset).
    kind = Varchar(length=40, default="")  # the template: application_submitted, invitation, award_made...
    program_id = Integer(null=True, default=None, index=True)
    application_id = Integer(null=True, default=None)
