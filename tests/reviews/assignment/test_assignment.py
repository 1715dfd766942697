"""The staff assignment page: compute a proposal, preview it, adjust it by hand, publish it (issue 4)."""

from __future__ import annotations

import json

from portal.core import clock
from portal.core.tables import AuditEvent, OutboundEmail
from portal.reviews.tables import Assignment, PanelMember, ReviewConflict, ReviewPanel, ReviewPreference
from tests.factories import VALID_ANSWERS, add_member, make_application, make_org, make_user
from tests.factories.reviews import add_panel_member, other_network_staff
from tests.support import body_of


def url(world, tail: str = "") -> str:
    return f"/staff/programs/{world['program']}/panel/assignment{tail}"


async def proposal(world) -> dict:
    row = await ReviewPanel.select(ReviewPanel.proposal).where(ReviewPanel.id == world["panel"]).first()
    value = row["proposal"]
    return json.loads(value) if isinstance(value, str) else value


async def add_cities(world, count: int, *, focus: str = "screening") -> list[int]:
    ids = []
    for i in range(count):
        city = await make_org("city", f"Town {i}", state="WI", domain=f"town{i}.gov")
        ids.append(await make_application(world["program"], city, world["applicant"], status="submitted",
                                          answers={**VALID_ANSWERS, "focus": focus, "project_title": f"Plan {i}"}))
    return ids


async def declare(application_id: int, reviewer_id: int, reason: str = "I advised them") -> None:
    await ReviewConflict.insert(ReviewConflict(application=application_id, reviewer=reviewer_id, source="reviewer",
                                               reason=reason, declared_at=clock.now()))


async def test_compute_respects_conflicts_capacity_and_k(as_persona, world):
    apps = await add_cities(world, 4)
    third = await make_user("third@experts.org", "Tess Third")
    await add_panel_member(world["panel"], world["program"], third, capacity=2)
    await PanelMember.update({PanelMember.capacity: 4}).where(PanelMember.panel == world["panel"])
    await PanelMember.update({PanelMember.capacity: 2}).where(PanelMember.user == third)
    await ReviewPanel.update({ReviewPanel.reviews_per_application: 2}).where(ReviewPanel.id == world["panel"])
    await declare(apps[0], world["idle_reviewer"])
    staff = await as_persona("staff")
    await staff.get(url(world))
    response = await staff.post(url(world, "/compute"))
    assert response.status_code == 303
    stored = await proposal(world)
    pairs = {tuple(p) for p in stored["pairs"]}
    assert (apps[0], world["idle_reviewer"]) not in pairs  # declared conflict
    assert (world["application_a"], world["reviewer"]) not in pairs  # already assigned: never duplicated
    loads: dict[int, int] = {}
    counts: dict[int, int] = {world["application_a"]: 1}  # the world's existing assignment counts toward k
    for a, r in pairs:
        loads[r] = loads.get(r, 0) + 1
        counts[a] = counts.get(a, 0) + 1
    assert loads.get(world["reviewer"], 0) + 1 <= 4 and loads.get(world["idle_reviewer"], 0) <= 4
    assert loads.get(third, 0) <= 2
    assert all(n <= 2 for n in counts.values())
    assert sum(counts.values()) == 10  # 5 applications x k=2 fit in 4 + 4 + 2 = 10 places
    assert stored["unfilled"] == [] and stored["computed_at"]
    assert await Assignment.count() == 1  # a proposal assigns nobody
    page = await staff.get(url(world))
    assert "Balanced load, then preferences and expertise; conflicts excluded" in page.text
    assert 'data-testid="publish"' in page.text


async def test_preview_shows_unfilled_reason(as_persona, world):
    apps = await add_cities(world, 1)
    await declare(apps[0], world["idle_reviewer"])
    staff = await as_persona("staff")
    await staff.get(url(world))
    await staff.post(url(world, "/compute"))
    stored = await proposal(world)
    short = {u["application"]: u for u in stored["unfilled"]}
    assert short[apps[0]]["missing"] == 2  # k=3; only the world's reviewer is free of conflict
    page = await staff.get(url(world))
    assert "only 1 reviewer(s) have no conflict of interest; 3 are needed" in page.text
    assert 'data-testid="unfilled-reason"' in page.text


