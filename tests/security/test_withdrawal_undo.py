"""Finding 2: a withdrawal is no longer final. Staff can restore a withdrawn application (with a reason, audited,
the city's team emailed), and the city can start a new application to the same program after a withdrawal
(the withdrawn one kept as it was)."""

from __future__ import annotations

from portal.applications.tables import Application
from portal.core import mail
from portal.core.audit import list_for
from tests.factories.applications import application_row
from tests.support import body_of


async def withdraw_a(world, as_persona):
    owner = await as_persona("applicant")
    await owner.get(f"/applications/{world['application_a']}")
    response = await owner.post(f"/applications/{world['application_a']}/withdraw", {"reason": "Pressed by mistake"})
    assert response.status_code == 303
    return owner


async def restore(client, application_id: int, reason: str = "The mayor withdrew it by mistake"):
    await client.get(f"/staff/applications/{application_id}/deadline")
    return await client.post(f"/staff/applications/{application_id}/restore", {"reason": reason})


async def test_staff_can_restore_a_withdrawn_submission_with_its_receipt(world, as_persona, mailbox):
    await withdraw_a(world, as_persona)
    before = await application_row(world["application_a"])
    staff = await as_persona("staff")
    listed = await staff.get(f"/staff/programs/{world['program']}")  # where staff find it
    assert f'href="/staff/applications/{world["application_a"]}/deadline"' in listed.text
    assert 'data-testid="staff-withdrawn-row"' in listed.text
    page = await staff.get(f"/staff/applications/{world['application_a']}/deadline")
    assert 'data-testid="restore-form"' in page.text
    assert (await restore(staff, world["application_a"])).status_code == 303
    row = await application_row(world["application_a"])
    assert (row["status"], row["receipt_number"], row["submitted_at"]) == (
        "submitted", before["receipt_number"], before["submitted_at"])
    events = [e for e in await list_for("application", world["application_a"]) if e["action"] == "application.restored"]
    assert [(e["detail"]["reason"], e["detail"]["restored_status"]) for e in events] == [
        ("The mayor withdrew it by mistake", "submitted")]
    mail.kick(force=True)
    message = await mailbox.wait_for("applicant@springfield.gov", "Restored")
    assert "The mayor withdrew it by mistake" in body_of(message)


async def test_staff_restore_a_withdrawn_draft_as_a_draft(world, as_persona):
    await Application.update({Application.status: "withdrawn"}).where(Application.id == world["application_b"])
    staff = await as_persona("staff")
    assert (await restore(staff, world["application_b"])).status_code == 303
    assert (await application_row(world["application_b"]))["status"] == "draft"


async def test_restore_needs_the_program_staff(world, as_persona):
    await withdraw_a(world, as_persona)
    for persona, status in (("applicant", 403), ("colleague", 403), ("reviewer", 403), ("stranger", 404)):
        client = await as_persona(persona)
        await client.get("/dashboard")
        response = await client.post(f"/staff/applications/{world['application_a']}/restore", {"reason": "Mine"})
        assert (persona, response.status_code) == (persona, status)
    assert (await application_row(world["application_a"]))["status"] == "withdrawn"


async def test_restore_without_a_reason_is_422_and_of_a_live_application_is_409(world, as_persona):
    staff = await as_persona("staff")
    assert (await restore(staff, world["application_a"])).status_code == 409  # submitted: nothing to restore
    await withdraw_a(world, as_persona)
    response = await restore(staff, world["application_a"], "  ")
    assert response.status_code == 422
    assert 'id="error-restore-reason"' in response.text
    assert (await application_row(world["application_a"]))["status"] == "withdrawn"


async def test_the_city_can_start_again_after_a_withdrawal(world, as_persona):
    owner = await withdraw_a(world, as_persona)
    page = await owner.get(f"/applications/{world['application_a']}")
    assert 'data-testid="start-again"' in page.text
    response = await owner.post("/programs/healthy-babies/apply", {"organisation": str(world["city_a"])})
    assert response.status_code == 303
    new_id = int(response.headers["location"].rsplit("/", 1)[1])
    assert new_id != world["application_a"]
    assert (await application_row(new_id))["status"] == "draft"
    assert (await application_row(world["application_a"]))["status"] == "withdrawn"
    # Starting again once more finds the new draft rather than making a third.
    again = await owner.post("/programs/healthy-babies/apply", {"organisation": str(world["city_a"])})
    assert again.headers["location"] == f"/applications/{new_id}"


async def test_restore_is_refused_while_the_city_has_started_again(world, as_persona):
    owner = await withdraw_a(world, as_persona)
    await owner.post("/programs/healthy-babies/apply", {"organisation": str(world["city_a"])})
    staff = await as_persona("staff")
    response = await restore(staff, world["application_a"])
    assert response.status_code == 409
    assert "new application" in response.text
    assert (await application_row(world["application_a"]))["status"] == "withdrawn"
