"""A burst of submissions around a deadline, shared by bench/bench_submit_burst.py (a live server, figures)
and tests/applications/test_submit_burst.py (in-process, correctness in CI).

`plan` spreads the submissions of many drafts over the seconds before and just after the deadline, each
application sent two or three times (a double click, a retry); `outcome` reads one answer of the submit
route; `verify` reads the database afterwards and lists every broken promise:
- lost: an application whose submission was answered "submitted" but which is not submitted;
- duplicated: more than one receipt (audit row `application.submitted`, receipt email, or "submitted"
  answer) for one application, or one receipt number used twice;
- late: submitted at or after the deadline (the server clock decides: submitted_at < deadline_at);
- unexplained: submitted although no answer said so, and answers that are none of the expected kinds.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from portal.applications.tables import Application
from portal.core import clock
from portal.core.tables import AuditEvent, OutboundEmail

ACCEPTED, ALREADY, LATE, OTHER = "accepted", "already submitted", "refused: deadline passed", "other"


@dataclass
class Attempt:
    """One click on Submit: which application, when it was meant to leave (seconds from the deadline),
    when it left and came back (UTC), and what the server answered."""

    application_id: int
    offset: float
    sent_at: datetime | None = None
    answered_at: datetime | None = None
    status: int = 0
    location: str = ""
    outcome: str = OTHER
    error: str = ""

    @property
    def latency_ms(self) -> float:
        assert self.sent_at and self.answered_at
        return (self.answered_at - self.sent_at).total_seconds() * 1000


async def make_drafts(count: int) -> tuple[int, list[tuple[str, int]]]:
    """A program and `count` complete drafts, each of its own city with its own owner (password
    tests.factories.PASSWORD): (program id, [(owner's email, application id)])."""
    from portal.db import write_transaction
    from tests.factories import add_member, make_application, make_org, make_program, make_user

    async with write_transaction():
        network = await make_org("network", "Burst Network")
        program_id = await make_program(network, "burst-fund")
        made = []
        for i in range(count):
            city = await make_org("city", f"Burst City {i}", state="WI")
            email = f"mayor{i}@burst{i}.gov"
            user = await make_user(email, signer_name(email))
            await add_member(user, city, "owner")
            made.append((email, await make_application(program_id, city, user, status="draft")))
    return program_id, made


def signer_name(email: str) -> str:
    """Each city's owner is its authorised signer; the submit form carries their typed name."""
    return f"Mayor {email.split('@')[0].removeprefix('mayor')}"


def signature(email: str) -> dict[str, str]:
    """The submit form's signature fields for the owner of `email`."""
    return {"signature_name": signer_name(email), "signature_attest": "yes"}


def plan(application_ids: list[int], *, before: float, after: float, seed: int = 1) -> list[Attempt]:
    """Two or three submissions per application: the first at a random moment between `before` seconds
    before the deadline and `after` seconds after it, the copies 0-80 ms later (a double click) or up to
    half a second later (a retry). Sorted by the moment they are due."""
    rng = random.Random(seed)
    attempts = []
    for application_id in application_ids:
        first = rng.uniform(-before, after)
        attempts.append(Attempt(application_id, first))
        for _ in range(rng.choice((1, 2))):
            gap = rng.uniform(0, 0.08) if rng.random() < 0.7 else rng.uniform(0.08, 0.5)
            attempts.append(Attempt(application_id, first + gap))
    return sorted(attempts, key=lambda a: a.offset)


def outcome(application_id: int, status: int, location: str, body: str) -> str:
    """What one answer of POST /applications/{id}/submit means."""
    if status in (303, 200) and location == f"/applications/{application_id}?done=submitted":
        return ACCEPTED
    if status in (303, 200) and location == f"/applications/{application_id}":
        return ALREADY
    if status == 409 and "can no longer be submitted" in body:
        return LATE
    return OTHER


@dataclass
class Verdict:
    figures: dict[str, Any] = field(default_factory=dict)
    lost: list[int] = field(default_factory=list)
    duplicated: list[int] = field(default_factory=list)
    late: list[int] = field(default_factory=list)
    unexplained: list[int] = field(default_factory=list)
    other_answers: list[str] = field(default_factory=list)

    @property
    def problems(self) -> dict[str, list]:
        return {name: value for name, value in (
            ("lost", self.lost), ("duplicated", self.duplicated), ("late", self.late),
            ("unexplained", self.unexplained), ("other answers", self.other_answers)) if value}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else 0.0


async def verify(program_id: int, deadline: datetime, attempts: list[Attempt]) -> Verdict:
    """Read the database after the burst and compare it with what the clients were told."""
    rows = await Application.select(Application.id, Application.status, Application.submitted_at,
                                    Application.receipt_number, Application.created_by).where(
        Application.program == program_id)
    ids = {row["id"] for row in rows}
    audits = Counter(row["object_id"] for row in await AuditEvent.select(AuditEvent.object_id).where(
        AuditEvent.action == "application.submitted") if row["object_id"] in ids)
    emails = Counter(row["subject"].rsplit(" ", 1)[-1] for row in await OutboundEmail.select(
        OutboundEmail.subject).where(OutboundEmail.subject.like("Received:%")))
    answers: dict[int, Counter] = {i: Counter() for i in ids}
    for attempt in attempts:
        answers[attempt.application_id][attempt.outcome] += 1
    verdict = Verdict()
    receipts = Counter(row["receipt_number"] for row in rows if row["receipt_number"])
    for row in rows:
        told = answers[row["id"]]
        submitted = row["status"] == "submitted"
        if told[ACCEPTED] and not submitted:
            verdict.lost.append(row["id"])
        if (told[ACCEPTED] > 1 or audits[row["id"]] > 1 or (row["receipt_number"] and
                                                             (receipts[row["receipt_number"]] > 1
                                                              or emails[row["receipt_number"]] > 1))):
            verdict.duplicated.append(row["id"])
        if submitted and clock.as_utc(row["submitted_at"]) >= deadline:
            verdict.late.append(row["id"])
        if submitted and not told[ACCEPTED]:
            verdict.unexplained.append(row["id"])
        if not submitted and audits[row["id"]]:
            verdict.unexplained.append(row["id"])
    verdict.other_answers = [f"application {a.application_id}: {a.status} {a.location} {a.error}".strip()
                             for a in attempts if a.outcome == OTHER]
    sent_before = [a for a in attempts if a.sent_at and a.sent_at < deadline]
    latencies = [a.latency_ms for a in attempts if a.sent_at and a.answered_at]
    by_outcome = Counter(a.outcome for a in attempts)
    verdict.figures = {
        "applications": len(rows), "attempts": len(attempts),
        "submitted": sum(1 for row in rows if row["status"] == "submitted"),
        ACCEPTED: by_outcome[ACCEPTED], ALREADY: by_outcome[ALREADY], LATE: by_outcome[LATE],
        OTHER: by_outcome[OTHER],
        "sent before the deadline": len(sent_before),
        "sent before the deadline, refused as late (queued past it)": sum(1 for a in sent_before if a.outcome == LATE),
        "latency p50 ms": round(percentile(latencies, 0.50), 1),
        "latency p95 ms": round(percentile(latencies, 0.95), 1),
        "latency p99 ms": round(percentile(latencies, 0.99), 1),
        "latency max ms": round(max(latencies, default=0.0), 1),
    }
    return verdict
