"""The demo data: every program, every status and every role at once, loaded once, and every account works."""

from __future__ import annotations

import inspect
import re
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

from portal.accounts.tables import Membership, Organisation, User
from portal.applications.rules import TRANSITIONS
from portal.applications.tables import Application
from portal.awards.tables import Award
from portal.awards.tranches.tables import Tranche
from portal.core import clock
from portal.core.security import verify_password
from portal.applications.services import receipt_number
from portal.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, all_demo_emails, content_sha256, seed
from portal.programs import formdef
from portal.programs.tables import Criterion, FormVersion, Program, ProgramFunder, ProgramRole
from portal.reporting.tables import Report
from portal.reviews.panels.forms import scale_of
from portal.reviews.tables import Assignment, ReviewConflict, ReviewPanel, Score

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


async def test_demo_accounts_sign_in_and_see_their_dashboard(demo, make_client):
    for _, email, _ in DEMO_ACCOUNTS:
        client = await make_client()
        await client.login(email, DEMO_PASSWORD)  # asserts the 303
        response = await client.get("/dashboard")
        assert response.status_code == 200, email


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
    from portal.reviews.conflicts import queries as conflicts
    from portal.reviews.panels.forms import scale_of
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


# ---------------------------------------------------------------------------------------------------------
# The README's demo tables, claim by claim, against the seeded demo

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
RECEIVED = ("submitted", "approved")


class SeededDemo:
    """The seeded demo, looked up the way the README speaks of it: programs by slug, cities by key."""

    async def load(self) -> SeededDemo:
        self.programs = {p["slug"]: p for p in await Program.select()}
        slug_of = {p["id"]: s for s, p in self.programs.items()}
        orgs = {o["id"]: o for o in await Organisation.select()}
        self.emails = {u["id"]: u["email"] for u in await User.select(User.id, User.email)}
        self.admins = set(await User.select(User.email).where(User.is_admin == True).output(as_list=True))  # noqa: E712
        self.applications: dict[tuple[str, str], dict] = {}
        for row in await Application.select(Application.all_columns(), Application.form_version.schema).output(
                load_json=True):
            city = orgs[row["organisation"]]["slug"].rsplit("-", 1)[0]
            self.applications[(slug_of[row["program"]], city)] = row
        by_application = {a["id"]: key for key, a in self.applications.items()}
        self.reviews: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
        for a in await Assignment.select():
            self.reviews[by_application[a["application"]]][self.emails[a["reviewer"]]] = a["status"]
        self.awards = {by_application[a["application"]]: a for a in await Award.select()}
        award_key = {a["id"]: key for key, a in self.awards.items()}
        self.reports: dict[tuple[str, str], dict[str, dict]] = defaultdict(dict)
        for r in await Report.select():
            self.reports[award_key[r["award"]]][r["kind"]] = r
        self.tranches: dict[tuple[str, str], list[dict]] = defaultdict(list)
        for t in await Tranche.select():
            self.tranches[award_key[t["award"]]].append(t)
        self.roles: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))  # email -> role -> slugs
        for r in await ProgramRole.select():
            self.roles[self.emails[r["user"]]][r["role"]].add(slug_of[r["program"]])
        self.funders: dict[str, set[str]] = defaultdict(set)  # program slug -> funder organisation slugs
        for f in await ProgramFunder.select():
            self.funders[slug_of[f["program"]]].add(orgs[f["funder"]]["slug"])
        self.network = {s: orgs[p["network"]]["name"] for s, p in self.programs.items()}
        self.conflicts = {(by_application[c["application"]], self.emails[c["reviewer"]])
                          for c in await ReviewConflict.select()}
        self.panels = {slug_of[p["program"]]: p for p in await ReviewPanel.select()}
        self.scales = {slug_of[c["program"]]: scale_of(c) for c in await Criterion.select()}
        return self

    def today(self, slug: str) -> date:
        return clock.now().astimezone(clock.zone(self.programs[slug]["timezone"])).date()

    def deadline(self, slug: str) -> date:
        return clock.as_utc(self.programs[slug]["deadline_at"]).astimezone(
            clock.zone(self.programs[slug]["timezone"])).date()

    def of_program(self, slug: str, **where) -> list[dict]:
        return [a for (s, _), a in self.applications.items() if s == slug
                and all(a[k] == v for k, v in where.items())]

    def of_city(self, city: str, **where) -> list[dict]:
        return [a for (_, c), a in self.applications.items() if c == city
                and all(a[k] == v for k, v in where.items())]

    def reviewed(self, key: tuple[str, str]) -> str:
        """none | partly | fully: how many of the application's assigned reviews are in."""
        states = list(self.reviews[key].values())
        if not states or "submitted" not in states:
            return "none"
        return "fully" if all(s == "submitted" for s in states) else "partly"

    def in_tranches(self, key: tuple[str, str]) -> bool:
        tranches = self.tranches[key]
        return len(tranches) >= 2 and sum(int(t["amount_cents"]) for t in tranches) == self.awards[key]["amount_cents"]

    def draft_ready(self, a: dict) -> bool:
        return formdef.submission_errors(a["form_version.schema"], a["answers"], []) == {}


