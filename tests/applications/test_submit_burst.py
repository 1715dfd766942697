"""A burst of concurrent submissions in the last second before a deadline and just after it, each
application submitted two or three times (double clicks, retries), on SQLite and PostgreSQL: none lost,
none duplicated, none accepted late (tests/burst.py). The live-server version with figures is
bench/bench_submit_burst.py."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from portal.core import clock
from portal.programs.tables import Program
from tests import burst
from tests.factories import PASSWORD

CITIES = 20
BEFORE, AFTER = 1.2, 0.3  # seconds before and after the deadline over which the first clicks are spread


async def test_submission_burst_around_the_deadline_loses_duplicates_and_admits_late_nothing(make_client):
    program_id, made = await burst.make_drafts(CITIES)
    clients, emails = {}, {application_id: email for email, application_id in made}
    for email, application_id in made:
        clients[application_id] = client = await make_client()
        await client.login(email, PASSWORD)
        assert client.csrf
    attempts = burst.plan([application_id for _, application_id in made], before=BEFORE, after=AFTER)
    assert any(a.offset > 0 for a in attempts) and any(a.offset < -0.5 for a in attempts)

    deadline = clock.now() + timedelta(seconds=BEFORE + 0.5)
    await Program.update({Program.deadline_at: deadline}).where(Program.id == program_id)
    loop = asyncio.get_running_loop()
    deadline_on_loop = loop.time() + (deadline - clock.now()).total_seconds()

    async def click(attempt: burst.Attempt) -> None:
        await asyncio.sleep(max(0.0, deadline_on_loop + attempt.offset - loop.time()))
        attempt.sent_at = clock.now()
        response = await clients[attempt.application_id].post(f"/applications/{attempt.application_id}/submit",
                                                               burst.signature(emails[attempt.application_id]))
        attempt.answered_at = clock.now()
        attempt.status, attempt.location = response.status_code, response.headers.get("location", "")
        attempt.outcome = burst.outcome(attempt.application_id, attempt.status, attempt.location, response.text)

    await asyncio.gather(*(click(a) for a in attempts))
    verdict = await burst.verify(program_id, deadline, attempts)

    assert verdict.problems == {}
    figures = verdict.figures
    assert figures[burst.ACCEPTED] == figures["submitted"] >= 1
    assert figures[burst.ALREADY] >= 1 and figures[burst.LATE] >= 1
    assert figures[burst.ACCEPTED] + figures[burst.ALREADY] + figures[burst.LATE] == len(attempts)
    assert [a for a in attempts if a.sent_at >= deadline and a.outcome == burst.ACCEPTED] == []
