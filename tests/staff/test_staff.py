"""The program staff area through HTTP: programs, ranked applications, assignment, invitations (the outbox:
tests/staff/mail/test_outbox.py)."""

from __future__ import annotations

import re

from portal.accounts.tables import Membership
from portal.core import clock
from portal.core.tables import OutboundEmail
from portal.programs.tables import ProgramRole
from portal.reviews.tables import Assignment
from tests.factories import (
    PASSWORD,
    add_member,
    add_reviewer,
    assign,
    make_application,
    make_org,
    make_user,
)
from tests.factories.reviews import other_network_staff, write_review
from tests.support import body_of

NON_STAFF = ("applicant", "reviewer", "funder")


def staff_urls(world) -> list[str]:
    return ["/staff", f"/staff/programs/{world['program']}", f"/staff/applications/{world['application_a']}"]


async def test_staff_home_lists_programs_with_counts(as_persona, world):
    staff = await as_persona("staff")
    response = await staff.get("/staff")
    assert response.status_code == 200
    assert f'href="/staff/programs/{world["program"]}"' in response.text
    assert f'href="/staff/programs/{world["other_program"]}"' in response.text
    row = re.search(r'<tr data-testid="staff-program-row">.*?Healthy Babies.*?</tr>', response.text, re.S).group(0)
    # drafts 1, submitted 1, reviewed 0, awarded 0
    assert re.findall(r'<td class="text-right">(\d+)</td>', row) == ["1", "1", "0", "0"]


async def test_staff_pages_are_forbidden_to_non_staff(as_persona, world):
    for persona in NON_STAFF:
        client = await as_persona(persona)
        for url in staff_urls(world):
            response = await client.get(url)
            assert response.status_code == 403, (persona, url)


async def test_staff_pages_send_anonymous_to_sign_in(as_persona, world):
    anonymous = await as_persona("anonymous")
    for url in staff_urls(world):
        assert (await anonymous.get(url)).status_code == 303, url


async def test_staff_of_another_network_get_404(portal, world, make_client):
    await other_network_staff()
    other = await make_client()
    await other.login("staff@othernetwork.org", PASSWORD)
    assert (await other.get("/staff")).status_code == 200
    assert "Healthy Babies" not in (await other.get("/staff")).text
    for url in staff_urls(world)[1:3]:
        assert (await other.get(url)).status_code == 404, url
    response = await other.post(f"/staff/assignments/{world['assignment']}/delete")
    assert response.status_code == 404
    response = await other.post(f"/staff/applications/{world['application_a']}/assignments",
                                {"reviewer": str(world["idle_reviewer"])})
    assert response.status_code == 404
    response = await other.post(f"/staff/programs/{world['program']}/invitations",
                                {"email": "x@experts.org", "role": "reviewer"})
    assert response.status_code == 404
    assert await Assignment.count() == 1


async def test_staff_cannot_open_a_draft_application(as_persona, world):
    staff = await as_persona("staff")
    assert (await staff.get(f"/staff/applications/{world['application_b']}")).status_code == 404


async def test_staff_program_empty_state(as_persona, world):
    staff = await as_persona("staff")
    response = await staff.get(f"/staff/programs/{world['other_program']}")
    assert response.status_code == 200
    assert 'data-testid="applications-empty"' in response.text


