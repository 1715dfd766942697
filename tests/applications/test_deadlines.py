"""Deadlines and what happens around submission: grace period, extension, withdrawal, reopening, reminders."""

from __future__ import annotations

import asyncio
import os
import string
import subprocess
import sys
from datetime import timedelta

from portal.applications.lifecycle import run_reminder_worker, send_deadline_reminders
from portal.applications.tables import Application, DeadlineReminder
from portal.core import clock, mail
from portal.core.audit import list_for
from portal.core.templating import local_time
from portal.programs.tables import Program
from tests.factories.applications import VALID_FORM, application_row, set_deadline
from tests.support import body_of

CITY_A_TEAM = ("applicant@springfield.gov", "colleague@springfield.gov")


async def post_from_page(client, page: str, url: str, data: dict):
    await client.get(page)
    return await client.post(url, data)


async def submit_b(client, app_id):
    await client.get(f"/applications/{app_id}")
    row = await application_row(app_id)
    return await client.post(f"/applications/{app_id}/submit", {"version": str(row["version"]), **VALID_FORM,
                                                                 "signature_name": "Stranger", "signature_attest": "yes"})


async def actions(app_id):
    return [e["action"] for e in await list_for("application", app_id)]


# --- grace period ------------------------------------------------------------------------------------

async def test_grace_period_set_by_staff_is_saved_and_audited(world, as_persona):
    staff = await as_persona("staff")
    response = await post_from_page(staff, f"/staff/programs/{world['program']}",
                                    f"/staff/programs/{world['program']}/grace", {"grace_minutes": "15"})
    assert response.status_code == 303
    row = await Program.select(Program.grace_minutes).where(Program.id == world["program"]).first()
    assert row["grace_minutes"] == 15
    events = await list_for("program", world["program"])
    assert [(e["action"], e["detail"]["minutes"]) for e in events] == [("program.grace_period_set", 15)]
    page = await staff.get(f"/staff/programs/{world['program']}")
    assert 'value="15"' in page.text


async def test_grace_period_hostile_values_are_422(world, as_persona):
    staff = await as_persona("staff")
    for value in ("", "abc", "-5", "1441", "99999999999999999999", "1.5", "<script>", "１５"):
        response = await post_from_page(staff, f"/staff/programs/{world['program']}",
                                        f"/staff/programs/{world['program']}/grace", {"grace_minutes": value})
        assert (value, response.status_code) == (value, 422)
        assert 'id="error-grace_minutes"' in response.text
    row = await Program.select(Program.grace_minutes).where(Program.id == world["program"]).first()
    assert row["grace_minutes"] == 0


async def test_grace_period_by_an_applicant_is_403(world, as_persona):
    applicant = await as_persona("applicant")
    await applicant.get("/dashboard")
    response = await applicant.post(f"/staff/programs/{world['program']}/grace", {"grace_minutes": "60"})
    assert response.status_code == 403


async def test_submit_within_the_grace_period_is_accepted(world, as_persona):
    client = await as_persona("stranger")
    await Program.update({Program.grace_minutes: 15}).where(Program.id == world["program"])
    await set_deadline(world["program"], timedelta(minutes=-14))
    page = await client.get(f"/applications/{world['application_b']}")
    assert 'data-testid="grace-notice"' in page.text
    review = await client.get(f"/applications/{world['application_b']}?step=review")
    assert 'data-testid="submit-application"' in review.text
    response = await submit_b(client, world["application_b"])
    assert response.status_code == 303
    assert (await application_row(world["application_b"]))["status"] == "submitted"


async def test_submit_after_the_grace_period_is_refused_and_keeps_the_draft(world, as_persona):
    client = await as_persona("stranger")
    await Program.update({Program.grace_minutes: 15}).where(Program.id == world["program"])
    await set_deadline(world["program"], timedelta(minutes=-15, seconds=-1))
    response = await submit_b(client, world["application_b"])
    assert response.status_code == 409
    assert "can no longer be submitted" in response.text
    row = await application_row(world["application_b"])
    assert (row["status"], row["receipt_number"]) == ("draft", None)


# --- extension ---------------------------------------------------------------------------------------

