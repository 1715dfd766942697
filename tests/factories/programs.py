"""Program records built in memory, with explicit defaults: for the rules and documents that take a program
(portal/programs/records.py) without a database."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from portal.programs.formdef import Schema
from portal.programs.records import FormVersionRecord, ProgramRecord

DEADLINE = datetime(2026, 2, 28, 23, 59, tzinfo=timezone.utc)


def program_record(**overrides: Any) -> ProgramRecord:
    """An open cash program of network 1, open for the 60 days before DEADLINE, with no grace period."""
    values: dict[str, Any] = {
        "id": 1, "network": 1, "network_name": "Network", "slug": "p", "title": "P", "summary": "",
        "description": "", "offer_kind": "cash", "offer_text": "", "budget_cents": 0, "max_award_cents": 0,
        "seats": 0, "max_ta_hours": 0, "rolling_decisions": False, "status": "open",
        "opens_at": DEADLINE - timedelta(days=60), "deadline_at": DEADLINE, "timezone": "UTC", "grace_minutes": 0,
        "letter_signatory": "", "letter_conditions": "", "award_start": None, "award_end": None,
        "contact_email": "", "created_at": DEADLINE - timedelta(days=90),
    }
    return ProgramRecord(**(values | overrides))


def form_version_record(schema: Schema, **overrides: Any) -> FormVersionRecord:
    """Version 1 of program 1's application form with `schema`."""
    values: dict[str, Any] = {"id": 1, "program": 1, "kind": "application", "version": 1, "title": "",
                              "schema": schema, "created_at": DEADLINE - timedelta(days=90)}
    return FormVersionRecord(**(values | overrides))
