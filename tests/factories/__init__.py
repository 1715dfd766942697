"""Factories with explicit defaults, writing rows directly, and the standard world of personas.

Domain work adds its own factories as modules beside this one (tests/factories/<domain>.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from portal.accounts.tables import Membership, Organisation, User
from portal.applications.tables import Application
from portal.core import clock
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from portal.programs.tables import Criterion, FormVersion, Program, ProgramFunder, ProgramRole
from portal.reviews.tables import Assignment

PASSWORD = "persona-password-123"
# The cheapest argon2 profile: verification reads its parameters from the hash, so signing in as a persona
# costs milliseconds, while the portal's own hashes (registration, reset) keep the real cost.
_HASH = PasswordHasher.from_parameters(CHEAPEST).hash(PASSWORD)

APPLICATION_SCHEMA: dict[str, Any] = {
    "sections": [
        {"key": "project", "title": "Your project", "fields": [
            {"key": "project_title", "type": "short_text", "label": "Project title", "required": True, "max_chars": 120},
            {"key": "need", "type": "long_text", "label": "The need", "required": True, "max_words": 300},
            {"key": "families", "type": "number", "label": "Families to serve", "integer": True, "min": 0},
            {"key": "amount", "type": "currency", "label": "Amount requested", "required": True,
             "requested_amount": True, "min_cents": 100, "max_cents": 10_000_000},
            {"key": "start", "type": "date", "label": "Start date"},
            {"key": "focus", "type": "select", "label": "Focus area", "required": True,
             "options": [{"value": "screening", "label": "Developmental screening"},
                         {"value": "diapers", "label": "Diaper bank"}]},
            {"key": "contact_name", "type": "short_text", "label": "Contact person", "identifying": True},
            {"key": "budget_file", "type": "file", "label": "Budget (PDF)", "accept": ["application/pdf"]},
            {"key": "attest", "type": "checkbox", "label": "I confirm the information is correct", "required": True},
        ]},
    ]
}

REPORT_SCHEMA: dict[str, Any] = {
    "sections": [
        {"key": "outcomes", "title": "Outcomes", "fields": [
            {"key": "families_served", "type": "number", "label": "Families served", "integer": True, "required": True, "min": 0},
            {"key": "summary", "type": "long_text", "label": "What happened", "required": True, "max_words": 500},
        ]},
    ]
}

VALID_ANSWERS: dict[str, Any] = {
    "project_title": "Screenings for every toddler", "need": "Many toddlers miss screenings.", "families": 120,
    "amount": 2_500_000, "start": "2027-01-15", "focus": "screening", "contact_name": "Ann Lee", "attest": True,
}


# Staff and administrators must sign in with a second factor: the factories give every one they make an
# authenticator app with this secret, and tests.support.Client.login types its codes (pass two_factor=False for
# one without, e.g. to test that they are sent to enrol).
STAFF_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


async def give_totp(user_id: int, secret: str = STAFF_TOTP_SECRET) -> None:
    """A confirmed authenticator app for the user (once)."""
    from portal.accounts.two_factor.tables import TotpFactor

    if not await TotpFactor.exists().where(TotpFactor.user == user_id):
        now = clock.now()
        await TotpFactor.insert(TotpFactor(user=user_id, secret=secret, confirmed_at=now, created_at=now))


async def make_user(email: str, name: str = "", *, is_admin: bool = False, two_factor: bool | None = None) -> int:
    """A user with the personas' password; administrators get an authenticator app unless two_factor=False."""
    rows = await User.insert(User(email=email, name=name or email.split("@")[0].title(), password_hash=_HASH,
                                  is_admin=is_admin, created_at=clock.now())).returning(User.id)
    if two_factor or (two_factor is None and is_admin):
        await give_totp(rows[0]["id"])
    return rows[0]["id"]


async def make_org(kind: str, name: str, *, state: str = "", population: int | None = None, domain: str = "") -> int:
    slug = name.lower().replace(" ", "-").replace(",", "")
    rows = await Organisation.insert(Organisation(kind=kind, name=name, slug=slug, state=state, population=population,
                                                  email_domain=domain, created_at=clock.now())).returning(Organisation.id)
    return rows[0]["id"]


async def add_member(user_id: int, org_id: int, role: str, *, two_factor: bool = True) -> None:
    """A membership; staff get an authenticator app unless two_factor=False."""
    await Membership.insert(Membership(user=user_id, organisation=org_id, role=role, created_at=clock.now()))
    if role == "staff" and two_factor:
        await give_totp(user_id)


async def make_program(network_id: int, slug: str, *, status: str = "open", deadline_in: timedelta = timedelta(days=30),
                       schema: dict | None = None, report_schema: dict | None = None, budget_cents: int = 50_000_000,
                       offer_kind: str = "cash", timezone: str = "America/Chicago") -> int:
    now = clock.now()
    rows = await Program.insert(Program(
        network=network_id, slug=slug, title=slug.replace("-", " ").title(), summary=f"Summary of {slug}.",
        description="A program for cities.", offer_kind=offer_kind, offer_text="A cash grant",
        budget_cents=budget_cents, max_award_cents=5_000_000, status=status, opens_at=now - timedelta(days=30),
        deadline_at=now + deadline_in, timezone=timezone, letter_signatory="Jordan Rivers, Director",
        letter_conditions="Report on outcomes within a year.", award_start=date(2027, 1, 1),
        award_end=date(2027, 12, 31), contact_email="grants@network.org", created_at=now,
    )).returning(Program.id)
    program_id = rows[0]["id"]
    await FormVersion.insert(
        FormVersion(program=program_id, kind="application", version=1, title="Application",
                    schema=schema or APPLICATION_SCHEMA, created_at=now),
        FormVersion(program=program_id, kind="report", version=1, title="Outcome report",
                    schema=report_schema or REPORT_SCHEMA, created_at=now),
    )
    await Criterion.insert(
        Criterion(program=program_id, position=1, name="Need", description="How great is the need?", weight=40,
                  scale_min=1, scale_max=5),
        Criterion(program=program_id, position=2, name="Plan", description="How sound is the plan?", weight=60,
                  scale_min=1, scale_max=5),
    )
    return program_id