async def test_extension_lets_a_late_draft_be_submitted_and_emails_the_team(world, as_persona, mailbox):
    await set_deadline(world["program"], timedelta(hours=-2))
    staff = await as_persona("staff")
    local = (clock.now() + timedelta(days=2)).astimezone(clock.zone("America/Chicago")).replace(second=0, microsecond=0)
    response = await post_from_page(staff, f"/staff/applications/{world['application_b']}/deadline",
                                    f"/staff/applications/{world['application_b']}/extension",
                                    {"deadline": local.strftime("%Y-%m-%dT%H:%M"), "reason": "Flooding at city hall"})
    assert response.status_code == 303
    row = await application_row(world["application_b"])
    assert clock.as_utc(row["extended_deadline_at"]) == local.astimezone(clock.zone("UTC"))
    assert row["extension_reason"] == "Flooding at city hall"
    assert (await actions(world["application_b"]))[-1] == "application.deadline_extended"
    mail.kick(force=True)
    message = await mailbox.wait_for("stranger@shelbyville.gov", "New deadline")
    body = body_of(message)
    assert local_time(local, "America/Chicago") in body and "Flooding at city hall" in body
    assert f"/applications/{world['application_b']}" in body
    client = await as_persona("stranger")
    page = await client.get(f"/applications/{world['application_b']}")
    assert "Your deadline (extended)" in page.text and "Flooding at city hall" in page.text
    assert (await submit_b(client, world["application_b"])).status_code == 303


async def test_extension_earlier_than_the_deadline_refuses_a_submission(world, as_persona):
    await Application.update({Application.extended_deadline_at: clock.now() - timedelta(seconds=1)}).where(
        Application.id == world["application_b"])
    client = await as_persona("stranger")
    response = await submit_b(client, world["application_b"])
    assert response.status_code == 409
    assert (await application_row(world["application_b"]))["status"] == "draft"


async def test_extension_hostile_inputs_are_422_with_every_error(world, as_persona):
    staff = await as_persona("staff")
    url = f"/staff/applications/{world['application_b']}"
    cases = [
        {},
        {"deadline": "", "reason": ""},
        {"deadline": "2026-13-45T99:99", "reason": "x"},
        {"deadline": "<script>alert(1)</script>", "reason": "x"},
        {"deadline": "2020-01-01T10:00", "reason": "x"},
        {"deadline": "9999-12-31T23:59", "reason": "x"},
        {"deadline": "2030-01-01T10:00+05:00", "reason": "x"},
        {"deadline": "2030-01-01T10:00", "reason": "   "},
        {"deadline": "2030-01-01T10:00", "reason": "x" * 2001},
        {"deadline": ["2030-01-01T10:00", "garbage"], "reason": ["a", "b"]},
    ]
    for data in cases:
        response = await post_from_page(staff, f"{url}/deadline", f"{url}/extension", data)
        assert (str(data)[:60], response.status_code) == (str(data)[:60], 422)
        assert 'data-testid="error-summary"' in response.text
    blank = await post_from_page(staff, f"{url}/deadline", f"{url}/extension", {})
    assert 'id="error-deadline"' in blank.text and 'id="error-reason"' in blank.text
    assert (await application_row(world["application_b"]))["extended_deadline_at"] is None


async def test_extension_of_a_withdrawn_application_is_409(world, as_persona):
    await Application.update({Application.status: "withdrawn"}).where(Application.id == world["application_b"])
    staff = await as_persona("staff")
    response = await post_from_page(staff, f"/staff/applications/{world['application_b']}/deadline",
                                    f"/staff/applications/{world['application_b']}/extension",
                                    {"deadline": "2030-01-01T10:00", "reason": "Because"})
    assert response.status_code == 409


async def test_extension_and_reopen_by_others_are_refused(world, as_persona):
    for persona, status in (("applicant", 403), ("reviewer", 403), ("stranger", 404), ("funder", 404)):
        client = await as_persona(persona)
        await client.get("/dashboard")
        for action in ("extension", "reopen"):
            response = await client.post(f"/staff/applications/{world['application_a']}/{action}",
                                         {"deadline": "2030-01-01T10:00", "reason": "Because"})
            assert (persona, action, response.status_code) == (persona, action, status)
    assert (await application_row(world["application_a"]))["status"] == "submitted"