async def test_preferences_and_expertise_steer_the_proposal(as_persona, world):
    apps = await add_cities(world, 2, focus="diapers")
    await ReviewPanel.update({ReviewPanel.reviews_per_application: 1}).where(ReviewPanel.id == world["panel"])
    await PanelMember.update({PanelMember.expertise: "Diaper bank, housing"}).where(
        PanelMember.user == world["idle_reviewer"])
    await ReviewPreference.insert(
        ReviewPreference(application=apps[0], reviewer=world["reviewer"], level="eager", updated_at=clock.now()),
        ReviewPreference(application=apps[0], reviewer=world["idle_reviewer"], level="not", updated_at=clock.now()))
    staff = await as_persona("staff")
    await staff.get(url(world))
    await staff.post(url(world, "/compute"))
    pairs = {tuple(p) for p in (await proposal(world))["pairs"]}
    # Either split balances the loads (the world's reviewer already holds one); preferences and expertise decide.
    assert pairs == {(apps[0], world["reviewer"]), (apps[1], world["idle_reviewer"])}
    page = await staff.get(url(world))
    assert "(eager)" in page.text and "(expertise)" in page.text


async def test_adjust_add_and_remove_pairs(as_persona, world):
    apps = await add_cities(world, 1)
    third = await make_user("third@experts.org", "Tess Third")
    await add_panel_member(world["panel"], world["program"], third, capacity=0)
    staff = await as_persona("staff")
    await staff.get(url(world))
    await staff.post(url(world, "/compute"))
    pairs = {tuple(p) for p in (await proposal(world))["pairs"]}
    assert (apps[0], world["reviewer"]) in pairs
    response = await staff.post(url(world, "/pairs/remove"), {"application": apps[0], "reviewer": world["reviewer"]})
    assert response.status_code == 303
    stored = await proposal(world)
    assert (apps[0], world["reviewer"]) not in {tuple(p) for p in stored["pairs"]}
    assert any(u["application"] == apps[0] for u in stored["unfilled"])
    again = await staff.post(url(world, "/pairs/remove"), {"application": apps[0], "reviewer": world["reviewer"]})
    assert again.status_code == 422 and "not in the proposal" in again.text
    response = await staff.post(url(world, "/pairs"), {"application": apps[0], "reviewer": world["reviewer"]})
    assert response.status_code == 303
    assert (apps[0], world["reviewer"]) in {tuple(p) for p in (await proposal(world))["pairs"]}
    # Over capacity: allowed, with a warning.
    response = await staff.post(url(world, "/pairs"), {"application": apps[0], "reviewer": third})
    assert response.status_code == 303
    warned = await staff.get(response.headers["location"])
    assert "more than their capacity of 0" in warned.text
    events = await AuditEvent.select(AuditEvent.action).where(AuditEvent.object_type == "review_panel")
    assert {"panel.assignment_pair_added", "panel.assignment_pair_removed"} <= {e["action"] for e in events}


async def test_adjust_refuses_conflicted_duplicate_and_non_member_with_422(as_persona, world):
    apps = await add_cities(world, 1)
    outsider = await make_user("outsider@experts.org", "Otto Outsider")
    staff = await as_persona("staff")
    await staff.get(url(world))
    response = await staff.post(url(world, "/pairs"), {"application": apps[0], "reviewer": world["reviewer"]})
    assert response.status_code == 422 and "Compute a proposal first" in response.text
    await staff.post(url(world, "/compute"))
    await staff.post(url(world, "/pairs/remove"), {"application": apps[0], "reviewer": world["idle_reviewer"]})
    await declare(apps[0], world["idle_reviewer"], "Former employee")
    before = await proposal(world)
    cases = [
        ({"application": apps[0], "reviewer": world["idle_reviewer"]}, "conflict of interest"),
        ({"application": world["application_a"], "reviewer": world["reviewer"]}, "already assigned or proposed"),
        ({"application": apps[0], "reviewer": outsider}, "member of this panel"),
        ({"application": world["application_b"], "reviewer": world["reviewer"]}, "application of this panel"),
        ({"application": "x", "reviewer": ""}, "Choose a reviewer."),
        ({"application": "9" * 40, "reviewer": "-1"}, "Choose an application."),
    ]
    for form, message in cases:
        response = await staff.post(url(world, "/pairs"), form)
        assert response.status_code == 422, form
        assert message in response.text, form
        assert 'data-testid="error-summary"' in response.text
    assert await proposal(world) == before


