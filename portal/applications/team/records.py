"""Application teams as the rest of the portal sees them: typed, immutable records (the pattern of
portal/payments/records.py). `TeamMemberRecord`, `InvitationRecord` and `SignatureRecord` hold every column of
their tables; the reads that join return records named for what their callers get (`MemberRow`, a row of the team
page; `PendingInvitation`; `FoundInvitation`, an invitation with whom it is from and for what; `InvitationForInvitee`,
one on the invitee's dashboard)."""

from __future__ import annotations

from datetime import datetime

import msgspec

from portal.core.records import Record


class TeamMemberRecord(Record, frozen=True):
    """Every column of `application_member` (portal/applications/tables.py, `TeamMember`)."""

    id: int
    application: int
    user: int
    role: str  # editor | viewer
    is_signer: bool
    added_by: int | None
    created_at: datetime


class MemberRow(msgspec.Struct, frozen=True):
    """A member on the team page (`queries.list_members`): who, their role, whether they sign."""

    user_id: int
    name: str
    email: str
    role: str
    is_signer: bool
    created_at: datetime


class Person(msgspec.Struct, frozen=True):
    """An account's id, name and email (`queries.get_user`: the owner, who is not a team row)."""

    id: int
    name: str
    email: str


class InvitationRecord(Record, frozen=True):
    """Every column of `application_invitation` (portal/applications/team/tables.py)."""

    id: int
    token_hash: str
    application: int
    email: str
    role: str
    invited_by: int | None
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None
    accepted_by: int | None
    revoked_at: datetime | None


class FoundInvitation(InvitationRecord, frozen=True):
    """An invitation found by its link's token (`queries.find_invitation`): who sent it, for which city and
    program."""

    invited_by_name: str | None
    city_name: str
    program_title: str


class PendingInvitation(msgspec.Struct, frozen=True):
    """An invitation waiting for an answer, on the team page (`queries.list_pending_invitations`)."""

    id: int
    email: str
    role: str
    created_at: datetime
    expires_at: datetime
    invited_by_name: str | None


class InvitationForInvitee(msgspec.Struct, frozen=True):
    """An invitation on the invitee's dashboard (`queries.list_invitations_for`)."""

    id: int
    role: str
    expires_at: datetime
    invited_by_name: str | None
    city_name: str
    program_title: str


class SignatureRecord(Record, frozen=True):
    """Every column of `application_signature` (portal/applications/team/tables.py)."""

    id: int
    application: int
    user: int
    typed_name: str
    attestation: str
    signed_at: datetime
    ip_address: str
    receipt_number: str


class Signed(msgspec.Struct, frozen=True):
    """The signature `services.record_signature` kept with a submission (its audit row repeats it)."""

    user_id: int | None
    typed_name: str
    attestation: str
    signed_at: datetime
    ip_address: str

    def audit_detail(self) -> dict[str, object]:
        """As the submission's audit row records it (the time in ISO 8601)."""
        return {"user_id": self.user_id, "typed_name": self.typed_name, "attestation": self.attestation,
                "signed_at": self.signed_at.isoformat(), "ip_address": self.ip_address}