async def test_staff_program_ranks_by_weighted_mean_of_submitted_reviews(as_persona, world):
    city_c = await make_org("city", "Capital City", state="IL", domain="capital.gov")
    mayor_c = await make_user("mayor@capital.gov")
    await add_member(mayor_c, city_c, "owner")
    application_c = await make_application(world["program"], city_c, mayor_c, status="submitted",
                                           answers={"project_title": "Diapers for all", "amount": 100_000})
    city_d = await make_org("city", "Ogdenville", state="IL")
    application_d = await make_application(world["program"], city_d, mayor_c, status="submitted",
                                           answers={"project_title": "Not yet reviewed", "amount": 100_000})
    # A: (4×40 + 5×60)/100 = 4.6 and (3×40 + 4×60)/100 = 3.6 -> mean 4.10
    await write_review(world["assignment"], world["program"], [4, 5])
    idle_on_a = await assign(world["application_a"], world["idle_reviewer"], world["staff"])
    await write_review(idle_on_a, world["program"], [3, 4])
    # C: (5×40 + 4×60)/100 = 4.4; a draft review (1, 1) does not count
    await write_review(await assign(application_c, world["reviewer"], world["staff"]), world["program"], [5, 4])
    await write_review(await assign(application_c, world["idle_reviewer"], world["staff"]), world["program"], [1, 1],
                       submitted=False)
    await assign(application_d, world["reviewer"], world["staff"])

    staff = await as_persona("staff")
    response = await staff.get(f"/staff/programs/{world['program']}")
    assert response.status_code == 200
    assert "Weighted mean of reviewers' rubric scores (Σ score × weight / Σ weights)" in response.text.replace("&#39;", "'")
    rows = re.findall(r'data-application-id="(\d+)">\s*<td data-testid="rank">(.*?)</td>.*?<td>(\d+ of \d+)</td>\s*'
                      r'<td class="text-right" data-testid="weighted-mean">(.*?)</td>', response.text, re.S)
    table = [(int(app_id), re.sub(r"<[^>]+>", "", rank), done, re.sub(r"<[^>]+>", "", mean)) for app_id, rank, done, mean in rows]
    assert table == [
        (application_c, "1", "1 of 2", "4.40"),
        (world["application_a"], "2", "2 of 2", "4.10"),
        (application_d, "—", "0 of 1", "—"),
    ]


async def test_staff_program_ties_share_a_rank(as_persona, world):
    city_c = await make_org("city", "Capital City", state="IL")
    mayor_c = await make_user("mayor@capital.gov")
    application_c = await make_application(world["program"], city_c, mayor_c, status="submitted")
    await write_review(world["assignment"], world["program"], [4, 4])
    await write_review(await assign(application_c, world["reviewer"], world["staff"]), world["program"], [4, 4])
    staff = await as_persona("staff")
    response = await staff.get(f"/staff/programs/{world['program']}")
    assert re.findall(r'<td data-testid="rank">(\d+)</td>', response.text) == ["1", "1"]


async def test_staff_application_page_shows_reviews_and_decide_link(as_persona, world):
    await write_review(world["assignment"], world["program"], [4, 5], comment="Strong plan")
    staff = await as_persona("staff")
    response = await staff.get(f"/staff/applications/{world['application_a']}")
    assert response.status_code == 200
    assert 'data-testid="answers"' in response.text
    assert "Strong plan" in response.text
    assert "On Need" in response.text
    assert 'data-testid="weighted-mean">4.60<' in response.text
    assert f'href="/staff/applications/{world["application_a"]}/decision"' in response.text


async def test_assign_reviewer_adds_to_their_queue_and_emails_them(as_persona, world, mailbox):
    staff = await as_persona("staff")
    page = await staff.get(f"/staff/applications/{world['application_a']}")
    assert f'<option value="{world["idle_reviewer"]}"' in page.text
    assert f'<option value="{world["reviewer"]}"' not in page.text  # already assigned
    response = await staff.post(f"/staff/applications/{world['application_a']}/assignments",
                                {"reviewer": str(world["idle_reviewer"])})
    assert response.status_code == 303
    message = await mailbox.wait_for("idle.reviewer@experts.org", "An application to review")
    assignment = await Assignment.select(Assignment.id).where(Assignment.reviewer == world["idle_reviewer"]).first()
    assert f"/reviews/{assignment['id']}" in body_of(message)
    idle = await as_persona("idle_reviewer")
    assert f'href="/reviews/{assignment["id"]}"' in (await idle.get("/reviews")).text


async def test_assign_conflicted_reviewer_is_not_offered_and_refused(as_persona, world):
    same_domain = await make_user("planner@springfield.gov", "Pat Planner")
    await add_reviewer(world["program"], same_domain)
    member = await make_user("expert@university.edu", "Uma Member")
    await add_member(member, world["city_a"], "member")
    await add_reviewer(world["program"], member)
    staff = await as_persona("staff")
    page = await staff.get(f"/staff/applications/{world['application_a']}")
    assert f'<option value="{same_domain}"' not in page.text
    assert f'<option value="{member}"' not in page.text
    assert "Pat Planner" in page.text  # named as not offered
    for reviewer_id in (same_domain, member):
        response = await staff.post(f"/staff/applications/{world['application_a']}/assignments",
                                    {"reviewer": str(reviewer_id)})
        assert response.status_code == 422
        assert "conflict of interest" in response.text
    assert await Assignment.count() == 1


