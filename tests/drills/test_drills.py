"""Fault drills (issue 11, drills 1-5): the portal served for real, killed with SIGKILL at a moment the drill
observes, started again on the same database; mail to a real SMTP server that the drills stop and stall.

Each drill polls with a deadline for what happens in the background and kills at an observed point (k of n
letters made, the SMTP server holding a message, saves and submissions acknowledged), never after a guessed
delay. The harness is tests/drills/conftest.py; the data, tests/drills/seed.py.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from hashlib import sha256
from typing import Any

import httpx
import pytest

from tests import burst
from tests.drills.conftest import Site, until
from tests.drills.seed import LETTERS, SUBMISSIONS
from tests.factories import VALID_ANSWERS

pytestmark = [pytest.mark.drill, pytest.mark.usefixtures("drill_start")]


def placeholders(values: list) -> str:
    return ", ".join("?" for _ in values)


async def outbox(site: Site, addresses: list[str]) -> list[dict[str, Any]]:
    return await site.db.rows(
        f"SELECT id, to_address, subject, status, attempts, error FROM outbound_email "
        f"WHERE to_address IN ({placeholders(addresses)}) ORDER BY id", *addresses)


def message_ids(site: Site, address: str) -> list[str]:
    """The Message-IDs of what the SMTP server took for `address`, one per delivery."""
    return [str(m["Message-ID"]) for m in site.smtp.sink.to(address)]


def of_row(row: dict[str, Any]) -> str:
    """The start of the Message-ID of an outbox row (portal.core.mail.message_id)."""
    return f"<outbox.{row['id']}."


# -- drill 1 -------------------------------------------------------------------------------------------------

async def test_letter_round_killed_midway_finishes_with_one_letter_and_one_pdf_per_target(site):
    program = site.seeded["letters_program"]
    staff = await site.client(site.seeded["staff"])
    response = await staff.post(f"/staff/programs/{program}/letters/batches", {"kinds": ["decline"]})
    assert response.status_code == 303, response.text
    batch_id = int(response.headers["location"].split("batch=")[1].split("#")[0])
    batch_sql = "SELECT status, total, done, failed FROM letter_batch WHERE id = ?"

    async def batch() -> dict[str, Any]:
        return (await site.db.rows(batch_sql, batch_id))[0]

    async def three_made() -> bool:
        row = await batch()
        return row["status"] == "running" and row["done"] >= 3

    await until(three_made, "the round running with 3 letters made", timeout=60, every=0.01)
    site.kill()
    at_kill = await batch()
    assert at_kill["status"] == "running" and 3 <= at_kill["done"] < at_kill["total"] == LETTERS, at_kill

    await site.start()

    async def finished() -> dict[str, Any] | None:
        row = await batch()
        return row if row["status"] in ("done", "failed") else None

    final = await until(finished, "the round finished after the restart", timeout=60, every=0.1)
    assert (final["status"], final["total"], final["done"], final["failed"]) == ("done", LETTERS, LETTERS, 0)
    targets = sorted(r["id"] for r in await site.db.rows(
        "SELECT id FROM application WHERE program = ? AND status = 'declined'", program))
    letters = await site.db.rows("SELECT application, kind, file, sha256 FROM letter WHERE batch = ?", batch_id)
    assert sorted((r["application"], r["kind"]) for r in letters) == [(t, "decline") for t in targets]
    assert await site.db.value("SELECT COUNT(*) FROM letter") == LETTERS  # none outside the round either
    for letter in letters:
        content = (site.letters_dir / letter["file"]).read_bytes()
        assert content[:5] == b"%PDF-" and sha256(content).hexdigest() == letter["sha256"]
    named = {r["file"] for r in letters}
    assert len(named) == LETTERS
    # The code promises no clean-up of a PDF written just before the crash whose row was not committed (the
    # letters module docstring): at most the two letters of the pipeline in flight, never served.
    unnamed = {p.name for p in site.letters_dir.iterdir()} - named
    assert len(unnamed) <= 2, sorted(unnamed)


# -- drill 2 -------------------------------------------------------------------------------------------------

OUTAGE_ATTEMPTS = 5

async def test_mail_outage_longer_than_the_first_retries_then_every_email_delivered_once(site):
    addresses = site.seeded["outage"]
    site.smtp.stop()
    visitor = await site.client()
    for address in addresses:  # as in the issue: password resets requested while the mail server is down
        assert (await visitor.post("/reset", {"email": address})).status_code == 200

    async def failed_five_times() -> bool:
        rows = await outbox(site, addresses)
        return len(rows) == len(addresses) and all(r["status"] == "queued" and r["attempts"] >= OUTAGE_ATTEMPTS
                                                   for r in rows)

    # Five failed attempts each: the whole budget of the code issue 11 found (five attempts, then failed for good).
    await until(failed_five_times, f"every email failed {OUTAGE_ATTEMPTS} times, and is still queued", timeout=30)
    assert all(r["error"] for r in await outbox(site, addresses))
    assert site.smtp.sink.to(addresses[0]) == []
    site.smtp.start()

    async def all_sent() -> bool:
        return all(r["status"] == "sent" for r in await outbox(site, addresses))

    await until(all_sent, "every email sent once the mail server is back", timeout=30)
    rows = await outbox(site, addresses)
    assert len(rows) == len(addresses)
    for row in rows:
        ids = message_ids(site, row["to_address"])
        assert len(ids) == 1 and ids[0].startswith(of_row(row)), (row, ids)
        assert row["attempts"] > OUTAGE_ATTEMPTS and row["error"] == ""


# -- drill 3 -------------------------------------------------------------------------------------------------

async def test_server_killed_while_an_email_is_sent_delivers_it_after_restart(site):
    address, sink = site.seeded["stalled"], site.smtp.sink
    sink.stall_to.add(address)
    sink.stalled_event.clear()
    visitor = await site.client()
    assert (await visitor.post("/reset", {"email": address})).status_code == 200

    async def stalled() -> bool:
        return sink.stalled_event.is_set()

    await until(stalled, "the SMTP server holding the email before its answer to DATA", timeout=30, every=0.005)
    site.kill()
    [row] = await outbox(site, [address])
    # Killed mid-send: the row is still claimed (had the 2 s SMTP timeout passed first, it would be queued again
    # with an error, and this drill would prove nothing).
    assert (row["status"], row["attempts"]) == ("sending", 1), row
    held = str(sink.stalled[-1]["Message-ID"])
    assert held.startswith(of_row(row))
    sink.release()  # the mail server works again; the conversation it held was cut by the crash, never answered

    await site.start()

    async def sent() -> dict[str, Any] | None:
        [row] = await outbox(site, [address])
        return row if row["status"] == "sent" else None

    row = await until(sent, "the email reclaimed and sent after the restart", timeout=30)
    assert message_ids(site, address) == [held]  # delivered once, with the Message-ID of the attempt cut short
    assert row["attempts"] == 2


# -- drill 4 -------------------------------------------------------------------------------------------------

AUTOSAVE_FIELDS = ("need", "project_title", "contact_name")
ACKNOWLEDGED_BEFORE_KILL = 40


async def test_autosave_burst_killed_keeps_every_acknowledged_save(site):
    """Each draft's editor saves field after field, one request at a time as autosave.js does (each value new);
    the server is killed mid-burst. Every field must then hold the value of its last acknowledged (2xx) save, or
    that of the one save still on its way when the server died (committed or not, the client cannot know)."""
    drafts = site.seeded["autosave"]
    clients = {d["application"]: await site.client(d["email"]) for d in drafts}
    versions = {r["id"]: r["version"] for r in await site.db.rows(
        f"SELECT id, version FROM application WHERE id IN ({placeholders(list(clients))})", *clients)}
    acked: dict[int, dict[str, str]] = {app: {} for app in clients}
    in_flight: dict[int, tuple[str, str] | None] = {app: None for app in clients}
    answers: Counter = Counter()
    problems: list[str] = []

    async def edit(app: int) -> None:
        version, n = versions[app], 0
        while True:
            n += 1
            key = AUTOSAVE_FIELDS[n % len(AUTOSAVE_FIELDS)]
            value = f"{key} save {n} of application {app}"
            in_flight[app] = (key, value)
            try:
                response = await clients[app].post(f"/applications/{app}/autosave",
                                                   {"version": str(version), key: value})
            except httpx.HTTPError:
                return  # the server died under it
            if response.status_code != 200:
                problems.append(f"application {app}: {response.status_code} {response.text[:200]}")
                return
            acked[app][key], in_flight[app] = value, None
            version = int(response.headers["X-Version"])
            answers["acknowledged"] += 1

    editors = [asyncio.create_task(edit(app)) for app in clients]

    async def enough() -> bool:
        assert not problems, problems
        return answers["acknowledged"] >= ACKNOWLEDGED_BEFORE_KILL

    await until(enough, f"{ACKNOWLEDGED_BEFORE_KILL} saves acknowledged", timeout=60, every=0.005)
    site.kill()
    await asyncio.gather(*editors)
    assert problems == []

    await site.start()
    rows = await site.db.rows(f"SELECT id, answers FROM application WHERE id IN ({placeholders(list(clients))})",
                              *clients)
    lost = []
    for row in rows:
        saved = row["answers"] if isinstance(row["answers"], dict) else json.loads(row["answers"])
        for key in AUTOSAVE_FIELDS:
            allowed = {acked[row["id"]].get(key, VALID_ANSWERS[key])}
            if in_flight[row["id"]] and in_flight[row["id"]][0] == key:
                allowed.add(in_flight[row["id"]][1])
            if saved.get(key) not in allowed:
                lost.append((row["id"], key, saved.get(key), allowed))
    assert lost == []
    assert sum(len(fields) for fields in acked.values()) >= len(AUTOSAVE_FIELDS)  # the check compared real saves


# -- drill 5 -------------------------------------------------------------------------------------------------

ACCEPTED_BEFORE_KILL = 3


async def submission_state(site: Site, apps: list[int], owners: dict[int, str]) -> dict[int, dict[str, Any]]:
    """Per application: its status, whether each submission field is set, its `application.submitted` audit
    rows and its receipt emails (outbox rows)."""
    rows = await site.db.rows(
        "SELECT id, status, submitted_at, submitted_by, receipt_number, content_sha256 FROM application "
        f"WHERE id IN ({placeholders(apps)})", *apps)
    audits = Counter(r["object_id"] for r in await site.db.rows(
        "SELECT object_id FROM audit_event WHERE action = 'application.submitted' AND object_type = 'application' "
        f"AND object_id IN ({placeholders(apps)})", *apps))
    receipts = Counter(r["to_address"] for r in await outbox(site, list(owners.values()))
                       if r["subject"].startswith("Received:"))
    return {r["id"]: {"status": r["status"],
                      "fields set": [bool(r[k]) for k in ("submitted_at", "submitted_by", "receipt_number",
                                                          "content_sha256")],
                      "audit rows": audits[r["id"]], "receipts": receipts[owners[r["id"]]]} for r in rows}


def half_submitted(state: dict[int, dict[str, Any]]) -> dict[int, dict[str, Any]]:
    whole = {"submitted": {"fields set": [True] * 4, "audit rows": 1, "receipts": 1},
             "draft": {"fields set": [False] * 4, "audit rows": 0, "receipts": 0}}
    return {app: s for app, s in state.items()
            if s["status"] not in whole or {k: s[k] for k in whole[s["status"]]} != whole[s["status"]]}


async def test_submission_burst_killed_leaves_no_half_submission_and_no_duplicate_receipt(site):
    """Each draft submitted two or three times within a second (double clicks, retries); the server is killed
    once a few were acknowledged. Then every application is whole (a draft with nothing of a submission, or
    submitted with its time, receipt number, one audit row and one receipt email); every one told "submitted"
    is; the owners submit again after the restart (as someone who saw an error would) and every application ends
    submitted with exactly one receipt email."""
    drafts = site.seeded["submit"]
    assert len(drafts) == SUBMISSIONS
    owners = {d["application"]: d["email"] for d in drafts}
    apps = sorted(owners)
    clients = {app: await site.client(owners[app]) for app in apps}
    attempts = burst.plan(apps, before=1.0, after=0.0)
    loop = asyncio.get_running_loop()
    t0 = loop.time() + 1.0

    async def submit(attempt: burst.Attempt) -> None:
        await asyncio.sleep(max(0.0, t0 + attempt.offset - loop.time()))
        app = attempt.application_id
        try:
            response = await clients[app].post(f"/applications/{app}/submit", burst.signature(owners[app]))
        except httpx.HTTPError as exc:
            attempt.error = exc.__class__.__name__
            return
        attempt.status, attempt.location = response.status_code, response.headers.get("location", "")
        attempt.outcome = burst.outcome(app, attempt.status, attempt.location, response.text)

    clicks = [asyncio.create_task(submit(a)) for a in attempts]

    async def some_accepted() -> bool:
        return sum(a.outcome == burst.ACCEPTED for a in attempts) >= ACCEPTED_BEFORE_KILL

    await until(some_accepted, f"{ACCEPTED_BEFORE_KILL} submissions acknowledged", timeout=30, every=0.005)
    site.kill()
    await asyncio.gather(*clicks)
    cut = [a for a in attempts if a.error]
    assert cut, "the server was killed after the burst, not during it"
    assert [a for a in attempts if not a.error and a.outcome == burst.OTHER] == []
    sending_at_kill = {r["id"] for r in await outbox(site, list(owners.values())) if r["status"] == "sending"}
    state = await submission_state(site, apps, owners)
    assert half_submitted(state) == {}
    told = Counter(a.application_id for a in attempts if a.outcome == burst.ACCEPTED)
    assert [app for app in told if state[app]["status"] != "submitted"] == []  # none acknowledged was lost
    assert max(told.values()) == 1

    await site.start()
    for app in apps:
        response = await clients[app].post(f"/applications/{app}/submit", burst.signature(owners[app]))
        outcome = burst.outcome(app, response.status_code, response.headers.get("location", ""), response.text)
        assert outcome == (burst.ALREADY if state[app]["status"] == "submitted" else burst.ACCEPTED), outcome
    state = await submission_state(site, apps, owners)
    assert half_submitted(state) == {} and {s["status"] for s in state.values()} == {"submitted"}

    async def receipts_sent() -> bool:
        return all(r["status"] == "sent" for r in await outbox(site, list(owners.values())))

    await until(receipts_sent, "every receipt email sent", timeout=30)
    for row in await outbox(site, list(owners.values())):
        ids = message_ids(site, row["to_address"])
        assert {i[:len(of_row(row))] for i in ids} == {of_row(row)}, (row, ids)  # one receipt, one Message-ID
        # Sent twice only if the kill cut its sending after the SMTP server took it (delivery is at least once),
        # and then with the same Message-ID, which the receiving system drops.
        assert len(ids) == 1 or (len(ids) == 2 and ids[0] == ids[1] and row["id"] in sending_at_kill), (row, ids)
