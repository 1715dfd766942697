"""A failed receipt or invitation is visible to the program staff it concerns (issue 11): the program's staff page
says how many of its emails failed or are delayed, /staff/programs/{id}/undelivered lists them (no body text),
and "Send again" queues a failed one again, audited as the administrators' requeue.

The app's own outbox worker cannot have its SMTP server stopped under it (the session's server is shared), so
the server refuses every message instead (`Mailbox.refusing`): the worker's first attempt fails for real, and the
test then drives `deliver_queued` past the retry period with a clock of its own.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from portal.core import clock
from portal.core.mail import deliver_queued
from portal.core.tables import AuditEvent, OutboundEmail
from tests.factories import PASSWORD
from tests.factories.reviews import other_network_staff
from tests.applications.test_applications import submit_with_file

REFUSAL = "451 4.3.0 Mail server down for maintenance"


@pytest.fixture
def mail_down(mailbox):
    mailbox.refusing = REFUSAL
    yield mailbox
    mailbox.refusing = ""


async def receipt_row(application_id: int) -> dict | None:
    return await OutboundEmail.select().where(
        (OutboundEmail.kind == "application_submitted") & (OutboundEmail.application_id == application_id)).first()


async def tried_once(application_id: int, timeout: float = 10.0) -> dict:
    """The application's receipt once the app's outbox worker has tried it (after the submit's response)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        row = await receipt_row(application_id)
        if row is not None and row["attempts"] >= 1 and row["status"] == "queued":
            return row
        assert asyncio.get_running_loop().time() < deadline, f"the worker did not try the receipt: {row}"
        await asyncio.sleep(0.05)


async def failed_receipt(portal, world, as_persona) -> tuple[int, int]:
    """City A submits to the second program while the mail server refuses everything; the receipt is retried
    past the retry period (48 hours) and fails. Returns the application's and the email's ids."""
    application_id, _ = await submit_with_file(world, as_persona)
    row = await tried_once(application_id)
    await deliver_queued(portal.state.settings, now=clock.now() + timedelta(hours=49))
    assert (await receipt_row(application_id))["status"] == "failed"
    return application_id, row["id"]


async def failed_email(program_id: int | None, to: str = "someone@city.example", kind: str = "invitation") -> int:
    rows = await OutboundEmail.insert(OutboundEmail(
        created_at=clock.now(), to_address=to, subject="Hello", body_text="Secret link\n", status="failed",
        attempts=7, error="[Errno 111] Connection refused", kind=kind, program_id=program_id,
    )).returning(OutboundEmail.id)
    return rows[0]["id"]


async def audit_rows(action: str) -> list[dict]:
    return await AuditEvent.select(AuditEvent.actor_id, AuditEvent.object_id, AuditEvent.detail).where(
        AuditEvent.action == action).order_by(AuditEvent.id).output(load_json=True)


def undelivered(program_id: int, tail: str = "") -> str:
    return f"/staff/programs/{program_id}/undelivered{tail}"


async def test_a_delayed_receipt_is_noticed_on_its_programs_page(portal, world, as_persona, mail_down):
    application_id, _ = await submit_with_file(world, as_persona)
    row = await tried_once(application_id)
    assert (row["program_id"], row["error"]) == (world["other_program"], REFUSAL)

    staff = await as_persona("staff")
    page = (await staff.get(f"/staff/programs/{world['other_program']}")).text
    assert "1 email for this program is delayed, still retrying." in page
    assert f'href="{undelivered(world["other_program"])}" data-testid="mail-trouble-link">See it</a>' in page
    listed = (await staff.get(undelivered(world["other_program"]))).text
    assert listed.count('data-testid="undelivered-row"') == 1
    assert "<strong>Delayed</strong>: 1 attempt failed; next try" in listed
    assert 'data-testid="send-again"' not in listed  # still retried by itself: nothing to send again


async def test_a_failed_receipt_shows_on_its_programs_staff_page_and_not_on_another(portal, world, as_persona,
                                                                                   mail_down):
    application_id, email_id = await failed_receipt(portal, world, as_persona)
    staff = await as_persona("staff")

    page = (await staff.get(f"/staff/programs/{world['other_program']}")).text
    notice = page[page.index('data-testid="mail-trouble"'):page.index("<h2>Applications</h2>")]
    assert "1 email for this program could not be delivered." in notice
    assert "See it and send it again" in notice
    other = (await staff.get(f"/staff/programs/{world['program']}")).text
    assert 'data-testid="mail-trouble"' not in other

    listed = (await staff.get(undelivered(world["other_program"]))).text
    rows = listed[listed.index('data-testid="undelivered"'):listed.index("</table>")]
    assert rows.count('data-testid="undelivered-row"') == 1
    assert f'data-email-id="{email_id}"' in rows
    for shown in ("applicant@springfield.gov", "Application receipt", "Springfield: Screenings for every toddler",
                  f'href="/staff/applications/{application_id}"', "<strong>Failed</strong> after 2 attempts",
                  REFUSAL, 'data-testid="send-again"'):
        assert shown in rows, shown
    body = (await OutboundEmail.select(OutboundEmail.body_text).where(OutboundEmail.id == email_id).first())
    receipt_line = next(line for line in body["body_text"].splitlines() if "/applications/" in line)
    assert receipt_line.strip() not in listed  # no body text for program staff
    empty = (await staff.get(undelivered(world["program"]))).text
    assert 'data-testid="undelivered-empty"' in empty and 'data-testid="undelivered-row"' not in empty


async def test_send_again_requeues_the_receipt_audited_and_it_is_delivered_when_smtp_is_back(
        portal, world, as_persona, mail_down):
    _, email_id = await failed_receipt(portal, world, as_persona)
    mail_down.refusing = ""  # the mail server is back
    staff = await as_persona("staff")
    await staff.get(undelivered(world["other_program"]))

    response = await staff.post(undelivered(world["other_program"], "/send-again"), {"email": email_id})

    assert (response.status_code, response.headers["location"]) == (
        303, undelivered(world["other_program"], "?done=sent-again"))
    assert [(r["actor_id"], r["object_id"], r["detail"]) for r in await audit_rows("email.requeued")] == [
        (world["staff"], email_id, {"to": "applicant@springfield.gov", "program_id": world["other_program"]})]
    await mail_down.wait_for("applicant@springfield.gov", "Received")
    page = (await staff.get(undelivered(world["other_program"], "?done=sent-again"))).text
    assert "The email is queued again and will be sent shortly." in page
    assert (await OutboundEmail.select(OutboundEmail.status).where(OutboundEmail.id == email_id).first()) == {
        "status": "sent"}


async def test_send_again_of_an_email_of_another_program_or_of_none_is_not_found(as_persona, world):
    theirs, nobodys = await failed_email(world["other_program"]), await failed_email(None, kind="password_reset")
    staff = await as_persona("staff")
    for email_id in (theirs, nobodys):
        response = await staff.post(undelivered(world["program"], "/send-again"), {"email": email_id})
        assert response.status_code == 404
    statuses = await OutboundEmail.select(OutboundEmail.status).where(OutboundEmail.id.is_in([theirs, nobodys]))
    assert statuses == [{"status": "failed"}] * 2
    assert await audit_rows("email.requeued") == []


@pytest.mark.parametrize("email", ["", "abc", "999999", "-1", "1" * 40])
async def test_send_again_of_no_such_email_is_not_found(as_persona, world, email):
    staff = await as_persona("staff")
    assert (await staff.post(undelivered(world["program"], "/send-again"), {"email": email})).status_code == 404


async def test_send_all_again_takes_only_the_programs_failed_emails(as_persona, world, mailbox):
    ours = [await failed_email(world["program"], f"one{n}@city.example") for n in range(2)]
    theirs = await failed_email(world["other_program"], "kept@city.example")
    staff = await as_persona("staff")
    page = (await staff.get(undelivered(world["program"]))).text
    assert "Send all 2 failed emails again" in page
    notice = (await staff.get(f"/staff/programs/{world['program']}")).text
    assert "2 emails for this program could not be delivered." in notice
    assert "See them and send them again" in notice

    response = await staff.post(undelivered(world["program"], "/send-all-again"), {})

    assert response.headers["location"] == undelivered(world["program"], "?done=sent-all-again")
    assert [(r["actor_id"], r["detail"]) for r in await audit_rows("email.requeued_all")] == [
        (world["staff"], {"ids": ours, "program_id": world["program"]})]
    assert (await OutboundEmail.select(OutboundEmail.status).where(OutboundEmail.id == theirs).first()) == {
        "status": "failed"}
    await mailbox.wait_for("one0@city.example")
    await mailbox.wait_for("one1@city.example")
    again = await staff.post(undelivered(world["program"], "/send-all-again"), {})
    assert again.headers["location"] == undelivered(world["program"], "?done=none-failed")
    assert len(await audit_rows("email.requeued_all")) == 1


@pytest.mark.parametrize("persona", ["reviewer", "applicant", "funder"])
async def test_people_taking_part_who_are_not_staff_are_forbidden(as_persona, world, persona):
    email_id = await failed_email(world["program"])
    client = await as_persona(persona)
    assert (await client.get(undelivered(world["program"]))).status_code == 403
    assert (await client.post(undelivered(world["program"], "/send-again"), {"email": email_id})).status_code == 403
    assert (await client.post(undelivered(world["program"], "/send-all-again"), {})).status_code == 403
    page = (await client.get("/dashboard")).text
    assert "could not be delivered" not in page and "someone@city.example" not in page
    assert await audit_rows("email.requeued") == await audit_rows("email.requeued_all") == []


async def test_staff_of_another_network_get_not_found(as_persona, world):
    await other_network_staff()
    email_id = await failed_email(world["program"])
    client = await as_persona("anonymous")
    await client.login("staff@othernetwork.org", PASSWORD)
    assert (await client.get(undelivered(world["program"]))).status_code == 404
    assert (await client.post(undelivered(world["program"], "/send-again"), {"email": email_id})).status_code == 404
    assert (await client.post(undelivered(world["program"], "/send-all-again"), {})).status_code == 404
    assert (await OutboundEmail.select(OutboundEmail.status).where(OutboundEmail.id == email_id).first()) == {
        "status": "failed"}


async def test_send_again_without_a_csrf_token_is_refused(as_persona, world):
    email_id = await failed_email(world["program"])
    staff = await as_persona("staff")
    response = await staff.post(undelivered(world["program"], "/send-again"), {"email": email_id}, csrf=False)
    assert response.status_code == 403
    assert await audit_rows("email.requeued") == []


async def test_nothing_failed_shows_no_notice(as_persona, world):
    await failed_email(None, kind="password_reset")  # account mail: the administrators' business
    staff = await as_persona("staff")
    page = (await staff.get(f"/staff/programs/{world['program']}")).text
    assert 'data-testid="mail-trouble"' not in page and "could not be delivered" not in page


async def test_a_reviewer_invitation_concerns_its_program_and_a_staff_invitation_none(as_persona, world):
    from portal.accounts import services as accounts
    from portal.core.actor import Actor, Principal

    staff = await as_persona("staff")
    await staff.get(f"/staff/programs/{world['program']}")
    response = await staff.post(f"/staff/programs/{world['program']}/invitations",
                                {"email": "new.reviewer@experts.org", "role": "reviewer"})
    assert response.status_code == 303
    admin = Actor(user=Principal(id=world["admin"], email="admin@portal.org", name="Admin", is_admin=True), ip="")
    await accounts.invite(admin, "new.staff@network.org", "staff", "http://testserver",
                          organisation_id=world["network"])
    rows = await OutboundEmail.select(OutboundEmail.to_address, OutboundEmail.kind, OutboundEmail.program_id,
                                      OutboundEmail.application_id).order_by(OutboundEmail.id)
    assert rows == [
        {"to_address": "new.reviewer@experts.org", "kind": "invitation", "program_id": world["program"],
         "application_id": None},
        {"to_address": "new.staff@network.org", "kind": "invitation", "program_id": None, "application_id": None}]


async def test_emails_about_an_application_record_its_program_and_application(as_persona, world):
    """A team invitation, a review assignment and a decline letter, each through its page: every email they
    queue names the program and the application (the staff page lists them if they fail)."""
    owner, staff = await as_persona("applicant"), await as_persona("staff")
    application = world["application_a"]
    await owner.get(f"/applications/{application}/team")
    assert (await owner.post(f"/applications/{application}/team/invitations",
                             {"email": "helper@partner.org", "role": "viewer"})).status_code == 303
    await staff.get(f"/staff/applications/{application}")
    assert (await staff.post(f"/staff/applications/{application}/assignments",
                             {"reviewer": str(world["idle_reviewer"])})).status_code == 303
    assert (await staff.post(f"/staff/applications/{application}/decision",
                             {"decision": "decline", "note": "Not this round."})).status_code == 303

    rows = await OutboundEmail.select(OutboundEmail.kind, OutboundEmail.program_id, OutboundEmail.application_id)
    assert {row["kind"] for row in rows} == {"team_invitation", "review_assigned", "decision_declined"}
    assert {(row["program_id"], row["application_id"]) for row in rows} == {(world["program"], application)}


async def test_failed_emails_are_listed_before_delayed_ones(as_persona, world):
    failed = await failed_email(world["program"], "older@city.example")
    rows = await OutboundEmail.insert(OutboundEmail(
        created_at=clock.now(), to_address="newer@city.example", subject="Hello", body_text="Body\n",
        status="queued", attempts=1, error="451 later", next_attempt_at=clock.now() + timedelta(days=1),
        kind="award_made", program_id=world["program"])).returning(OutboundEmail.id)
    staff = await as_persona("staff")
    page = (await staff.get(undelivered(world["program"]))).text
    assert page.index(f'data-email-id="{failed}"') < page.index(f'data-email-id="{rows[0]["id"]}"')
    assert "Award letter" in page
    assert "1 email could not be delivered; 1 is delayed, still retrying." in page