async def test_assign_bad_input_is_422(as_persona, world):
    staff = await as_persona("staff")
    await staff.get(f"/staff/applications/{world['application_a']}")
    for value, message in (("", "Choose a reviewer."), (str(world["other_reviewer"]), "this program&#39;s panel"),
                           (str(world["reviewer"]), "already assigned")):
        response = await staff.post(f"/staff/applications/{world['application_a']}/assignments", {"reviewer": value})
        assert response.status_code == 422, value
        assert 'id="error-reviewer"' in response.text
        assert message in response.text, value


async def test_assignment_on_draft_application_is_404(as_persona, world):
    staff = await as_persona("staff")
    await staff.get("/staff")
    response = await staff.post(f"/staff/applications/{world['application_b']}/assignments",
                                {"reviewer": str(world["idle_reviewer"])})
    assert response.status_code == 404


async def test_remove_assignment_before_submission(as_persona, world):
    staff = await as_persona("staff")
    await staff.get("/staff")
    response = await staff.post(f"/staff/assignments/{world['assignment']}/delete")
    assert response.status_code == 303
    assert response.headers["location"] == f"/staff/applications/{world['application_a']}#assignments"
    assert await Assignment.count() == 0
    reviewer = await as_persona("reviewer")
    assert (await reviewer.get(f"/reviews/{world['assignment']}")).status_code == 404


async def test_remove_submitted_assignment_is_409(as_persona, world):
    await write_review(world["assignment"], world["program"], [3, 3])
    staff = await as_persona("staff")
    await staff.get("/staff")
    response = await staff.post(f"/staff/assignments/{world['assignment']}/delete")
    assert response.status_code == 409
    assert await Assignment.count() == 1


async def test_remove_assignment_by_non_staff_is_403(as_persona, world):
    reviewer = await as_persona("reviewer")
    response = await reviewer.post(f"/staff/assignments/{world['assignment']}/delete")
    assert response.status_code == 403
    assert await Assignment.count() == 1


async def test_invite_reviewer_email_and_accept_joins_the_panel(as_persona, world, mailbox, make_client):
    staff = await as_persona("staff")
    await staff.get(f"/staff/programs/{world['program']}")
    response = await staff.post(f"/staff/programs/{world['program']}/invitations",
                                {"email": "New.Expert@Experts.org", "role": "reviewer"})
    assert response.status_code == 303
    message = await mailbox.wait_for("new.expert@experts.org", "invited")
    body = body_of(message)
    assert "Healthy Babies" in body
    token = re.search(r"/invitations/(\S+)", body).group(1)
    invitee = await make_client()
    await invitee.get("/register")
    registered = await invitee.post("/register", {"name": "Nia Expert", "email": "new.expert@experts.org",
                                                  "password": "a long password", "password_confirm": "a long password"})
    assert registered.status_code == 303
    await invitee.get(f"/invitations/{token}")
    accepted = await invitee.post(f"/invitations/{token}")
    assert accepted.status_code == 303
    roles = await ProgramRole.select(ProgramRole.program, ProgramRole.role).where(
        ProgramRole.user.email == "new.expert@experts.org")
    assert roles == [{"program": world["program"], "role": "reviewer"}]
    assert (await invitee.get("/reviews")).status_code == 200
    assert "Nia Expert" in (await staff.get(f"/staff/applications/{world['application_a']}")).text


async def test_invite_funder_joins_the_chosen_funder(as_persona, world, mailbox, make_client):
    staff = await as_persona("staff")
    await staff.get(f"/staff/programs/{world['program']}")
    response = await staff.post(f"/staff/programs/{world['program']}/invitations",
                                {"email": "officer@foundation.org", "role": "funder",
                                 "funder_id": str(world["foundation"])})
    assert response.status_code == 303
    body = body_of(await mailbox.wait_for("officer@foundation.org", "invited"))
    token = re.search(r"/invitations/(\S+)", body).group(1)
    invitee = await make_client()
    await invitee.get("/register")
    await invitee.post("/register", {"name": "Fay Officer", "email": "officer@foundation.org",
                                     "password": "a long password", "password_confirm": "a long password"})
    await invitee.get(f"/invitations/{token}")
    assert (await invitee.post(f"/invitations/{token}")).status_code == 303
    memberships = await Membership.select(Membership.organisation, Membership.role).where(
        Membership.user.email == "officer@foundation.org")
    assert memberships == [{"organisation": world["foundation"], "role": "funder"}]


