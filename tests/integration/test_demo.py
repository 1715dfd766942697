"""The demo data: every program, every status and every role at once, loaded once, and every account works."""

from __future__ import annotations

import re
from datetime import date

from portal.accounts.tables import Membership, Organisation, User
from portal.applications.rules import TRANSITIONS
from portal.applications.tables import Application
from portal.awards.tables import Award
from portal.core import clock
from portal.core.security import verify_password
from portal.applications.services import receipt_number
from portal.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, all_demo_emails, content_sha256, seed
from portal.programs import formdef
from portal.programs.tables import Criterion, FormVersion, Program, ProgramFunder, ProgramRole
from portal.reporting.tables import Report
from portal.reviews.tables import Assignment, Score

PROGRAM_SLUGS = {"healthy-babies", "city-innovation-ecosystems", "pedestrian-safety", "national-convening-team",
                 "municipal-investment-fund"}
FIELD_TYPES = formdef.FIELD_TYPES  # the demo shows every type


async def test_demo_seed_loads_into_an_empty_database(portal):
    assert await seed(portal.state.settings) is True
    assert await Program.count() == 5


async def test_demo_has_the_five_programs_with_forms_rubrics_and_funders(portal):
    await seed(portal.state.settings)
    programs = await Program.select()
    assert {p["slug"] for p in programs} == PROGRAM_SLUGS
    for program in programs:
        weights = await Criterion.select(Criterion.weight).where(Criterion.program == program["id"]).output(as_list=True)
        assert sum(weights) == 100, program["slug"]
        kinds = await FormVersion.select(FormVersion.kind).where(FormVersion.program == program["id"]).output(as_list=True)
        assert sorted(kinds) == ["application", "report"], program["slug"]
        assert await ProgramFunder.count().where(ProgramFunder.program == program["id"]) >= 1, program["slug"]
        assert program["letter_signatory"] != "" and program["letter_conditions"] != ""
    used = set()
    for form in await FormVersion.select(FormVersion.schema).output(load_json=True):
        assert formdef.check_schema(form["schema"]) == []
        used |= {f["type"] for f in formdef.iter_fields(form["schema"])}
    assert used == FIELD_TYPES


async def test_demo_deadlines_some_open_and_pedestrian_safety_closed_end_of_february(portal):
    await seed(portal.state.settings)
    programs = {p["slug"]: p for p in await Program.select()}
    now = clock.now()
    open_ones = [s for s, p in programs.items() if p["status"] == "open" and clock.as_utc(p["deadline_at"]) > now]
    assert len(open_ones) >= 2
    safety = programs["pedestrian-safety"]
    assert safety["status"] == "closed"
    local = clock.as_utc(safety["deadline_at"]).astimezone(clock.zone(safety["timezone"]))
    assert local.date() == date(2026, 2, 28)


async def test_demo_has_applications_in_every_status(portal):
    await seed(portal.state.settings)
    statuses = set(await Application.select(Application.status).output(as_list=True))
    assert statuses == set(TRANSITIONS)


async def test_demo_submitted_applications_are_complete_with_receipts_and_content_hashes(portal):
    await seed(portal.state.settings)
    rows = await Application.select(Application.all_columns(), Application.program.slug,
                                    Application.form_version.schema).where(
        Application.submitted_at.is_not_null()).output(load_json=True)
    assert len(rows) >= 10
    for row in rows:
        schema = row["form_version.schema"]
        assert formdef.submission_errors(schema, row["answers"], []) == {}, row["title"]
        assert row["title"] == formdef.display_title(schema, row["answers"]) != ""
        assert row["requested_cents"] == formdef.requested_cents(schema, row["answers"])
        submitted_at = clock.as_utc(row["submitted_at"])
        assert row["receipt_number"] == receipt_number(row["program.slug"], submitted_at.year, row["id"])
        assert re.fullmatch(r"[A-Z]{2,4}-20\d\d-\d{6}", row["receipt_number"])
        assert row["content_sha256"] == content_sha256(row["answers"])
        assert submitted_at <= clock.now()
    drafts = await Application.select().where(Application.status == "draft")
    assert all(d["receipt_number"] is None for d in drafts)


async def test_demo_has_every_stage_of_review_award_and_report(portal):
    await seed(portal.state.settings)
    submitted = await Application.select(Application.id).where(Application.status == "submitted").output(as_list=True)
    assigned = set(await Assignment.select(Assignment.application).output(as_list=True))
    assert any(a not in assigned for a in submitted)  # waiting for reviewers
    assert set(await Assignment.select(Assignment.status).output(as_list=True)) == {"assigned", "submitted"}
    for assignment in await Assignment.select().where(Assignment.status == "submitted"):
        criteria = await Criterion.count().where(Criterion.program == (
            await Application.select(Application.program).where(Application.id == assignment["application"]).first()
        )["program"])
        assert await Score.count().where(Score.assignment == assignment["id"]) == criteria
    awarded = await Application.count().where(Application.status == "awarded")
    assert await Award.count() == awarded >= 3
    assert set(await Report.select(Report.status).output(as_list=True)) == {"draft", "submitted"}
    for report in await Report.select(Report.all_columns(), Report.form_version.schema).where(
            Report.status == "submitted").output(load_json=True):
        assert formdef.submission_errors(report["form_version.schema"], report["answers"], []) == {}
        assert report["submitted_by"] is not None