async def test_publish_creates_assignments_and_one_email_per_reviewer_and_is_idempotent(as_persona, world, mailbox):
    apps = await add_cities(world, 3)
    due = clock.now().replace(microsecond=0)
    await ReviewPanel.update({ReviewPanel.reviews_per_application: 2, ReviewPanel.due_at: due}).where(
        ReviewPanel.id == world["panel"])
    staff = await as_persona("staff")
    await staff.get(url(world))
    await staff.post(url(world, "/compute"))
    pairs = {tuple(p) for p in (await proposal(world))["pairs"]}
    per_reviewer = {r: sum(1 for _, x in pairs if x == r) for _, r in pairs}
    response = await staff.post(url(world, "/publish"))
    assert response.status_code == 303
    assert "done=published" in response.headers["location"]
    made = {(a["application"], a["reviewer"]) for a in await Assignment.select(Assignment.application,
                                                                               Assignment.reviewer)}
    assert made == pairs | {(world["application_a"], world["reviewer"])}
    panel = await ReviewPanel.select().where(ReviewPanel.id == world["panel"]).output(load_json=True).first()
    assert panel["proposal"] == {} and panel["published_at"] is not None
    for reviewer_key, email in (("reviewer", "reviewer@experts.org"), ("idle_reviewer", "idle.reviewer@experts.org")):
        count = per_reviewer[world[reviewer_key]]
        message = await mailbox.wait_for(email, f"{count} application")
        assert "/reviews" in body_of(message)
        assert due.strftime("%Y") in body_of(message)
    queued = await OutboundEmail.select(OutboundEmail.to_address).where(OutboundEmail.subject.like("%to review for%"))
    assert sorted(q["to_address"] for q in queued) == ["idle.reviewer@experts.org", "reviewer@experts.org"]
    # Twice: nothing more.
    again = await staff.post(url(world, "/publish"))
    assert again.status_code == 303 and "done=nothing" in again.headers["location"]
    assert await Assignment.count() == len(made)
    assert await OutboundEmail.count().where(OutboundEmail.subject.like("%to review for%")) == 2
    page = await staff.get(response.headers["location"])
    assert f"{len(pairs)} assignments made" in page.text
    events = await AuditEvent.select(AuditEvent.action).where(AuditEvent.action == "panel.assignment_published")
    assert len(events) == 1
    # The reviewers see their new work.
    idle = await as_persona("idle_reviewer")
    listing = await idle.get("/reviews")
    assert listing.text.count('href="/reviews/') >= per_reviewer[world["idle_reviewer"]]
    assert apps  # used above through the proposal


async def test_publish_skips_pairs_conflicted_since_with_a_message(as_persona, world, mailbox):
    apps = await add_cities(world, 1)
    staff = await as_persona("staff")
    await staff.get(url(world))
    await staff.post(url(world, "/compute"))
    assert (apps[0], world["idle_reviewer"]) in {tuple(p) for p in (await proposal(world))["pairs"]}
    await declare(apps[0], world["idle_reviewer"], "My sister is the mayor")
    response = await staff.post(url(world, "/publish"))
    page = await staff.get(response.headers["location"])
    assert 'data-testid="skipped"' in page.text
    assert "My sister is the mayor" in page.text
    assert not await Assignment.exists().where(
        (Assignment.application == apps[0]) & (Assignment.reviewer == world["idle_reviewer"]))
    assert await Assignment.exists().where(
        (Assignment.application == apps[0]) & (Assignment.reviewer == world["reviewer"]))