async def signed_in(make_client, email: str):
    client = await make_client()
    await client.login(email, DEMO_PASSWORD)
    return client


async def letter_served(d: SeededDemo, make_client, key: tuple[str, str]) -> bool:
    owner = await signed_in(make_client, f"owner@{key[1]}.example")
    response = await owner.get(f"/awards/{d.awards[key]['id']}/letter.pdf")
    return (response.status_code, response.content[:5]) == (200, b"%PDF-")


async def sees_overdue_report(make_client, email: str) -> bool:
    dashboard = await (await signed_in(make_client, email)).get("/dashboard")
    section = dashboard.text.split('data-testid="dashboard-reports"')[-1].split("</section>")[0]
    return "Overdue" in section


async def funder_sees(make_client, d: SeededDemo, email: str, slug: str) -> bool:
    funder = await signed_in(make_client, email)
    return (await funder.get(f"/funder/programs/{d.programs[slug]['id']}")).status_code == 200


async def admin_reads_the_outbox(make_client) -> bool:
    """Every address README.md and docs/ give for the outbox answers the administrator."""
    docs = [README] + [doc.read_text() for doc in sorted((Path(__file__).resolve().parents[2] / "docs").glob("*.md"))]
    paths = {path for text in docs for path in re.findall(r"outbox \(`(/[^`]+)`", text)}
    admin = await signed_in(make_client, "admin@portal.example")
    return len(paths) == 1 and (await admin.get(paths.pop())).status_code == 200


HB, CIE, PS, NCT, MIF = ("healthy-babies", "city-innovation-ecosystems", "pedestrian-safety",
                         "national-convening-team", "municipal-investment-fund")
ALL = {HB, CIE, PS, NCT, MIF}