# --- withdrawal --------------------------------------------------------------------------------------

async def test_withdraw_a_submitted_application_with_a_reason(world, as_persona, mailbox):
    from tests.factories import make_user
    from tests.factories.teams import add_team_member

    # An editor from outside the city, on the application's team: told too.
    partner = await make_user("editor@partner.org", "Pat Partner")
    await add_team_member(world["application_a"], partner, "editor")
    client = await as_persona("applicant")  # the owner (city colleagues not on the team only read it)
    response = await post_from_page(client, f"/applications/{world['application_a']}",
                                    f"/applications/{world['application_a']}/withdraw",
                                    {"reason": "We could not find a partner <b>in time</b>"})
    assert response.status_code == 303
    row = await application_row(world["application_a"])
    assert (row["status"], row["status_reason"]) == ("withdrawn", "We could not find a partner <b>in time</b>")
    events = [e for e in await list_for("application", world["application_a"]) if e["action"] == "application.withdrawn"]
    assert [(e["detail"]["reason"], e["detail"]["previous_status"]) for e in events] == [
        ("We could not find a partner <b>in time</b>", "submitted")]
    mail.kick(force=True)
    for address in (*CITY_A_TEAM, "editor@partner.org"):
        message = await mailbox.wait_for(address, "Withdrawn")
        assert "We could not find a partner" in body_of(message)
    assert len([m for m in mailbox.messages if "Withdrawn" in str(m["Subject"])]) == len(CITY_A_TEAM) + 1
    page = await client.get(f"/applications/{world['application_a']}")
    assert "&lt;b&gt;in time&lt;/b&gt;" in page.text and "<b>in time</b>" not in page.text
    assert 'data-testid="withdraw-form"' not in page.text


async def test_withdraw_without_a_reason_is_422_and_changes_nothing(world, as_persona, mailbox):
    client = await as_persona("applicant")
    for data in ({}, {"reason": ""}, {"reason": "   \n "}, {"reason": "x" * 2001}, {"reason": "\x00"}):
        response = await post_from_page(client, f"/applications/{world['application_a']}",
                                        f"/applications/{world['application_a']}/withdraw", data)
        assert response.status_code == 422
        assert 'id="error-withdraw-reason"' in response.text and 'data-testid="error-summary"' in response.text
        assert 'href="#field-withdraw-reason"' in response.text
    assert (await application_row(world["application_a"]))["status"] == "submitted"
    assert "application.withdrawn" not in await actions(world["application_a"])


async def test_withdraw_twice_is_409(world, as_persona):
    client = await as_persona("applicant")
    url = f"/applications/{world['application_a']}"
    assert (await post_from_page(client, url, f"{url}/withdraw", {"reason": "No longer needed"})).status_code == 303
    assert (await post_from_page(client, url, f"{url}/withdraw", {"reason": "Again"})).status_code == 409


async def test_withdraw_by_others_is_refused(world, as_persona):
    for persona, status in (("reviewer", 403), ("staff", 403), ("stranger", 404), ("funder", 404)):
        client = await as_persona(persona)
        await client.get("/dashboard")
        response = await client.post(f"/applications/{world['application_a']}/withdraw", {"reason": "Hostile"})
        assert (persona, response.status_code) == (persona, status)
    assert (await application_row(world["application_a"]))["status"] == "submitted"


# --- reopening ---------------------------------------------------------------------------------------

async def test_reopen_returns_to_draft_and_the_next_submission_gets_a_new_receipt(world, as_persona, mailbox):
    city = await as_persona("stranger")
    app_id = world["application_b"]
    assert (await submit_b(city, app_id)).status_code == 303
    first = (await application_row(app_id))["receipt_number"]
    staff = await as_persona("staff")
    response = await post_from_page(staff, f"/staff/applications/{app_id}/deadline",
                                    f"/staff/applications/{app_id}/reopen", {"reason": "The budget is missing a line"})
    assert response.status_code == 303
    row = await application_row(app_id)
    assert (row["status"], row["receipt_number"], row["status_reason"]) == ("draft", None,
                                                                            "The budget is missing a line")
    reopened = [e for e in await list_for("application", app_id) if e["action"] == "application.reopened"]
    assert [e["detail"]["receipt_number"] for e in reopened] == [first]
    mail.kick(force=True)
    message = await mailbox.wait_for("stranger@shelbyville.gov", "Reopened")
    assert "The budget is missing a line" in body_of(message) and first in body_of(message)
    page = await city.get(f"/applications/{app_id}")
    assert 'data-testid="status-reason"' in page.text and 'data-testid="application-form"' in page.text
    assert (await submit_b(city, app_id)).status_code == 303
    second = (await application_row(app_id))["receipt_number"]
    assert second == f"{first}-2"
    history = await staff.get(f"/staff/applications/{app_id}/deadline")
    assert first in history.text and second in history.text