async def form_version_id(program_id: int, kind: str = "application") -> int:
    row = await FormVersion.select(FormVersion.id).where(
        (FormVersion.program == program_id) & (FormVersion.kind == kind)).first()
    return row["id"]


async def make_application(program_id: int, org_id: int, user_id: int, *, status: str = "draft",
                           answers: dict | None = None) -> int:
    now = clock.now()
    answers = dict(VALID_ANSWERS if answers is None else answers)
    submitted = status != "draft"
    rows = await Application.insert(Application(
        program=program_id, organisation=org_id, form_version=await form_version_id(program_id), status=status,
        title=str(answers.get("project_title", "")), answers=answers, requested_cents=int(answers.get("amount") or 0),
        created_by=user_id, created_at=now, updated_at=now,
        submitted_at=now if submitted else None, submitted_by=user_id if submitted else None,
        receipt_number=f"R-{program_id}-{org_id}" if submitted else None,
    )).returning(Application.id)
    return rows[0]["id"]


async def add_reviewer(program_id: int, user_id: int) -> None:
    await ProgramRole.insert(ProgramRole(program=program_id, user=user_id, role="reviewer", created_at=clock.now()))


async def assign(application_id: int, reviewer_id: int, by_user_id: int) -> int:
    rows = await Assignment.insert(Assignment(application=application_id, reviewer=reviewer_id,
                                              assigned_by=by_user_id, assigned_at=clock.now())).returning(Assignment.id)
    return rows[0]["id"]


@dataclass
class World:
    """Two networks' worth of people around one program (`program`) and a second one (`other_program`).

    Emails of the personas: applicant@springfield.gov (owner, city A, with a submitted application),
    colleague@springfield.gov (member, city A), stranger@shelbyville.gov (member of city B, its own draft),
    reviewer@experts.org (reviewer on `program`, assigned to A's application), idle.reviewer@experts.org
    (reviewer on `program`, not assigned), other.reviewer@experts.org (reviewer on `other_program` only;
    each program has a review panel, `panel` and `other_panel`, holding its reviewers),
    funder@foundation.org (funds `program`), other.funder@trust.org (funds `other_program` only),
    staff@network.org (staff of the network that runs both programs), admin@portal.org (administrator).
    """

    ids: dict[str, int] = field(default_factory=dict)

    def __getitem__(self, key: str) -> int:
        return self.ids[key]


PERSONAS = {
    "applicant": "applicant@springfield.gov",
    "colleague": "colleague@springfield.gov",
    "stranger": "stranger@shelbyville.gov",
    "reviewer": "reviewer@experts.org",
    "idle_reviewer": "idle.reviewer@experts.org",
    "other_reviewer": "other.reviewer@experts.org",
    "funder": "funder@foundation.org",
    "other_funder": "other.funder@trust.org",
    "staff": "staff@network.org",
    "admin": "admin@portal.org",
}


async def build_world() -> World:
    w = World()
    ids = w.ids
    for key, email in PERSONAS.items():
        ids[key] = await make_user(email, is_admin=(key == "admin"))
    ids["network"] = await make_org("network", "Mayors Innovation Project")
    ids["city_a"] = await make_org("city", "Springfield", state="IL", population=115_000, domain="springfield.gov")
    ids["city_b"] = await make_org("city", "Shelbyville", state="IL", population=20_000, domain="shelbyville.gov")
    ids["foundation"] = await make_org("funder", "Early Years Foundation")
    ids["trust"] = await make_org("funder", "Green Trust")
    await add_member(ids["applicant"], ids["city_a"], "owner")
    await add_member(ids["colleague"], ids["city_a"], "member")
    await add_member(ids["stranger"], ids["city_b"], "owner")
    await add_member(ids["staff"], ids["network"], "staff")
    await add_member(ids["funder"], ids["foundation"], "funder")
    await add_member(ids["other_funder"], ids["trust"], "funder")
    ids["program"] = await make_program(ids["network"], "healthy-babies")
    ids["other_program"] = await make_program(ids["network"], "clean-energy-fund")
    await ProgramFunder.insert(ProgramFunder(program=ids["program"], funder=ids["foundation"], pledged_cents=10_000_000),
                               ProgramFunder(program=ids["other_program"], funder=ids["trust"], pledged_cents=5_000_000))
    from tests.factories.reviews import make_panel

    ids["panel"] = await make_panel(ids["program"], members=[ids["reviewer"], ids["idle_reviewer"]])
    ids["other_panel"] = await make_panel(ids["other_program"], members=[ids["other_reviewer"]])
    ids["application_a"] = await make_application(ids["program"], ids["city_a"], ids["applicant"], status="submitted")
    ids["application_b"] = await make_application(ids["program"], ids["city_b"], ids["stranger"], status="draft")
    ids["assignment"] = await assign(ids["application_a"], ids["reviewer"], ids["staff"])
    return w