async def test_manual_assign_refuses_a_declared_conflict_and_a_non_member(as_persona, world):
    await declare(world["application_a"], world["idle_reviewer"], "I wrote their plan")
    staff = await as_persona("staff")
    await staff.get(f"/staff/applications/{world['application_a']}")
    response = await staff.post(f"/staff/applications/{world['application_a']}/assignments",
                                {"reviewer": str(world["idle_reviewer"])})
    assert response.status_code == 422
    assert "conflict of interest" in response.text and "I wrote their plan" in response.text
    # A reviewer role on the program without a seat on its panel is not enough any more.
    from tests.factories import add_reviewer

    seatless = await make_user("seatless@experts.org", "Sam Seatless")
    await add_reviewer(world["program"], seatless)
    response = await staff.post(f"/staff/applications/{world['application_a']}/assignments",
                                {"reviewer": str(seatless)})
    assert response.status_code == 422 and "this program&#39;s panel" in response.text
    assert await Assignment.count() == 1


async def test_manual_assign_refuses_home_city_conflict(as_persona, world):
    resident = await make_user("resident@experts.org", "Rita Resident")
    await add_panel_member(world["panel"], world["program"], resident, home_city="Springfield, IL")
    staff = await as_persona("staff")
    await staff.get(f"/staff/applications/{world['application_a']}")
    response = await staff.post(f"/staff/applications/{world['application_a']}/assignments",
                                {"reviewer": str(resident)})
    assert response.status_code == 422 and "Lives in the applicant city" in response.text


async def test_assignment_pages_access(as_persona, world):
    other = await other_network_staff()
    from tests.support import Client  # noqa: F401  (the matrix covers every persona; this checks another network)
    from tests.factories import PASSWORD

    client = await as_persona("anonymous")
    await client.login("staff@othernetwork.org", PASSWORD)
    assert (await client.get(url(world))).status_code == 404
    assert (await client.post(url(world, "/compute"))).status_code == 404
    assert other
    reviewer = await as_persona("reviewer")
    assert (await reviewer.get(url(world))).status_code == 403


async def test_program_without_panel_says_so(as_persona, world):
    await ReviewPanel.delete().where(ReviewPanel.id == world["other_panel"])
    staff = await as_persona("staff")
    page = await staff.get(f"/staff/programs/{world['other_program']}/panel/assignment")
    assert page.status_code == 200 and 'data-testid="no-panel"' in page.text
    response = await staff.post(f"/staff/programs/{world['other_program']}/panel/assignment/compute")
    assert response.status_code == 409


async def test_program_page_links_to_assignment_and_progress(as_persona, world):
    staff = await as_persona("staff")
    page = await staff.get(f"/staff/programs/{world['program']}")
    assert f'href="/staff/programs/{world["program"]}/panel/assignment"' in page.text
    assert f'href="/staff/programs/{world["program"]}/panel/progress"' in page.text


async def test_members_of_applicant_city_are_never_proposed(as_persona, world):
    apps = await add_cities(world, 2)
    insider = await make_user("insider@experts.org", "Ina Insider")
    city = (await make_org("city", "Insideville", state="WI"))
    await add_member(insider, city, "member")
    inside_app = await make_application(world["program"], city, world["applicant"], status="submitted")
    await add_panel_member(world["panel"], world["program"], insider)
    staff = await as_persona("staff")
    await staff.get(url(world))
    await staff.post(url(world, "/compute"))
    pairs = {tuple(p) for p in (await proposal(world))["pairs"]}
    assert (inside_app, insider) not in pairs
    assert {(a, insider) for a in apps} <= pairs


async def test_concurrent_publishes_make_each_assignment_once(world):
    import asyncio

    from portal.core.actor import Actor, Principal
    from portal.reviews import queries
    from portal.reviews.assignment import services as assignment_services

    await add_cities(world, 3)
    staff = Actor(Principal(id=world["staff"], email="staff@network.org", name="Staff", is_admin=True), "127.0.0.1")
    proposal_made = await assignment_services.compute_proposal(staff, await queries.get_panel(world["program"]))
    outcomes = await asyncio.gather(*[assignment_services.publish_proposal(staff, world["panel"], "http://testserver")
                                      for _ in range(3)])
    assert sorted(o.done for o in outcomes) == [False, False, True]
    assert await Assignment.count() == len(proposal_made["pairs"]) + 1
    reviewers = {r for _, r in proposal_made["pairs"]}
    assert await OutboundEmail.count() == len(reviewers)