async def test_demo_has_every_kind_of_organisation_and_role(portal):
    await seed(portal.state.settings)
    kinds = await Organisation.select(Organisation.kind).output(as_list=True)
    assert kinds.count("city") >= 6 and kinds.count("network") >= 3 and kinds.count("funder") >= 5
    roles = set(await Membership.select(Membership.role).output(as_list=True))
    assert roles == {"owner", "member", "staff", "funder"}
    reviewers = set(await ProgramRole.select(ProgramRole.user).where(ProgramRole.role == "reviewer").output(as_list=True))
    assert len(reviewers) >= 4
    assert await User.count().where(User.is_admin == True) == 1  # noqa: E712
    for city in await Organisation.select(Organisation.id).where(Organisation.kind == "city").output(as_list=True):
        city_roles = await Membership.select(Membership.role).where(Membership.organisation == city).output(as_list=True)
        assert sorted(city_roles) == ["member", "owner"]


async def test_demo_seeding_twice_does_not_duplicate(portal):
    assert await seed(portal.state.settings) is True
    counts = [await table.count() for table in (User, Organisation, Program, Application, Award, Report)]
    assert await seed(portal.state.settings) is False
    assert [await table.count() for table in (User, Organisation, Program, Application, Award, Report)] == counts


async def test_demo_is_not_loaded_into_a_database_with_data(portal, world):
    users = await User.count()
    assert await seed(portal.state.settings) is False
    assert await User.count() == users
    assert await Program.exists().where(Program.slug == "pedestrian-safety") is False


async def test_demo_accounts_listed_are_accounts_made(portal):
    await seed(portal.state.settings)
    made = set(await User.select(User.email).output(as_list=True))
    assert made == set(all_demo_emails())
    assert {email for _, email, _ in DEMO_ACCOUNTS} <= made


async def test_demo_every_account_has_the_demo_password(portal):
    await seed(portal.state.settings)
    hashes = set(await User.select(User.password_hash).output(as_list=True))
    assert len(hashes) == 1  # hashed once
    assert verify_password(hashes.pop(), DEMO_PASSWORD)


async def test_demo_accounts_sign_in_and_see_their_dashboard(portal, make_client):
    import dataclasses

    await seed(portal.state.settings)
    original = portal.state.settings
    # As `portal demo` runs it: two-factor sign-in not required of staff (README, docs/configuration.md).
    portal.state.settings = dataclasses.replace(original, two_factor_required_for_staff=False)
    try:
        for _, email, _ in DEMO_ACCOUNTS:
            client = await make_client()
            await client.login(email, DEMO_PASSWORD)  # asserts the 303
            response = await client.get("/dashboard")
            assert response.status_code == 200, email
    finally:
        portal.state.settings = original


async def test_demo_staff_are_sent_to_enrol_where_two_factor_is_required(portal, make_client):
    await seed(portal.state.settings)
    client = await make_client()
    await client.login("admin@portal.example", DEMO_PASSWORD)
    response = await client.get("/dashboard")
    assert (response.status_code, response.headers["location"]) == (303, "/account/security?required=1")


async def test_demo_program_pages_show_every_program(portal, client):
    await seed(portal.state.settings)
    response = await client.get("/programs")
    assert response.status_code == 200
    for title in await Program.select(Program.title).output(as_list=True):
        assert title.replace("–", "&ndash;") in response.text or title in response.text, title
    for slug in PROGRAM_SLUGS:
        assert (await client.get(f"/programs/{slug}")).status_code == 200, slug



async def test_demo_programs_each_have_a_panel_of_their_reviewers_and_rubrics_on_every_scale(portal):
    from portal.reviews import conflicts
    from portal.reviews.panel_forms import scale_of
    from portal.reviews.tables import PanelMember, ReviewConflict, ReviewPanel, ReviewPreference

    await seed(portal.state.settings)
    scales = set()
    for program in await Program.select(Program.id, Program.slug):
        panel = await ReviewPanel.select().where(ReviewPanel.program == program["id"]).first()
        assert panel is not None, program["slug"]
        assert 1 <= panel["reviews_per_application"] <= 10 and panel["due_at"] is not None
        reviewers = set(await ProgramRole.select(ProgramRole.user).where(
            (ProgramRole.program == program["id"]) & (ProgramRole.role == "reviewer")).output(as_list=True))
        members = await PanelMember.select().where(PanelMember.panel == panel["id"])
        assert {m["user"] for m in members} == reviewers and reviewers, program["slug"]
        assert all(m["capacity"] >= 1 and m["expertise"] and re.fullmatch(r"[^,]+, [A-Z]{2}", m["home_city"])
                   for m in members), program["slug"]
        criteria = await Criterion.select().where(Criterion.program == program["id"])
        scales |= {scale_of(c) for c in criteria}
        # Every demo score is on its criterion's scale and step.
        for c in criteria:
            for value in await Score.select(Score.value).where(Score.criterion == c["id"]).output(as_list=True):
                assert c["scale_min"] <= value <= c["scale_max"], (program["slug"], c["name"], value)
                assert ((value - c["scale_min"]) / c["scale_step"]).is_integer(), (program["slug"], value)
    assert scales == {"1-5", "nih-1-9", "0-5-half"}
    assert await ReviewPanel.count().where(ReviewPanel.blind == True) >= 1  # noqa: E712
    assert await ReviewPreference.count() >= 1 and await ReviewConflict.count() >= 1
    # No demo reviewer is assigned to an application they are conflicted on.
    pairs = await Assignment.select(Assignment.application, Assignment.reviewer)
    found = await conflicts.conflicts({p["application"] for p in pairs}, {p["reviewer"] for p in pairs})
    assert [p for p in pairs if (p["application"], p["reviewer"]) in found] == []