async def test_invite_bad_input_is_422_and_keeps_input(as_persona, world):
    staff = await as_persona("staff")
    await staff.get(f"/staff/programs/{world['program']}")
    response = await staff.post(f"/staff/programs/{world['program']}/invitations",
                                {"email": "not an email", "role": "staff"})
    assert response.status_code == 422
    assert 'id="error-email"' in response.text and 'id="error-role"' in response.text
    assert 'value="not an email"' in response.text
    # a funder of another program is not offered and is refused
    response = await staff.post(f"/staff/programs/{world['program']}/invitations",
                                {"email": "x@trust.org", "role": "funder", "funder_id": str(world["trust"])})
    assert response.status_code == 422
    assert 'id="error-funder_id"' in response.text
    assert 'value="x@trust.org"' in response.text
    assert await OutboundEmail.count() == 0


async def test_invite_by_non_staff_is_403(as_persona, world):
    funder = await as_persona("funder")
    response = await funder.post(f"/staff/programs/{world['program']}/invitations",
                                 {"email": "x@foundation.org", "role": "funder", "funder_id": str(world["foundation"])})
    assert response.status_code == 403
    assert await OutboundEmail.count() == 0


async def test_dashboard_shows_staff_programs(as_persona, world):
    staff = await as_persona("staff")
    response = await staff.get("/dashboard")
    assert 'data-testid="dashboard-staff"' in response.text
    assert f'href="/staff/programs/{world["program"]}"' in response.text
    funder = await as_persona("funder")
    assert 'data-testid="dashboard-staff"' not in (await funder.get("/dashboard")).text


async def test_admin_sees_every_program(as_persona, world):
    admin = await as_persona("admin")
    response = await admin.get("/staff")
    assert f'href="/staff/programs/{world["program"]}"' in response.text
    assert (await admin.get(f"/staff/applications/{world['application_a']}")).status_code == 200


async def test_staff_program_ranks_lowest_first_on_an_nih_scale(as_persona, world):
    """On an NIH-style rubric (1 is exceptional, 9 poor) the lower mean ranks first."""
    from portal.programs.tables import Criterion

    await Criterion.update({Criterion.scale_min: 1, Criterion.scale_max: 9, Criterion.lower_is_better: True}).where(
        Criterion.program == world["program"])
    city_c = await make_org("city", "Capital City", state="IL")
    mayor_c = await make_user("mayor@capital.gov")
    application_c = await make_application(world["program"], city_c, mayor_c, status="submitted")
    await write_review(world["assignment"], world["program"], [2, 2])  # A: 2.0, exceptional
    await write_review(await assign(application_c, world["reviewer"], world["staff"]), world["program"], [7, 7])
    staff = await as_persona("staff")
    response = await staff.get(f"/staff/programs/{world['program']}")
    ranked = re.findall(r'data-application-id="(\d+)">\s*<td data-testid="rank">(\d+)</td>', response.text)
    assert ranked == [(str(world["application_a"]), "1"), (str(application_c), "2")]


async def test_staff_program_leaves_out_a_conflicted_reviewers_score(as_persona, world):
    from portal.core import clock
    from portal.reviews.tables import ReviewConflict

    await write_review(world["assignment"], world["program"], [5, 5])
    idle_on_a = await assign(world["application_a"], world["idle_reviewer"], world["staff"])
    await write_review(idle_on_a, world["program"], [1, 1])
    await ReviewConflict.insert(ReviewConflict(application=world["application_a"], reviewer=world["idle_reviewer"],
                                               source="staff", reason="Former employee", declared_at=clock.now()))
    staff = await as_persona("staff")
    response = await staff.get(f"/staff/programs/{world['program']}")
    mean = re.search(r'data-application-id="%d">.*?data-testid="weighted-mean">(.*?)</td>' % world["application_a"],
                     response.text, re.S).group(1)
    assert mean == "5.00"
