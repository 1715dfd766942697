"""Review panels through HTTP: setting one up, inviting reviewers, the rubric and its lock, preferences and
declared conflicts, and who may see a panel at all."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from portal.accounts.tables import Invitation
from portal.core.actor import Actor
from portal.core.errors import Conflict
from portal.core.tables import AuditEvent
from portal.programs.tables import Criterion, ProgramRole
from portal.reviews.panels import services as panel_services
from portal.reviews.tables import Assignment, PanelMember, ReviewConflict, ReviewPanel, ReviewPreference, Score
from tests.factories import PASSWORD, add_reviewer, assign, make_program, make_user
from tests.factories.reviews import add_panel_member, other_network_staff, write_review
from tests.support import body_of

VALID_PANEL = {"name": "Clean energy panel", "due_at": "2027-01-15T17:00", "reviews_per_application": "2",
               "overall_threshold": "3.5", "blind": "yes", "ask_recommendation": "yes"}
NEW_CRITERION = {"name": "Readiness", "description": "Can work start on time?", "scale": "nih-1-9", "weight": "20",
                 "threshold": "5"}


async def audit_actions() -> list[str]:
    return await AuditEvent.select(AuditEvent.action).order_by(AuditEvent.id).output(as_list=True)


# ---------------------------------------------------------------------------------------------------------
# Setting up and editing a panel


async def test_panel_create_shows_every_error_then_creates_with_due_date_in_program_time(as_persona, world):
    program = await make_program(world["network"], "third-program", timezone="America/Chicago")
    await add_reviewer(program, world["idle_reviewer"])
    staff = await as_persona("staff")
    page = await staff.get(f"/staff/programs/{program}/panel")
    assert page.status_code == 200 and 'data-testid="no-panel"' in page.text
    bad = await staff.post(f"/staff/programs/{program}/panel", {"name": "", "due_at": "next week",
                                                                "reviews_per_application": "11",
                                                                "overall_threshold": "lots"})
    assert bad.status_code == 422
    for field in ("panel-name", "panel-due_at", "panel-reviews_per_application", "panel-overall_threshold"):
        assert f'id="{field}-error"' in bad.text, field
    assert 'value="next week"' in bad.text  # what was typed is kept
    assert await ReviewPanel.count().where(ReviewPanel.program == program) == 0
    created = await staff.post(f"/staff/programs/{program}/panel", VALID_PANEL)
    assert created.status_code == 303
    panel = await ReviewPanel.select().where(ReviewPanel.program == program).first()
    assert (panel["name"], panel["reviews_per_application"], panel["blind"], panel["overall_threshold"],
            panel["ask_recommendation"]) == ("Clean energy panel", 2, True, 3.5, True)
    # 17:00 in Chicago in January is 23:00 UTC.
    assert panel["due_at"].astimezone(timezone.utc) == datetime(2027, 1, 15, 23, 0, tzinfo=timezone.utc)
    # The program's existing reviewer is a member.
    assert await PanelMember.select(PanelMember.user).where(PanelMember.panel == panel["id"]).output(as_list=True) == [
        world["idle_reviewer"]]
    assert "panel.created" in await audit_actions()
    again = await staff.get(f"/staff/programs/{program}/panel")
    assert 'value="2027-01-15T17:00"' in again.text and 'data-testid="members-link"' in again.text


async def test_panel_edit_rejects_k_out_of_range_and_saves_valid_settings(as_persona, world):
    staff = await as_persona("staff")
    url = f"/staff/programs/{world['program']}/panel"
    for k in ("0", "11", "2.5", "three", ""):
        bad = await staff.post(url, VALID_PANEL | {"reviews_per_application": k})
        assert bad.status_code == 422, k
        assert 'id="panel-reviews_per_application-error"' in bad.text
    saved = await staff.post(url, VALID_PANEL | {"blind": "", "overall_threshold": "", "reviews_per_application": "10"})
    assert saved.status_code == 303
    panel = await ReviewPanel.select().where(ReviewPanel.id == world["panel"]).first()
    assert (panel["reviews_per_application"], panel["blind"], panel["overall_threshold"]) == (10, False, None)
    assert "panel.updated" in await audit_actions()


async def test_staff_program_page_links_to_the_panel(as_persona, world):
    staff = await as_persona("staff")
    page = await staff.get(f"/staff/programs/{world['program']}")
    assert f'href="/staff/programs/{world["program"]}/panel"' in page.text


async def test_panel_pages_are_not_for_non_staff_or_other_networks(as_persona, world, make_client):
    urls = [f"/staff/programs/{world['program']}/panel", f"/staff/programs/{world['program']}/panel/members"]
    for persona in ("applicant", "reviewer", "funder"):
        client = await as_persona(persona)
        for url in urls:
            assert (await client.get(url)).status_code == 403, (persona, url)
    await other_network_staff()
    other = await make_client()
    await other.login("staff@othernetwork.org", PASSWORD)
    for url in urls:
        assert (await other.get(url)).status_code == 404, url
    assert (await other.post(urls[0], VALID_PANEL)).status_code == 404
    assert (await other.post(f"{urls[0]}/criteria", NEW_CRITERION)).status_code == 404
    assert await ReviewPanel.count().where(ReviewPanel.name == "Clean energy panel") == 0


# ---------------------------------------------------------------------------------------------------------
# Invitations and members


async def test_invite_accept_joins_the_panel_and_gives_capacity(as_persona, world, mailbox, make_client):
    await ReviewPanel.update({ReviewPanel.name: "Babies panel",
                              ReviewPanel.due_at: datetime(2027, 2, 1, 23, 0, tzinfo=timezone.utc)}).where(
        ReviewPanel.id == world["panel"])
    staff = await as_persona("staff")
    members_url = f"/staff/programs/{world['program']}/panel/members"
    await staff.get(members_url)
    bad = await staff.post(f"/staff/programs/{world['program']}/panel/invitations", {"email": "not an email"})
    assert bad.status_code == 422 and 'id="invite-email-error"' in bad.text
    sent = await staff.post(f"/staff/programs/{world['program']}/panel/invitations", {"email": "Nia@Experts.org"})
    assert sent.status_code == 303
    body = body_of(await mailbox.wait_for("nia@experts.org", "invited"))
    assert "Babies panel" in body and "February 1, 2027 at 5:00 PM CST" in body
    assert 'data-testid="invitation-row"' in (await staff.get(members_url)).text
    token = re.search(r"/invitations/(\S+)", body).group(1)
    nia = await make_client()
    # Not signed in: both ways in come back to the invitation (registering used to land on the dashboard).
    stranger = (await nia.get(f"/invitations/{token}")).text
    assert f'href="/login?next=/invitations/{token}"' in stranger
    assert f'href="/register?next=/invitations/{token}"' in stranger
    await nia.get("/register")
    registered = await nia.post("/register", {"name": "Nia Expert", "email": "nia@experts.org",
                                              "password": "a long password", "password_confirm": "a long password",
                                              "next": f"/invitations/{token}"})
    assert registered.headers["location"] == f"/invitations/{token}"
    # Someone else who got hold of the link cannot take the seat.
    other = await as_persona("idle_reviewer")
    await other.get(f"/invitations/{token}")
    taken = await other.post(f"/invitations/{token}")
    assert taken.status_code == 403 and "This invitation was sent to nia@experts.org" in taken.text
    await nia.get(f"/invitations/{token}")
    accepted = await nia.post(f"/invitations/{token}")
    assert accepted.status_code == 303
    assert accepted.headers["location"] == f"/panels/{world['panel']}/profile?joined=1"
    member = await PanelMember.select().where(PanelMember.user.email == "nia@experts.org").first()
    assert member["panel"] == world["panel"]
    profile = await nia.get(accepted.headers["location"])
    assert profile.status_code == 200 and 'data-testid="joined"' in profile.text
    bad = await nia.post(f"/panels/{world['panel']}/profile", {"capacity": "0", "expertise": "x" * 61,
                                                              "home_city": "Madison"})
    assert bad.status_code == 422
    for field in ("capacity", "expertise", "home_city"):
        assert f'id="profile-{field}-error"' in bad.text, field
    saved = await nia.post(f"/panels/{world['panel']}/profile", {"capacity": "6",
                                                                "expertise": "Early Childhood,  housing,,housing",
                                                                "home_city": "madison, wi"})
    assert saved.status_code == 303
    member = await PanelMember.select().where(PanelMember.id == member["id"]).first()
    assert (member["capacity"], member["expertise"], member["home_city"]) == (6, "early childhood, housing",
                                                                              "madison, WI")
    page = (await staff.get(members_url)).text
    row = re.search(rf'<tr data-testid="member-row" data-user-id="{member["user"]}">.*?</tr>', page, re.S).group(0)
    assert "Nia Expert" in row and "early childhood, housing" in row
    assert re.search(r'data-testid="capacity">6<', row)
    assert 'data-testid="invitation-row"' not in page  # accepted: no longer pending


async def test_a_reviewer_sits_on_panels_of_two_programs(as_persona, world):
    await add_panel_member(world["other_panel"], world["other_program"], world["reviewer"], capacity=2)
    reviewer = await as_persona("reviewer")
    page = await reviewer.get("/panels")
    assert page.text.count('data-testid="panel-item"') == 2
    for panel in (world["panel"], world["other_panel"]):
        assert (await reviewer.get(f"/panels/{panel}/applications")).status_code == 200


async def test_resend_and_withdraw_an_invitation(as_persona, world, mailbox, make_client):
    staff = await as_persona("staff")
    await staff.get(f"/staff/programs/{world['program']}/panel/members")
    await staff.post(f"/staff/programs/{world['program']}/panel/invitations", {"email": "slow@experts.org"})
    first = re.search(r"/invitations/(\S+)", body_of(await mailbox.wait_for("slow@experts.org"))).group(1)
    invitation = await Invitation.select(Invitation.id).where(Invitation.email == "slow@experts.org").first()
    mailbox.clear()
    resent = await staff.post(f"/staff/programs/{world['program']}/panel/invitations/{invitation['id']}/resend")
    assert resent.status_code == 303
    second = re.search(r"/invitations/(\S+)", body_of(await mailbox.wait_for("slow@experts.org"))).group(1)
    assert second != first
    anyone = await make_client()
    assert (await anyone.get(f"/invitations/{first}")).status_code == 404  # the old link stopped working
    assert (await anyone.get(f"/invitations/{second}")).status_code == 200
    latest = await Invitation.select(Invitation.id).where(Invitation.email == "slow@experts.org").order_by(
        Invitation.id, ascending=False).first()
    # Another program's staff route cannot touch it; then withdraw it.
    assert (await staff.post(f"/staff/programs/{world['other_program']}/panel/invitations/{latest['id']}/revoke")
            ).status_code == 404
    revoked = await staff.post(f"/staff/programs/{world['program']}/panel/invitations/{latest['id']}/revoke")
    assert revoked.status_code == 303
    assert (await anyone.get(f"/invitations/{second}")).status_code == 404


async def test_staff_edit_a_member_and_remove_one_without_submitted_reviews(as_persona, world):
    staff = await as_persona("staff")
    base = f"/staff/programs/{world['program']}/panel/members"
    await staff.get(base)
    bad = await staff.post(f"{base}/{world['idle_reviewer']}", {"capacity": "-1", "expertise": "transit"})
    assert bad.status_code == 422 and f'id="m{world["idle_reviewer"]}-capacity-error"' in bad.text
    ok = await staff.post(f"{base}/{world['idle_reviewer']}", {"capacity": "4", "expertise": "Transit, Housing"})
    assert ok.status_code == 303
    row = await PanelMember.select().where(PanelMember.user == world["idle_reviewer"]).first()
    assert (row["capacity"], row["expertise"]) == (4, "transit, housing")
    # Not a member of this panel: 404.
    assert (await staff.post(f"{base}/{world['other_reviewer']}", {"capacity": "4"})).status_code == 404
    # The idle reviewer has an unsubmitted assignment: it goes with them.
    await assign(world["application_a"], world["idle_reviewer"], world["staff"])
    removed = await staff.post(f"{base}/{world['idle_reviewer']}/remove")
    assert removed.status_code == 303
    assert await PanelMember.count().where(PanelMember.user == world["idle_reviewer"]) == 0
    assert await ProgramRole.count().where(ProgramRole.user == world["idle_reviewer"]) == 0
    assert await Assignment.count().where(Assignment.reviewer == world["idle_reviewer"]) == 0
    # The reviewer who submitted a review stays.
    await write_review(world["assignment"], world["program"], [4, 5])
    refused = await staff.post(f"{base}/{world['reviewer']}/remove")
    assert refused.status_code == 409
    assert await PanelMember.count().where(PanelMember.user == world["reviewer"]) == 1


# ---------------------------------------------------------------------------------------------------------
# The rubric


async def test_rubric_add_edit_reorder_and_remove(as_persona, world):
    staff = await as_persona("staff")
    base = f"/staff/programs/{world['program']}/panel/criteria"
    await staff.get(f"/staff/programs/{world['program']}/panel")
    bad = await staff.post(base, {"name": "", "scale": "1-10", "weight": "0", "threshold": "x"})
    assert bad.status_code == 422
    for field in ("name", "scale", "weight", "threshold"):
        assert f'id="cnew-{field}-error"' in bad.text, field
    off_step = await staff.post(base, NEW_CRITERION | {"scale": "0-5-half", "threshold": "3.25"})
    assert off_step.status_code == 422 and 'id="cnew-threshold-error"' in off_step.text
    added = await staff.post(base, NEW_CRITERION)
    assert added.status_code == 303
    rows = await Criterion.select().where(Criterion.program == world["program"]).order_by(Criterion.position)
    assert [(r["name"], r["position"]) for r in rows] == [("Need", 1), ("Plan", 2), ("Readiness", 3)]
    readiness = rows[2]
    assert (readiness["scale_min"], readiness["scale_max"], readiness["lower_is_better"], readiness["weight"],
            readiness["threshold"]) == (1, 9, True, 20, 5.0)
    edited = await staff.post(f"{base}/{readiness['id']}", NEW_CRITERION | {"scale": "0-5-half", "threshold": "2.5",
                                                                            "name": "Ready"})
    assert edited.status_code == 303
    row = await Criterion.select().where(Criterion.id == readiness["id"]).first()
    assert (row["name"], row["scale_min"], row["scale_max"], row["scale_step"], row["lower_is_better"],
            row["threshold"]) == ("Ready", 0, 5, 0.5, False, 2.5)
    bad_edit = await staff.post(f"{base}/{readiness['id']}", NEW_CRITERION | {"weight": "lots"})
    assert bad_edit.status_code == 422 and f'id="c{readiness["id"]}-weight-error"' in bad_edit.text
    assert (await staff.post(f"{base}/{readiness['id']}/move", {"direction": "up"})).status_code == 303
    assert (await staff.post(f"{base}/{readiness['id']}/move", {"direction": "sideways"})).status_code == 422
    names = await Criterion.select(Criterion.name).where(Criterion.program == world["program"]).order_by(
        Criterion.position).output(as_list=True)
    assert names == ["Need", "Ready", "Plan"]
    need = rows[0]["id"]
    assert (await staff.post(f"{base}/{need}/move", {"direction": "up"})).status_code == 303  # at the top: stays
    assert (await staff.post(f"{base}/{need}/delete")).status_code == 303
    rows = await Criterion.select().where(Criterion.program == world["program"]).order_by(Criterion.position)
    assert [(r["name"], r["position"]) for r in rows] == [("Ready", 1), ("Plan", 2)]
    # Another program's criterion is not reachable through this program.
    other = await Criterion.select(Criterion.id).where(Criterion.program == world["other_program"]).first()
    assert (await staff.post(f"{base}/{other['id']}", NEW_CRITERION)).status_code == 404
    assert (await staff.post(f"{base}/{other['id']}/delete")).status_code == 404


async def test_rubric_is_locked_once_scoring_has_started(as_persona, world):
    staff = await as_persona("staff")
    page = await staff.get(f"/staff/programs/{world['program']}/panel")
    assert 'data-testid="rubric-locked"' not in page.text and 'data-testid="criterion-form"' in page.text
    await write_review(world["assignment"], world["program"], [3], submitted=False)  # a draft score is enough
    page = await staff.get(f"/staff/programs/{world['program']}/panel")
    assert 'data-testid="rubric-locked"' in page.text and "scoring has started" in page.text
    assert 'data-testid="criterion-form"' not in page.text and 'data-testid="criterion-add"' not in page.text
    assert page.text.count('data-testid="criterion-row"') == 2  # still shown, read-only
    criterion = await Criterion.select().where(Criterion.program == world["program"]).first()
    base = f"/staff/programs/{world['program']}/panel/criteria"
    assert (await staff.post(base, NEW_CRITERION)).status_code == 409
    assert (await staff.post(f"{base}/{criterion['id']}", NEW_CRITERION)).status_code == 409
    assert (await staff.post(f"{base}/{criterion['id']}/delete")).status_code == 409
    assert (await staff.post(f"{base}/{criterion['id']}/move", {"direction": "down"})).status_code == 409
    assert await Criterion.count().where(Criterion.program == world["program"]) == 2
    actor = Actor(user=None, ip="test")
    with pytest.raises(Conflict):
        await panel_services.add_criterion(actor, world["program"], {
            "name": "X", "description": "", "weight": 1, "threshold": None, "scale_min": 1, "scale_max": 5,
            "scale_step": 1.0, "lower_is_better": False})
    with pytest.raises(Conflict):
        await panel_services.remove_criterion(actor, world["program"], criterion["id"])
    # The other program's rubric is not locked by this program's scores.
    assert not await panel_services.queries.rubric_locked(world["other_program"])
    # Once the scores are gone (nothing scored yet), it unlocks.
    await Score.delete().where(Score.assignment == world["assignment"])
    assert (await staff.post(base, NEW_CRITERION)).status_code == 303


# ---------------------------------------------------------------------------------------------------------
# Preferences and declared conflicts


async def test_reviewer_sets_a_preference(as_persona, world):
    reviewer = await as_persona("idle_reviewer")
    url = f"/panels/{world['panel']}/applications"
    page = await reviewer.get(url)
    assert page.status_code == 200
    assert f'data-application-id="{world["application_a"]}"' in page.text
    assert f'data-application-id="{world["application_b"]}"' not in page.text  # a draft is not the panel's
    assert "Springfield" in page.text  # not a blind panel
    pref = f"{url}/{world['application_a']}/preference"
    assert (await reviewer.post(pref, {"level": "keen"})).status_code == 422
    for level in ("eager", "not"):
        assert (await reviewer.post(pref, {"level": level})).status_code == 303
    rows = await ReviewPreference.select(ReviewPreference.level).where(
        ReviewPreference.reviewer == world["idle_reviewer"]).output(as_list=True)
    assert rows == ["not"]
    # A draft of the program, and another program's application: 404.
    assert (await reviewer.post(f"{url}/{world['application_b']}/preference", {"level": "eager"})).status_code == 404


async def test_blind_panel_shows_only_the_title(as_persona, world):
    await ReviewPanel.update({ReviewPanel.blind: True}).where(ReviewPanel.id == world["panel"])
    reviewer = await as_persona("idle_reviewer")
    page = await reviewer.get(f"/panels/{world['panel']}/applications")
    assert "Screenings for every toddler" in page.text
    assert "Springfield" not in page.text and 'data-testid="application-city"' not in page.text


async def test_reviewer_declares_a_conflict_and_loses_the_assignment(as_persona, world, mailbox):
    reviewer = await as_persona("reviewer")
    url = f"/panels/{world['panel']}/applications/{world['application_a']}/conflict"
    await reviewer.get(f"/panels/{world['panel']}/applications")
    missing = await reviewer.post(url, {"reason": "  "})
    assert missing.status_code == 422 and f'id="a{world["application_a"]}-reason-error"' in missing.text
    assert await Assignment.count().where(Assignment.id == world["assignment"]) == 1
    await write_review(world["assignment"], world["program"], [3], submitted=False)  # a draft: it goes too
    declared = await reviewer.post(url, {"reason": "I advised Springfield's health department in 2025."})
    assert declared.status_code == 303
    conflict = await ReviewConflict.select().where(ReviewConflict.reviewer == world["reviewer"]).first()
    assert (conflict["application"], conflict["source"], conflict["declared_by"]) == (
        world["application_a"], "reviewer", world["reviewer"])
    assert await Assignment.count().where(Assignment.id == world["assignment"]) == 0
    assert await Score.count() == 0
    actions = await audit_actions()
    assert "review.unassigned" in actions and "review.conflict_declared" in actions
    body = body_of(await mailbox.wait_for("grants@network.org", "Conflict of interest"))
    assert "I advised Springfield" in body and "assignment has been removed" in body
    # From now on the application does not exist for them.
    page = await reviewer.get(f"/panels/{world['panel']}/applications")
    assert f'data-application-id="{world["application_a"]}"' not in page.text
    assert (await reviewer.post(url, {"reason": "again"})).status_code == 404
    assert (await reviewer.post(f"/panels/{world['panel']}/applications/{world['application_a']}/preference",
                                {"level": "eager"})).status_code == 404
    staff = await as_persona("staff")
    members = await staff.get(f"/staff/programs/{world['program']}/panel/members")
    assert 'data-testid="conflict-row"' in members.text and "I advised Springfield" in members.text


async def test_a_submitted_review_is_kept_when_a_conflict_is_declared(as_persona, world):
    await write_review(world["assignment"], world["program"], [4, 4])
    reviewer = await as_persona("reviewer")
    await reviewer.get(f"/panels/{world['panel']}/applications")
    declared = await reviewer.post(f"/panels/{world['panel']}/applications/{world['application_a']}/conflict",
                                   {"reason": "Found out late that my sister works there."})
    assert declared.status_code == 303
    assert await Assignment.count().where(Assignment.id == world["assignment"]) == 1


async def test_found_conflicts_are_left_out_of_the_list(as_persona, world):
    await PanelMember.update({PanelMember.home_city: "Springfield, IL"}).where(
        PanelMember.user == world["idle_reviewer"])
    reviewer = await as_persona("idle_reviewer")
    page = await reviewer.get(f"/panels/{world['panel']}/applications")
    assert f'data-application-id="{world["application_a"]}"' not in page.text
    assert "Screenings for every toddler" not in page.text
    base = f"/panels/{world['panel']}/applications/{world['application_a']}"
    assert (await reviewer.post(f"{base}/preference", {"level": "eager"})).status_code == 404
    assert (await reviewer.post(f"{base}/conflict", {"reason": "I live there"})).status_code == 404
    assert (await reviewer.post(f"{base}/conflict", {"reason": ""})).status_code == 404
    assert await ReviewConflict.count() == 0


async def test_staff_record_a_conflict_which_removes_the_assignment(as_persona, world):
    staff = await as_persona("staff")
    url = f"/staff/programs/{world['program']}/panel/conflicts"
    await staff.get(f"/staff/programs/{world['program']}/panel/members")
    bad = await staff.post(url, {"reviewer": str(world["other_reviewer"]), "application": str(world["application_b"]),
                                 "reason": ""})
    assert bad.status_code == 422
    for field in ("reviewer", "application", "reason"):
        assert f'id="conflict-{field}-error"' in bad.text, field
    ok = await staff.post(url, {"reviewer": str(world["reviewer"]), "application": str(world["application_a"]),
                                "reason": "Co-authored the city's plan."})
    assert ok.status_code == 303 and "conflict-unassigned" in ok.headers["location"]
    conflict = await ReviewConflict.select().first()
    assert (conflict["source"], conflict["declared_by"]) == ("staff", world["staff"])
    assert await Assignment.count().where(Assignment.id == world["assignment"]) == 0
    again = await staff.post(url, {"reviewer": str(world["reviewer"]), "application": str(world["application_a"]),
                                   "reason": "Twice."})
    assert again.status_code == 409
    reviewer = await as_persona("reviewer")
    page = await reviewer.get(f"/panels/{world['panel']}/applications")
    assert f'data-application-id="{world["application_a"]}"' not in page.text


async def test_panel_pages_are_404_for_everyone_not_on_the_panel(as_persona, world):
    base = f"/panels/{world['panel']}"
    app_url = f"{base}/applications/{world['application_a']}"
    for persona in ("other_reviewer", "staff", "admin", "applicant", "funder"):
        client = await as_persona(persona)
        for url in (f"{base}/applications", f"{base}/profile"):
            assert (await client.get(url)).status_code == 404, (persona, url)
        assert (await client.post(f"{base}/profile", {"capacity": "3"})).status_code == 404, persona
        assert (await client.post(f"{app_url}/preference", {"level": "eager"})).status_code == 404, persona
        assert (await client.post(f"{app_url}/conflict", {"reason": "x"})).status_code == 404, persona
    assert (await (await as_persona("reviewer")).get("/panels/999999/applications")).status_code == 404
    assert await ReviewConflict.count() == 0 and await ReviewPreference.count() == 0


async def test_hostile_input_never_500s(as_persona, world):
    staff = await as_persona("staff")
    await staff.get(f"/staff/programs/{world['program']}/panel")
    huge = "x" * 200_000
    for data in ({"name": huge, "due_at": huge, "reviews_per_application": huge, "overall_threshold": huge},
                 {"name": "ok", "due_at": "2027-13-45T99:99", "reviews_per_application": "١", "overall_threshold": "1e309"}):
        assert (await staff.post(f"/staff/programs/{world['program']}/panel", data)).status_code == 422
    for data in ({"name": huge, "weight": huge, "threshold": huge, "scale": huge}, {"weight": "²", "scale": "1-5"}):
        assert (await staff.post(f"/staff/programs/{world['program']}/panel/criteria", data)).status_code == 422
    assert (await staff.get(f"/staff/programs/abc/panel")).status_code == 404
    reviewer = await as_persona("reviewer")
    await reviewer.get(f"/panels/{world['panel']}/applications")
    assert (await reviewer.post(f"/panels/{world['panel']}/profile",
                                {"capacity": "99999999999999", "expertise": huge, "home_city": huge})).status_code == 422
    assert (await reviewer.get("/panels/abc/applications")).status_code == 404


async def test_hostile_text_on_panel_pages_is_inert(as_persona, world):
    """Every XSS payload as the panel's name, a criterion's name and description, a member's expertise and
    home city, a conflict's reason and an application's title: the staff and reviewer pages stay inert."""
    from markupsafe import escape

    from portal.applications.tables import Application
    from tests.xss_payloads import PAYLOADS, active_markup

    staff = await as_persona("staff")
    reviewer = await as_persona("idle_reviewer")
    criterion = await Criterion.select(Criterion.id).where(Criterion.program == world["program"]).first()
    for payload in PAYLOADS:
        await ReviewPanel.update({ReviewPanel.name: payload}).where(ReviewPanel.id == world["panel"])
        await Criterion.update({Criterion.name: payload, Criterion.description: payload}).where(
            Criterion.id == criterion["id"])
        await PanelMember.update({PanelMember.expertise: payload, PanelMember.home_city: payload}).where(
            PanelMember.user == world["idle_reviewer"])
        await Application.update({Application.title: payload}).where(Application.id == world["application_a"])
        await ReviewConflict.delete(force=True)
        await ReviewConflict.insert(ReviewConflict(application=world["application_a"], reviewer=world["reviewer"],
                                                   source="staff", reason=payload, declared_at=datetime.now(timezone.utc)))
        for client, url in ((staff, f"/staff/programs/{world['program']}/panel"),
                            (staff, f"/staff/programs/{world['program']}/panel/members"),
                            (reviewer, f"/panels/{world['panel']}/applications"),
                            (reviewer, f"/panels/{world['panel']}/profile"), (reviewer, "/panels")):
            html = (await client.get(url)).text
            assert active_markup(html) == [], (payload, url)
            assert str(escape(payload)) in html, (payload, url)
            if set("<>\"'&") & set(payload):
                assert payload not in html, (payload, url)


async def test_staff_close_the_panel_then_reviews_are_read_only_and_reopen_it(as_persona, world):
    from portal.reviews.tables import ReviewPanel
    from tests.factories.reviews import criteria_of, score_form

    staff = await as_persona("staff")
    closed = await staff.post(f"/staff/programs/{world['program']}/panel/close", {})
    assert closed.status_code == 303
    panel = await ReviewPanel.select(ReviewPanel.status, ReviewPanel.closed_at).where(
        ReviewPanel.id == world["panel"]).first()
    assert panel["status"] == "closed" and panel["closed_at"] is not None
    page = await staff.get(f"/staff/programs/{world['program']}/panel")
    assert 'data-testid="reopen-panel"' in page.text

    reviewer = await as_persona("reviewer")
    form = score_form(await criteria_of(world["program"]), [3, 4]) | {"version": "0"}
    refused = await reviewer.post(f"/reviews/{world['assignment']}", form)
    assert refused.status_code == 409
    assert "panel closed" in refused.text.lower()

    reopened = await staff.post(f"/staff/programs/{world['program']}/panel/reopen", {})
    assert reopened.status_code == 303
    saved = await reviewer.post(f"/reviews/{world['assignment']}", form)
    assert saved.status_code in (200, 303)
    assert (await ReviewPanel.select(ReviewPanel.status).where(ReviewPanel.id == world["panel"]).first())["status"] == "open"


async def test_closing_needs_a_panel_and_staff(as_persona, world):
    from portal.reviews.tables import ReviewPanel

    await ReviewPanel.delete().where(ReviewPanel.id == world["other_panel"])
    staff = await as_persona("staff")
    assert (await staff.post(f"/staff/programs/{world['other_program']}/panel/close", {})).status_code == 404
    reviewer = await as_persona("reviewer")
    assert (await reviewer.post(f"/staff/programs/{world['program']}/panel/close", {})).status_code == 403