# (the README row: an account's email or a program's title; None for the prose; the claim as the README words
# it; the check, given the seeded demo and a client factory)
CLAIMS = [
    # Demo accounts
    ("admin@portal.example", "every program of every network",
     lambda d, c: "admin@portal.example" in d.admins and set(d.programs) == ALL),
    ("admin@portal.example", "the outbox of every email sent", lambda d, c: admin_reads_the_outbox(c)),
    ("staff@mayorsinnovation.example", "Healthy Babies: assign reviewers, see weighted scores and ranks",
     lambda d, c: HB in d.roles["staff@mayorsinnovation.example"]["staff"]
     and any(d.reviewed((HB, city)) == "none" for (s, city), a in d.applications.items()
             if s == HB and a["status"] == "submitted")
     and sum(d.reviewed((HB, city)) != "none" for s, city in d.applications if s == HB) >= 2),
    ("staff@mayorsinnovation.example", "Pedestrian Safety: decisions, letters, reports",
     lambda d, c: PS in d.roles["staff@mayorsinnovation.example"]["staff"]
     and d.of_program(PS, status="awarded") and d.of_program(PS, status="declined")
     and any(r["status"] in RECEIVED for (s, _), kinds in d.reports.items() if s == PS for r in kinds.values())),
    ("staff@nlc.example", "Municipal Investment Fund: decide Albuquerque's fully reviewed application",
     lambda d, c: MIF in d.roles["staff@nlc.example"]["staff"]
     and d.applications[(MIF, "albuquerque")]["status"] == "submitted"
     and d.reviewed((MIF, "albuquerque")) == "fully"
     and len(d.reviews[(MIF, "albuquerque")]) == d.panels[MIF]["reviews_per_application"]),
    ("staff@nlc.example", "City Innovation Ecosystems", lambda d, c: CIE in d.roles["staff@nlc.example"]["staff"]),
    ("staff@nationalresourcenetwork.example", "National convening team: decide Providence (rolling decisions)",
     lambda d, c: NCT in d.roles["staff@nationalresourcenetwork.example"]["staff"]
     and d.applications[(NCT, "providence")]["status"] == "submitted"),
    ("reviewer.chen@experts.example", "score Providence's Healthy Babies application",
     lambda d, c: d.reviews[(HB, "providence")].get("reviewer.chen@experts.example") == "assigned"),
    ("reviewer.novak@experts.example",
     "finish the reviews of Dayton (Healthy Babies) and Boise (Municipal Investment Fund)",
     lambda d, c: d.reviews[(HB, "dayton")].get("reviewer.novak@experts.example") == "assigned"
     and d.reviews[(MIF, "boise")].get("reviewer.novak@experts.example") == "assigned"),
    ("reviewer.okafor@experts.example", "submitted reviews (Healthy Babies, Pedestrian Safety)",
     lambda d, c: {s for (s, _), r in d.reviews.items() if r.get("reviewer.okafor@experts.example") == "submitted"}
     == {HB, PS}),
    ("reviewer.garcia@experts.example", "Pedestrian Safety, Municipal Investment Fund, convening team",
     lambda d, c: d.roles["reviewer.garcia@experts.example"]["reviewer"] == {PS, MIF, NCT}),
    ("reviewer.banks@experts.example", "Municipal Investment Fund, convening team, City Innovation Ecosystems",
     lambda d, c: d.roles["reviewer.banks@experts.example"]["reviewer"] == {MIF, NCT, CIE}),
    ("owner@madison.example", "finish and submit the Healthy Babies draft",
     lambda d, c: d.applications[(HB, "madison")]["status"] == "draft" and d.programs[HB]["status"] == "open"
     and clock.as_utc(d.programs[HB]["deadline_at"]) > clock.now()),
    ("owner@madison.example", "the Pedestrian Safety award letter and final report",
     lambda d, c: d.reports[(PS, "madison")]["final"]["status"] == "draft" and letter_served(d, c, (PS, "madison"))),
    ("owner@tacoma.example", "a grant in tranches (Municipal Investment Fund)",
     lambda d, c: d.programs[MIF]["offer_kind"] == "cash" and d.in_tranches((MIF, "tacoma"))),
    ("owner@tacoma.example", "letter, interim report submitted, final report to do",
     lambda d, c: d.reports[(MIF, "tacoma")]["interim"]["status"] in RECEIVED
     and d.reports[(MIF, "tacoma")]["final"]["status"] == "draft" and letter_served(d, c, (MIF, "tacoma"))),
    ("owner@dayton.example", "a cohort seat with an overdue interim report",
     lambda d, c: d.programs[PS]["offer_kind"] == "cohort_seat" and (PS, "dayton") in d.awards
     and d.reports[(PS, "dayton")]["interim"]["status"] == "draft"
     and d.reports[(PS, "dayton")]["interim"]["due_on"] < d.today(PS)
     and sees_overdue_report(c, "owner@dayton.example")),
    ("owner@dayton.example", "a declined application", lambda d, c: d.of_city("dayton", status="declined")),
    ("owner@albuquerque.example", "an application awaiting the decision",
     lambda d, c: d.of_city("albuquerque", status="submitted")),
    ("owner@albuquerque.example", "a withdrawn draft",
     lambda d, c: d.of_city("albuquerque", status="withdrawn", submitted_at=None)),
    ("owner@savannah.example", "a complete draft ready to submit",
     lambda d, c: any(d.draft_ready(a) and clock.as_utc(d.programs[s]["deadline_at"]) > clock.now()
                      for (s, city), a in d.applications.items() if city == "savannah" and a["status"] == "draft")),
    ("owner@savannah.example", "a withdrawn submission",
     lambda d, c: any(a["submitted_at"] is not None for a in d.of_city("savannah", status="withdrawn"))),
    ("owner@providence.example", "applications under review",
     lambda d, c: sum(d.reviewed((s, city)) == "partly" and a["status"] == "submitted"
                      for (s, city), a in d.applications.items() if city == "providence") >= 2),
    ("owner@providence.example", "a decline with the panel's note",
     lambda d, c: any(a["decision_note"] != "" for a in d.of_city("providence", status="declined"))),
    ("owner@boise.example", "a travel award just offered",
     lambda d, c: d.programs[NCT]["offer_kind"] == "travel" and d.awards[(NCT, "boise")]["status"] == "offered"
     and clock.now() - clock.as_utc(d.awards[(NCT, "boise")]["decided_at"]) < timedelta(days=7)),
    ("owner@boise.example", "submitted applications", lambda d, c: len(d.of_city("boise", status="submitted")) >= 2),
    ("funder@greencapital.example", "funder summary of the Municipal Investment Fund",
     lambda d, c: "coalition-for-green-capital" in d.funders[MIF]
     and funder_sees(c, d, "funder@greencapital.example", MIF)),
    ("funder@icleiusa.example", "the same program, as its second funder",
     lambda d, c: d.funders[MIF] == {"coalition-for-green-capital", "iclei-usa"}
     and funder_sees(c, d, "funder@icleiusa.example", MIF)),
    ("funder@aarp.example", "funder summary of the Mayors Institute on Pedestrian Safety",
     lambda d, c: funder_sees(c, d, "funder@aarp.example", PS)),
    ("funder@smartgrowthamerica.example", "the same program",
     lambda d, c: funder_sees(c, d, "funder@smartgrowthamerica.example", PS)),
    ("funder@kauffman.example", "City Innovation Ecosystems (no awards yet)",
     lambda d, c: not d.of_program(CIE, status="awarded") and funder_sees(c, d, "funder@kauffman.example", CIE)),
    ("funder@schmidtfutures.example", "City Innovation Ecosystems",
     lambda d, c: funder_sees(c, d, "funder@schmidtfutures.example", CIE)),
    ("funder@earlyyears.example", "Healthy Babies Initiative",
     lambda d, c: funder_sees(c, d, "funder@earlyyears.example", HB)),
    ("funder@civiccapacity.example", "National convening team",
     lambda d, c: funder_sees(c, d, "funder@civiccapacity.example", NCT)),
    # What the demo shows
    ("Healthy Babies Initiative grant", "Mayors Innovation Project",
     lambda d, c: d.network[HB] == "Mayors Innovation Project"),
    ("Healthy Babies Initiative grant", "open, closes in 3 days",
     lambda d, c: d.programs[HB]["status"] == "open" and (d.deadline(HB) - d.today(HB)).days == 3),
    ("Healthy Babies Initiative grant", "drafts, submissions without and with reviews, a withdrawn draft",
     lambda d, c: len(d.of_program(HB, status="draft")) >= 1
     and {d.reviewed((HB, city)) for (s, city), a in d.applications.items()
          if s == HB and a["status"] == "submitted"} >= {"none", "partly"}
     and d.of_program(HB, status="withdrawn", submitted_at=None)),
    ("City Innovation Ecosystems seed funding",
     "National League of Cities, with the Kauffman Foundation and Schmidt Futures",
     lambda d, c: d.network[CIE] == "National League of Cities"
     and d.funders[CIE] == {"kauffman-foundation", "schmidt-futures"}),
    ("City Innovation Ecosystems seed funding", "open, closes in 20 days: drafts and a submission",
     lambda d, c: d.programs[CIE]["status"] == "open" and (d.deadline(CIE) - d.today(CIE)).days == 20
     and d.of_program(CIE, status="draft") and len(d.of_program(CIE, status="submitted")) == 1),
    ("Mayors Institute on Pedestrian Safety",
     "Mayors Innovation Project, with AARP Livable Communities and Smart Growth America",
     lambda d, c: d.network[PS] == "Mayors Innovation Project"
     and d.funders[PS] == {"aarp-livable-communities", "smart-growth-america"}),
    ("Mayors Institute on Pedestrian Safety", "closed 28 February 2026 (hard deadline)",
     lambda d, c: d.programs[PS]["status"] == "closed" and d.deadline(PS) == date(2026, 2, 28)
     and d.programs[PS]["grace_minutes"] == 0),
    ("Mayors Institute on Pedestrian Safety", "fully reviewed, three cohort seats, two declines, reports",
     lambda d, c: {d.reviewed((PS, city)) for s, city in d.applications if s == PS} == {"fully"}
     and len(d.of_program(PS, status="awarded")) == 3 and d.programs[PS]["offer_kind"] == "cohort_seat"
     and len(d.of_program(PS, status="declined")) == 2
     and all(len(kinds) == 2 for (s, _), kinds in d.reports.items() if s == PS)),
    ("National convening team", "National Resource Network",
     lambda d, c: d.network[NCT] == "National Resource Network"),
    ("National convening team", "open, decided as applications arrive",
     lambda d, c: d.programs[NCT]["status"] == "open"
     and clock.as_utc(d.awards[(NCT, "boise")]["decided_at"]) < clock.as_utc(d.programs[NCT]["deadline_at"])),
    ("National convening team", "an award offered, one under review, one declined",
     lambda d, c: [a["status"] for k, a in d.awards.items() if k[0] == NCT] == ["offered"]
     and [d.reviewed((NCT, a_city)) for (s, a_city), a in d.applications.items()
          if s == NCT and a["status"] == "submitted"] == ["partly"]
     and len(d.of_program(NCT, status="declined")) == 1),
    ("Municipal Investment Fund", "National League of Cities, with ICLEI USA and the Coalition for Green Capital",
     lambda d, c: d.network[MIF] == "National League of Cities"
     and d.funders[MIF] == {"iclei-usa", "coalition-for-green-capital"}),
    ("Municipal Investment Fund", "closed: a $450,000 grant in tranches with its interim report",
     lambda d, c: d.programs[MIF]["status"] == "closed" and [a["amount_cents"] for k, a in d.awards.items()
                                                              if k[0] == MIF] == [45_000_000]
     and d.in_tranches((MIF, "tacoma")) and d.reports[(MIF, "tacoma")]["interim"]["status"] in RECEIVED),
    ("Municipal Investment Fund", "one awaiting a decision, one partly reviewed, a decline, a withdrawal",
     lambda d, c: sorted(d.reviewed((MIF, city)) for (s, city), a in d.applications.items()
                         if s == MIF and a["status"] == "submitted") == ["fully", "partly"]
     and len(d.of_program(MIF, status="declined")) == 1 and len(d.of_program(MIF, status="withdrawn")) == 1),
    # The prose around them
    (None, "`reviewer.chen@experts.example` has declared a conflict with Tacoma's Healthy Babies application",
     lambda d, c: ((HB, "tacoma"), "reviewer.chen@experts.example") in d.conflicts
     and "reviewer.chen@experts.example" not in d.reviews[(HB, "tacoma")]),
    (None, "The Municipal Investment Fund scores on the\nNIH 1–9 scale (1 is best), the convening team in half points "
           "from 0 to 5, and City Innovation Ecosystems is a\nblind panel",
     lambda d, c: (d.scales[MIF], d.scales[NCT], d.panels[CIE]["blind"]) == ("nih-1-9", "0-5-half", True)),
]


def readme_row(key: str | None) -> str:
    """The README line of a table row (the one naming the account or the program), or the whole README."""
    if key is None:
        return README
    rows = [line for line in README.splitlines() if line.startswith("|") and key in line.split("|")[1]
            or line.startswith("|") and f"`{key}`" in line]
    assert len(rows) == 1, key
    return rows[0]


def test_demo_claims_are_the_readme_words():
    assert [(key, claim) for key, claim, _ in CLAIMS if claim not in readme_row(key)] == []


async def test_demo_readme_claims_hold_in_the_seeded_demo(demo, make_client):
    seeded = await SeededDemo().load()
    false = []
    for key, claim, check in CLAIMS:
        result = check(seeded, make_client)
        if inspect.isawaitable(result):
            result = await result
        if not result:
            false.append(f"{key}: {claim}")
    assert false == []