async def test_reopen_without_a_reason_is_422(world, as_persona):
    staff = await as_persona("staff")
    url = f"/staff/applications/{world['application_a']}"
    for data in ({}, {"reason": " "}, {"reason": "y" * 2001}):
        response = await post_from_page(staff, f"{url}/deadline", f"{url}/reopen", data)
        assert response.status_code == 422
        assert 'id="error-reopen-reason"' in response.text and 'href="#field-reopen-reason"' in response.text
    assert (await application_row(world["application_a"]))["status"] == "submitted"


async def test_reopen_a_draft_is_409(world, as_persona):
    staff = await as_persona("staff")
    url = f"/staff/applications/{world['application_b']}"
    response = await post_from_page(staff, f"{url}/deadline", f"{url}/reopen", {"reason": "Fix it"})
    assert response.status_code == 409


# --- reminders ---------------------------------------------------------------------------------------

async def test_reminders_are_sent_7_days_and_1_day_before_each_once(world, portal, mailbox):
    deadline = clock.now() + timedelta(days=10)
    await Program.update({Program.deadline_at: deadline}).where(Program.id == world["program"])
    assert await send_deadline_reminders(deadline - timedelta(days=8)) == 0
    assert await send_deadline_reminders(deadline - timedelta(days=6)) == 1  # B's draft; A is submitted
    assert await send_deadline_reminders(deadline - timedelta(days=5)) == 0
    assert await send_deadline_reminders(deadline - timedelta(hours=20)) == 1
    assert await send_deadline_reminders(deadline - timedelta(hours=2)) == 0
    assert await send_deadline_reminders(deadline + timedelta(minutes=1)) == 0
    rows = await DeadlineReminder.select(DeadlineReminder.application, DeadlineReminder.kind).order_by(
        DeadlineReminder.id)
    assert [(r["application"], r["kind"]) for r in rows] == [(world["application_b"], "7d"),
                                                              (world["application_b"], "1d")]
    mail.kick(force=True)
    week = await mailbox.wait_for("stranger@shelbyville.gov", "Due within a week")
    assert local_time(deadline, "America/Chicago") in body_of(week)
    assert f"/applications/{world['application_b']}" in body_of(week)
    await mailbox.wait_for("stranger@shelbyville.gov", "Due within a day")
    assert mailbox.to("applicant@springfield.gov") == []


async def test_reminders_run_concurrently_send_each_once(world, portal):
    deadline = clock.now() + timedelta(days=3)
    await Program.update({Program.deadline_at: deadline}).where(Program.id == world["program"])
    sent = await asyncio.gather(*[send_deadline_reminders(clock.now()) for _ in range(4)])
    assert sum(sent) == 1
    assert await DeadlineReminder.count() == 1


async def test_reminders_follow_the_extension_and_skip_withdrawn_drafts(world, portal):
    program_deadline = clock.now() + timedelta(days=3)
    await Program.update({Program.deadline_at: program_deadline}).where(Program.id == world["program"])
    await Application.update({Application.extended_deadline_at: program_deadline + timedelta(days=20)}).where(
        Application.id == world["application_b"])
    assert await send_deadline_reminders(clock.now()) == 0  # its own deadline is 23 days away
    assert await send_deadline_reminders(program_deadline + timedelta(days=14)) == 1
    await Application.update({Application.status: "withdrawn"}).where(Application.id == world["application_b"])
    assert await send_deadline_reminders(program_deadline + timedelta(days=22)) == 0


