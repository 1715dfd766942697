"""Awards as the rest of the portal sees them: typed, immutable records (the pattern of portal/payments/records.py).

`<Entity>Record` holds every column of its table (`award`, `award_acceptance`; the decision board's are in decisions/records.py); a query that joins
other tables returns a record named for what the caller gets, built directly from its row: `AwardDetail` (an award
with its program and city, what the award page, the letter and the emails show), `CityAward` (a row of a city's
dashboard, read in one round trip of plain SQL), `AcceptanceDetail` (the answer with the signer's name). What an
award gives is its `terms` (portal/awards/terms.py), computed from the record's columns."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import msgspec

from portal.core.records import Record

from portal import db
from portal.awards.terms import AwardTerms


class AwardRecord(Record, frozen=True):
    """Every column of `award` (portal/awards/tables.py)."""

    id: int
    application: int
    amount_cents: int  # what it means depends on the program's offer kind: see portal/awards/terms.py
    ta_hours: int
    conditions: str
    start_date: date | None
    end_date: date | None
    status: str  # offered | accepted | declined
    decided_by: int
    decided_at: datetime
    letter_file: str
    letter_sha256: str


class AwardDetail(AwardRecord, frozen=True):
    """An award with its application, city and program: one award's page, letter, emails and access checks."""

    application_title: str
    application_status: str
    city_id: int
    city_name: str
    city_state: str
    program_id: int
    program_title: str
    program_slug: str
    network_id: int
    network_name: str
    offer_kind: str
    offer_text: str
    letter_signatory: str
    contact_email: str
    program_timezone: str

    @property
    def terms(self) -> AwardTerms:
        """What the award gives, in its own units."""
        return AwardTerms.of(self.offer_kind, self.amount_cents, self.ta_hours)


class CityAward(msgspec.Struct, frozen=True):
    """A row of a city member's awards on the dashboard (`queries.CITY_AWARDS_SQL`)."""

    id: int
    amount_cents: int
    ta_hours: int
    start_date: date | None
    end_date: date | None
    status: str
    city_name: str
    program_title: str
    offer_kind: str
    offer_text: str

    @classmethod
    def of(cls, row: dict[str, Any]) -> CityAward:
        """From raw SQL (`db.to_date` takes a date or its stored text alike, whichever the engine hands back)."""
        return cls(**(row | {"start_date": db.to_date(row["start_date"]), "end_date": db.to_date(row["end_date"])}))

    @property
    def terms(self) -> AwardTerms:
        return AwardTerms.of(self.offer_kind, self.amount_cents, self.ta_hours)


class FunderAward(msgspec.Struct, frozen=True):
    """An award in a funder's summary of a program they fund (portal/dashboards/queries.py `list_awards`)."""

    id: int
    amount_cents: int
    ta_hours: int
    status: str
    start_date: date | None
    end_date: date | None
    decided_at: datetime
    program_id: int
    offer_kind: str
    city_name: str
    city_state: str

    @classmethod
    def of(cls, row: dict[str, Any]) -> FunderAward:
        return cls(**(row | {"amount_cents": int(row["amount_cents"])}))

    @property
    def terms(self) -> AwardTerms:
        return AwardTerms.of(self.offer_kind, self.amount_cents, self.ta_hours)


class Recipient(msgspec.Struct, frozen=True):
    """Someone to tell of a decision: an active owner or member of the city."""

    email: str
    name: str


class AwardAcceptanceRecord(Record, frozen=True):
    """Every column of `award_acceptance`: the grantee's answer to an award."""

    id: int
    award: int
    user: int
    typed_name: str
    title: str
    decision: str  # accepted | declined
    reason: str
    at: datetime
    ip_address: str
    letter_sha256: str  # the award letter the signer read
    countersigned_file: str
    countersigned_sha256: str


class AcceptanceDetail(AwardAcceptanceRecord, frozen=True):
    """The answer with the signer's name and email, as the award page and the signature page show it."""

    user_name: str
    user_email: str


class DecidableApplication(msgspec.Struct, frozen=True):
    """The application a decision is made on, as the decision reads it (locked, in its transaction)."""

    id: int
    status: str
    program: int
    organisation: int
    title: str
    version: int


class ProgramContact(msgspec.Struct, frozen=True):
    """What a decision's email says of the program: its title, the network that runs it, whom to ask."""

    id: int
    title: str
    network_name: str
    contact_email: str
