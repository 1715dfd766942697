"""The staff progress page of a panel: reviews assigned, submitted, due and overdue per reviewer; reminders."""

from __future__ import annotations

import re
from datetime import timedelta

from portal.core import clock
from portal.core.tables import AuditEvent, OutboundEmail
from portal.reviews.tables import ReviewPanel
from tests.factories import assign, make_application, make_org
from tests.factories.reviews import write_review
from tests.support import body_of


def url(world, tail: str = "") -> str:
    return f"/staff/programs/{world['program']}/panel/progress{tail}"


def row_of(html: str, reviewer_id: int) -> str:
    match = re.search(rf'<tr data-testid="progress-row" data-reviewer-id="{reviewer_id}">(.*?)</tr>', html, re.S)
    assert match, reviewer_id
    return match.group(1)


def cell(row: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}">(.*?)</td>', row, re.S)
    assert match, testid
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


async def more_applications(world, count: int) -> list[int]:
    ids = []
    for i in range(count):
        city = await make_org("city", f"Village {i}", state="MN")
        ids.append(await make_application(world["program"], city, world["applicant"], status="submitted"))
    return ids


async def test_progress_counts_per_reviewer(as_persona, world):
    apps = await more_applications(world, 2)
    done = await assign(apps[0], world["reviewer"], world["staff"])
    await write_review(done, world["program"], [4, 4])
    await assign(apps[1], world["reviewer"], world["staff"])
    await ReviewPanel.update({ReviewPanel.due_at: clock.now() - timedelta(days=1)}).where(
        ReviewPanel.id == world["panel"])
    staff = await as_persona("staff")
    page = await staff.get(url(world))
    assert page.status_code == 200
    reviewer = row_of(page.text, world["reviewer"])
    assert [cell(reviewer, k) for k in ("assigned", "submitted", "due", "overdue")] == ["3", "1", "2", "2 overdue"]
    idle = row_of(page.text, world["idle_reviewer"])
    assert [cell(idle, k) for k in ("assigned", "submitted", "due", "overdue")] == ["0", "0", "0", "0"]
    assert "Nothing due" in idle
    assert "(passed)" in page.text


async def test_nothing_overdue_before_the_due_date(as_persona, world):
    await ReviewPanel.update({ReviewPanel.due_at: clock.now() + timedelta(days=3)}).where(
        ReviewPanel.id == world["panel"])
    staff = await as_persona("staff")
    page = await staff.get(url(world))
    reviewer = row_of(page.text, world["reviewer"])
    assert (cell(reviewer, "due"), cell(reviewer, "overdue")) == ("1", "0")


async def test_last_activity_follows_the_reviewers_own_saves(as_persona, world):
    from tests.factories.reviews import criteria_of, score_form

    staff = await as_persona("staff")
    before = row_of((await staff.get(url(world))).text, world["reviewer"])
    assert "None yet" in before
    reviewer = await as_persona("reviewer")
    await reviewer.get(f"/reviews/{world['assignment']}")
    saved = await reviewer.post(f"/reviews/{world['assignment']}",
                                score_form(await criteria_of(world["program"]), [3, None]) | {"version": "0"})
    assert saved.status_code in (200, 303)
    after = row_of((await staff.get(url(world))).text, world["reviewer"])
    assert "None yet" not in after and "<time" in after


async def test_send_reminder_to_one_reviewer(as_persona, world, mailbox):
    due = clock.now() + timedelta(days=2)
    await ReviewPanel.update({ReviewPanel.due_at: due}).where(ReviewPanel.id == world["panel"])
    staff = await as_persona("staff")
    await staff.get(url(world))
    response = await staff.post(url(world, "/remind"), {"reviewer": world["reviewer"]})
    assert response.status_code == 303
    message = await mailbox.wait_for("reviewer@experts.org", "Reminder: 1 review due")
    assert "1 review to submit" in body_of(message)
    assert due.strftime("%Y") in body_of(message)
    events = await AuditEvent.select(AuditEvent.detail).where(AuditEvent.action == "review.reminded").output(
        load_json=True)
    assert [e["detail"]["reviewer_id"] for e in events] == [world["reviewer"]]
    page = await staff.get(response.headers["location"])
    assert "1 reminder emailed." in page.text
    assert "Never" not in cell(row_of(page.text, world["reviewer"]), "last-reminded")
    assert cell(row_of(page.text, world["idle_reviewer"]), "last-reminded") == "Never"


async def test_reminder_refused_for_someone_with_nothing_due(as_persona, world):
    staff = await as_persona("staff")
    await staff.get(url(world))
    for form in ({"reviewer": world["idle_reviewer"]}, {"reviewer": world["other_reviewer"]}, {"reviewer": "abc"}, {}):
        response = await staff.post(url(world, "/remind"), form)
        assert response.status_code == 422, form
        assert 'data-testid="error-summary"' in response.text
    assert await OutboundEmail.count() == 0


async def test_remind_everyone_emails_only_those_with_reviews_due(as_persona, world, mailbox):
    apps = await more_applications(world, 1)
    await assign(apps[0], world["idle_reviewer"], world["staff"])
    await assign(apps[0], world["reviewer"], world["staff"])
    await write_review(world["assignment"], world["program"], [4, 5])  # reviewer: 1 of 2 left
    third_done = await assign(world["application_a"], world["idle_reviewer"], world["staff"])
    await write_review(third_done, world["program"], [2, 2])
    from tests.factories import make_user
    from tests.factories.reviews import add_panel_member

    finished = await make_user("finished@experts.org", "Fin Ished")
    await add_panel_member(world["panel"], world["program"], finished)
    staff = await as_persona("staff")
    await staff.get(url(world))
    response = await staff.post(url(world, "/remind-all"))
    assert response.status_code == 303 and "reminded=2" in response.headers["location"]
    await mailbox.wait_for("reviewer@experts.org", "Reminder: 1 review due")
    await mailbox.wait_for("idle.reviewer@experts.org", "Reminder: 1 review due")
    reminders = await OutboundEmail.select(OutboundEmail.to_address).where(OutboundEmail.subject.like("Reminder:%"))
    assert sorted(r["to_address"] for r in reminders) == ["idle.reviewer@experts.org", "reviewer@experts.org"]
    assert await AuditEvent.count().where(AuditEvent.action == "review.reminded") == 2


async def test_remind_everyone_with_nothing_due_sends_nothing(as_persona, world):
    await write_review(world["assignment"], world["program"], [4, 5])
    staff = await as_persona("staff")
    await staff.get(url(world))
    response = await staff.post(url(world, "/remind-all"))
    assert response.status_code == 303
    page = await staff.get(response.headers["location"])
    assert "no reminder was sent" in page.text
    assert await OutboundEmail.count() == 0