async def test_reminder_for_a_grace_period_counts_from_the_effective_deadline(world, portal):
    deadline = clock.now() + timedelta(days=1, minutes=30)
    await Program.update({Program.deadline_at: deadline, Program.grace_minutes: 60}).where(
        Program.id == world["program"])
    assert await send_deadline_reminders(clock.now()) == 1
    kinds = [r["kind"] for r in await DeadlineReminder.select(DeadlineReminder.kind)]
    assert kinds == ["7d"]  # 1 day 90 minutes before the effective deadline: not yet the last day


async def test_reminder_worker_sends_due_reminders_until_stopped(world, portal, mailbox):
    await Program.update({Program.deadline_at: clock.now() + timedelta(days=3)}).where(Program.id == world["program"])
    stop = asyncio.Event()
    worker = asyncio.create_task(run_reminder_worker("http://testserver", 3600, stop))
    await mailbox.wait_for("stranger@shelbyville.gov", "Due within a week")  # the worker kicks the outbox itself
    stop.set()
    await asyncio.wait_for(worker, timeout=5)
    assert [r["kind"] for r in await DeadlineReminder.select(DeadlineReminder.kind)] == ["7d"]


# --- the deadline as shown ---------------------------------------------------------------------------

async def test_deadline_shows_both_zones_and_a_countdown_in_the_last_week(world, as_persona):
    deadline = clock.now() + timedelta(days=2, hours=3, minutes=30)
    await Program.update({Program.deadline_at: deadline}).where(Program.id == world["program"])
    client = await as_persona("stranger")
    for url in ("/programs/healthy-babies", f"/applications/{world['application_b']}", "/applications"):
        page = await client.get(url)
        assert page.status_code == 200
        assert local_time(deadline, "America/Chicago") in page.text, url
        assert local_time(deadline, "UTC") in page.text, url
        assert f'datetime="{deadline.strftime("%Y-%m-%dT%H:%M:%SZ")}"' in page.text, url
        assert "2 days 3 hours left" in page.text, url
        assert 'aria-live="polite"' in page.text, url


async def test_no_countdown_more_than_a_week_ahead(world, as_persona):
    client = await as_persona("stranger")
    page = await client.get(f"/applications/{world['application_b']}")
    assert "data-countdown" not in page.text and "left" not in page.text.split('data-testid="deadline"')[1][:400]


def test_cli_send_reminders(tmp_path):
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "DATABASE_"))}
    environ["PORTAL_DATA_DIR"] = str(tmp_path)
    run = [sys.executable, "-m", "portal.cli"]
    assert subprocess.run([*run, "migrate"], env=environ, capture_output=True, timeout=120).returncode == 0
    result = subprocess.run([*run, "send-reminders"], env=environ, capture_output=True, text=True, timeout=120)
    assert (result.returncode, result.stdout.strip()) == (0, "0 deadline reminder(s) queued.")


async def test_every_page_still_answers_after_reopening_and_withdrawal(world, as_persona):
    """A reopened application (with a reviewer assigned) and then a withdrawn one: no page fails for anyone."""
    from tests.integration.test_access_matrix import GET_MATRIX, PERSONA_KEYS, TEAM_PERSONAS

    staff = await as_persona("staff")
    url = f"/staff/applications/{world['application_a']}"
    assert (await post_from_page(staff, f"{url}/deadline", f"{url}/reopen", {"reason": "Fix"})).status_code == 303
    ids = dict(world.ids, file_a=1, award=1, report=1, program_slug="healthy-babies")
    for status in ("draft", "withdrawn"):
        if status == "withdrawn":
            city = await as_persona("applicant")
            page = f"/applications/{world['application_a']}"
            assert (await post_from_page(city, page, f"{page}/withdraw", {"reason": "Gone"})).status_code == 303
        for persona in [key for key in PERSONA_KEYS if key not in TEAM_PERSONAS]:  # the world's people
            client = await as_persona(persona)
            for template in GET_MATRIX:
                needs = {name for _, name, _, _ in string.Formatter().parse(template) if name}
                if needs - ids.keys() or needs & {"award", "report", "file_a"}:
                    continue  # objects this world does not make, or rows the reopening does not touch
                response = await client.get(template.format(**ids))
                assert (status, persona, template, response.status_code < 500) == (status, persona, template, True)
