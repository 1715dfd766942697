"""Demo data: the five programs of DOMAIN.md, their networks and funders, seven cities, the people of every
role, and applications in every state, so that the demo shows every stage at once.

`seed()` loads only into an empty database (no users, organisations or programs yet) and does it in one
write transaction: either everything is there or nothing is. Organisations and memberships go through
`portal.accounts.services`; users are written like `services.create_user` does, with the one demo password
hashed once (argon2 is deliberately slow); applications, reviews, awards and reports are written as rows
shaped exactly as their services write them (statuses from `portal.applications.rules`, answers following
`portal.programs.formdef`, receipt numbers and content hashes made by `portal.applications.services`, report
due dates by `portal.reporting.services.award_due_dates`), with audit rows dated when each thing happened. What the
records must justify goes through the services themselves: the tranches an award is paid in, and the city's
acceptance of an award the story calls accepted (its letter, acceptance record and countersigned PDF). No
conditions text restates a figure the records hold (amounts, tranches, dates): the letter states those from the
records.

Every demo account uses DEMO_PASSWORD. The accounts worth trying first are DEMO_ACCOUNTS (printed by
`portal demo` and listed in README.md); every city has `owner@<city>.example` and `member@<city>.example`.
Addresses are on `.example` (RFC 2606), so no demo email can reach a real person. The organisations are the real
ones DOMAIN.md names (two funders are invented, marked below); every person is invented.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from portal.accounts import services as accounts
from portal.accounts.tables import Organisation, User
from portal.applications.services import canonical_json, receipt_number
from portal.applications.tables import Application
from portal.applications.tables import TeamMember
from portal.awards.tables import Award
from portal.core import audit, clock
from portal.core.actor import Actor
from portal.core.security import hash_password
from portal.db import write_transaction
from portal.programs import formdef
from portal.programs.tables import Criterion, FormVersion, Program, ProgramFunder, ProgramRole
from portal.reporting.services import award_due_dates
from portal.reporting.tables import Report
from portal.reviews.panels.forms import SCALES
from portal.reviews.tables import (
    Assignment,
    PanelMember,
    ReviewConflict,
    ReviewPanel,
    ReviewPreference,
    Score,
)

if TYPE_CHECKING:
    from portal.settings import Settings

DEMO_PASSWORD = "demo-password-2026"

# (role, email, what to try): the short list printed by `portal demo`; README.md lists the same accounts.
DEMO_ACCOUNTS: list[tuple[str, str, str]] = [
    ("Administrator", "admin@portal.example", "every program; the outbox of every email"),
    ("Staff, MIP", "staff@mayorsinnovation.example", "assign reviewers, scores and rank (Healthy Babies)"),
    ("Staff, NLC", "staff@nlc.example", "decide Albuquerque (Municipal Investment Fund)"),
    ("Staff, NRN", "staff@nationalresourcenetwork.example", "decide Providence (convening team)"),
    ("Reviewer", "reviewer.chen@experts.example", "score Providence (Healthy Babies)"),
    ("Reviewer", "reviewer.novak@experts.example", "finish reviews of Dayton and Boise"),
    ("City owner", "owner@madison.example", "submit the Healthy Babies draft; award letter, report"),
    ("City member", "member@tacoma.example", "grant in tranches: letter, interim report"),
    ("City owner", "owner@boise.example", "a travel award just offered"),
    ("Funder", "funder@greencapital.example", "funder summary (Municipal Investment Fund)"),
    ("Funder", "funder@aarp.example", "funder summary (Pedestrian Safety)"),
]


def print_accounts() -> None:
    """Print the demo accounts worth trying, one a line."""
    print(f"\nDemo accounts (every one has the password {DEMO_PASSWORD}):\n")
    width = max(len(role) for role, _, _ in DEMO_ACCOUNTS)
    email_width = max(len(email) for _, email, _ in DEMO_ACCOUNTS)
    for role, email, what in DEMO_ACCOUNTS:
        print(f"  {role:<{width}}  {email:<{email_width}}  {what}")
    print("\n  Every city also has owner@<city>.example and member@<city>.example (madison, tacoma, dayton,"
          "\n  albuquerque, savannah, providence, boise); README.md lists every account.")


def content_sha256(answers: dict[str, Any]) -> str:
    """What submit_application stores: the SHA-256 of the answers' canonical JSON."""
    return hashlib.sha256(canonical_json(answers)).hexdigest()


# ---------------------------------------------------------------------------------------------------------
# Organisations and people

NETWORKS = [  # slug, name, email domain, staff name
    ("mayors-innovation-project", "Mayors Innovation Project", "mayorsinnovation.example", "Maya Thompson"),
    ("national-league-of-cities", "National League of Cities", "nlc.example", "Daniel Ortiz"),
    ("national-resource-network", "National Resource Network", "nationalresourcenetwork.example", "Priya Raman"),
]

FUNDERS = [  # slug, name, email domain, funder user's name. Two are invented for the demo (marked).
    ("early-years-futures-fund", "Early Years Futures Fund", "earlyyears.example", "Grace Whitfield"),  # invented
    ("kauffman-foundation", "Ewing Marion Kauffman Foundation", "kauffman.example", "Tom Becker"),
    ("schmidt-futures", "Schmidt Futures", "schmidtfutures.example", "Lena Park"),
    ("aarp-livable-communities", "AARP Livable Communities", "aarp.example", "Rosa Delgado"),
    ("smart-growth-america", "Smart Growth America", "smartgrowthamerica.example", "Owen Price"),
    ("civic-capacity-fund", "Civic Capacity Fund", "civiccapacity.example", "Hannah Cole"),  # invented
    ("coalition-for-green-capital", "Coalition for Green Capital", "greencapital.example", "Sam Okoye"),
    ("iclei-usa", "ICLEI – Local Governments for Sustainability USA", "icleiusa.example", "Mia Laurent"),
]

CITIES = [  # key, name, state, population, (owner name, member name)
    ("madison", "City of Madison", "WI", 280_305, ("Alex Rivera", "Jamie Nguyen")),
    ("tacoma", "City of Tacoma", "WA", 219_346, ("Morgan Lee", "Chris Patel")),
    ("dayton", "City of Dayton", "OH", 137_644, ("Taylor Brooks", "Jordan Kim")),
    ("albuquerque", "City of Albuquerque", "NM", 560_218, ("Elena Martinez", "Ryan Yazzie")),
    ("savannah", "City of Savannah", "GA", 147_780, ("Denise Walker", "Marcus Hill")),
    ("providence", "City of Providence", "RI", 190_934, ("Sofia Almeida", "Kevin Doyle")),
    ("boise", "City of Boise", "ID", 237_446, ("Hannah Olsen", "Luis Romero")),
]

# What each reviewer told their panels on joining: capacity (applications), expertise, home city. None lives in
# a demo city, so no found conflict clashes with the demo's assignments.
REVIEWER_PROFILES = {
    "reviewer.okafor@experts.example": (6, "early childhood, public health, maternal health", "Columbus, OH"),
    "reviewer.chen@experts.example": (4, "early childhood, entrepreneurship, data", "Pittsburgh, PA"),
    "reviewer.garcia@experts.example": (8, "transportation, street safety, clean energy", "Santa Fe, NM"),
    "reviewer.banks@experts.example": (6, "finance, public-private partnerships, entrepreneurship", "Atlanta, GA"),
    "reviewer.novak@experts.example": (5, "clean energy, street safety, early childhood", "Portland, OR"),
}

REVIEWERS = [  # email, name, programs they review
    ("reviewer.okafor@experts.example", "Dr. Ngozi Okafor", ("healthy-babies", "pedestrian-safety")),
    ("reviewer.chen@experts.example", "Wei Chen", ("healthy-babies", "city-innovation-ecosystems")),
    ("reviewer.garcia@experts.example", "Lucía García",
     ("pedestrian-safety", "municipal-investment-fund", "national-convening-team")),
    ("reviewer.banks@experts.example", "Marcus Banks",
     ("municipal-investment-fund", "city-innovation-ecosystems", "national-convening-team")),
    ("reviewer.novak@experts.example", "Eva Novak", ("healthy-babies", "municipal-investment-fund", "pedestrian-safety")),
]

ADMIN = ("admin@portal.example", "Portal Administrator")
NETWORK_DOMAINS = {slug: domain for slug, _, domain, _ in NETWORKS}


def city_email(city: str, role: str) -> str:
    return f"{role}@{city}.example"


def all_demo_emails() -> list[str]:
    """Every account the demo creates (all with DEMO_PASSWORD)."""
    emails = [ADMIN[0]]
    emails += [f"staff@{domain}" for _, _, domain, _ in NETWORKS]
    emails += [email for email, _, _ in REVIEWERS]
    emails += [f"funder@{domain}" for _, _, domain, _ in FUNDERS]
    for key, *_ in CITIES:
        emails += [city_email(key, "owner"), city_email(key, "member")]
    return emails


# ---------------------------------------------------------------------------------------------------------
# Forms (as data, see portal/programs/formdef.py) and rubrics

def _f(key: str, type_: str, label: str, **options: Any) -> dict[str, Any]:
    return {"key": key, "type": type_, "label": label, **options}


ATTEST = _f("attest", "attestation", "Attestation", required=True,
            statement="I confirm that this information is accurate and that the authorised signer named above "
                      "approves this application.")
SIGNER = _f("signer_name", "short_text", "Authorised signer (mayor or chief administrative officer)", required=True,
            identifying=True, max_chars=120)
PDF = ["application/pdf"]

FORMS: dict[str, dict[str, Any]] = {
    # Every field type, several steps, conditional fields, a budget that derives the amount requested.
    "healthy-babies": {"sections": [
        {"key": "about", "title": "About your city", "help": "Who we should write to about this application.",
         "fields": [
            _f("about_intro", "instructions", "Before you start",
               text="This application has six steps and a last one to review your answers and submit. Your "
                    "answers are saved as you type (and whenever you press Save), and you can come back to any step "
                    "before you submit.\n\nOnly the authorised signer named in the last step can submit the "
                    "application."),
            _f("project_title", "short_text", "Project title", required=True, max_chars=120),
            _f("contact_name", "short_text", "Project contact", required=True, identifying=True, max_chars=120),
            _f("contact_email", "email", "Contact email", required=True, identifying=True),
            _f("contact_phone", "phone", "Contact phone", identifying=True),
            _f("city_website", "url", "The city's web page for this work (optional)", identifying=True),
            _f("city_address", "address", "City hall mailing address", required=True, identifying=True),
        ]},
        {"key": "need", "title": "The need", "fields": [
            _f("need", "long_text", "Describe the need among families with babies and toddlers in your city",
               required=True, max_words=400, help="Use local data where you have it."),
            _f("families_in_need", "number", "Families with children under five the project can reach",
               required=True, integer=True, min=0, max=1_000_000),
            _f("child_poverty_rate", "percentage", "Share of children under five living in poverty",
               required=True, help="From the latest American Community Survey, for example 18.5."),
        ]},
        {"key": "plan", "title": "Your plan", "fields": [
            _f("focus", "select", "Main focus", required=True, options=[
                {"value": "diaper_bank", "label": "Diaper bank"},
                {"value": "screening", "label": "Developmental screening"},
                {"value": "home_visiting", "label": "Home visiting"},
                {"value": "child_care", "label": "Access to child care"},
                {"value": "prenatal", "label": "Prenatal care"},
                {"value": "other", "label": "Something else"}]),
            _f("focus_other", "short_text", "Describe the main focus", required=True, max_chars=120,
               show_if={"field": "focus", "equals": "other"}),
            _f("also_touches", "multi_select", "Other areas the project touches", options=[
                {"value": "nutrition", "label": "Nutrition"},
                {"value": "housing", "label": "Housing"},
                {"value": "maternal_health", "label": "Maternal health"},
                {"value": "early_learning", "label": "Early learning"}]),
            _f("plan", "long_text", "What will you do, and when?", required=True, max_words=600),
            _f("start_date", "date", "Planned start date", required=True),
            _f("has_partners", "yes_no", "Will partner organisations help deliver the project?", required=True),
            _f("partners", "group", "Partners", required=True, row_label="Partner", min_rows=1, max_rows=10,
               show_if={"field": "has_partners", "equals": True},
               help="Each organisation that will help, and what it will do.", fields=[
                   _f("name", "short_text", "Organisation name", required=True, max_chars=160),
                   _f("type", "select", "Type of organisation", required=True, options=[
                       {"value": "library", "label": "Library"},
                       {"value": "health", "label": "Health center or clinic"},
                       {"value": "nonprofit", "label": "Nonprofit"},
                       {"value": "school", "label": "School or child care provider"},
                       {"value": "government", "label": "Other public agency"}]),
                   _f("role", "short_text", "Role in the project", max_chars=200),
               ]),
        ]},
        {"key": "budget", "title": "Budget",
         "help": "One line per cost. The amount you request is the total; show any local cost share beside it.",
         "fields": [
            _f("budget", "budget", "Budget", required=True, requested_amount=True, cost_share=True,
               min_cents=1_000_000, max_cents=7_500_000, max_rows=30, categories=[
                   {"value": "personnel", "label": "Personnel"},
                   {"value": "supplies", "label": "Supplies"},
                   {"value": "contractual", "label": "Contractual"},
                   {"value": "other", "label": "Other"}],
               help="The grant pays between $10,000 and $75,000 in all."),
            _f("budget_table", "file", "Budget detail (optional)", accept=PDF, max_bytes=5 * 1024 * 1024,
               help="One PDF, if your finance office has a more detailed budget."),
        ]},
        {"key": "metrics", "title": "Outcome metrics and targets", "fields": [
            _f("target_families", "number", "Families served (target)", required=True, integer=True, min=0),
            _f("target_screenings", "number", "Developmental screenings done (target)", integer=True, min=0),
        ]},
        {"key": "sign", "title": "Sign and submit", "fields": [SIGNER, ATTEST]},
    ]},
    "city-innovation-ecosystems": {"sections": [
        {"key": "commitment", "title": "Your public commitment", "fields": [
            # The panel is blind: the fields reviewers read ask for no name of the city (the panel page warns staff
            # when one holds it anyway); the signer and the partner's letter (on its letterhead) identify.
            _f("project_title", "short_text", "Name of the commitment", required=True, max_chars=120,
               help="Reviewers read it without knowing your city: leave the city's name out."),
            _f("intervention", "select", "The intervention you commit to", required=True, options=[
                {"value": "open_procurement", "label": "Open city procurement to young firms"},
                {"value": "licensing", "label": "Entrepreneur-friendly licensing and permits"},
                {"value": "stem_for_all", "label": "STEM for all"},
                {"value": "capital_access", "label": "Access to capital for underrepresented founders"},
                {"value": "one_stop_shop", "label": "A one-stop shop for entrepreneurs"}]),
            _f("commitment", "long_text", "The commitment, as the mayor will announce it", required=True,
               max_words=250, help="Reviewers read it without knowing your city: write \"the city\", not its name."),
            _f("announce_on", "date", "When the mayor will announce it", required=True),
            _f("partners", "long_text", "Local partners (universities, chambers, founder groups)", required=True,
               max_words=200, help="Reviewers read it without knowing your city: describe partners by kind (the state "
                                   "university, the regional chamber), not by name."),
        ]},
        {"key": "funding", "title": "Seed funding", "fields": [
            _f("amount", "currency", "Seed funding requested", required=True, requested_amount=True,
               min_cents=500_000, max_cents=5_000_000, help="Up to $50,000, with technical assistance."),
            _f("ta_hours", "number", "Technical-assistance hours you would like", integer=True, min=0, max=200),
            _f("support_letter", "file", "Letter of support from a local partner (optional)", accept=PDF,
               identifying=True),
        ]},
        {"key": "sign", "title": "Sign and submit", "fields": [SIGNER, ATTEST]},
    ]},
    "pedestrian-safety": {"sections": [
        {"key": "streets", "title": "Your most dangerous streets", "fields": [
            _f("project_title", "short_text", "Short name for your city's effort", required=True, max_chars=120),
            _f("dangerous_streets", "long_text", "Which streets are most dangerous, and why?", required=True,
               max_words=400),
            _f("deaths_5yr", "number", "Pedestrian deaths in the last five years", required=True, integer=True,
               min=0),
            _f("crash_data", "file", "Crash map or data summary (optional)", accept=PDF),
        ]},
        {"key": "commitment", "title": "The mayor's commitment", "fields": [
            _f("mayor_commitment", "long_text", "What the mayor commits to during the Institute", required=True,
               max_words=250),
            _f("team", "long_text", "Your team (up to three people: the mayor and two senior staff)",
               required=True, max_words=120, identifying=True),
            _f("vision_zero", "select", "Does your city have a Vision Zero or safety action plan?", required=True,
               options=[{"value": "adopted", "label": "Adopted"}, {"value": "drafting", "label": "Being drafted"},
                        {"value": "none", "label": "Not yet"}]),
            SIGNER, ATTEST,
        ]},
    ]},
    "national-convening-team": {"sections": [
        {"key": "team", "title": "Your team", "fields": [
            _f("project_title", "short_text", "What your team wants to work on", required=True, max_chars=120),
            _f("official_1", "short_text", "Senior city official (name, title)", required=True, identifying=True,
               max_chars=160),
            _f("official_2", "short_text", "Second senior city official (name, title)", required=True,
               identifying=True, max_chars=160),
            # The partner is a local institution ("President, Boise Community Foundation"): it names the city.
            _f("partner", "short_text", "Partner (name, organisation)", required=True, identifying=True,
               max_chars=160),
            _f("partner_kind", "select", "The partner is", required=True, options=[
                {"value": "foundation", "label": "A foundation"},
                {"value": "anchor", "label": "An anchor institution (university, hospital)"},
                {"value": "chamber", "label": "A chamber of commerce"}]),
        ]},
        {"key": "learning", "title": "What you want to learn", "fields": [
            _f("learning_goals", "long_text", "What does the city want to learn, and what will it do with it?",
               required=True, max_words=300),
            _f("arrival", "date", "Arrival date at the convening", required=True),
            _f("amount", "currency", "Travel support requested", required=True, requested_amount=True,
               min_cents=100_000, max_cents=750_000, help="Up to $7,500 for the team of three."),
            SIGNER, ATTEST,
        ]},
    ]},
    "municipal-investment-fund": {"sections": [
        {"key": "project", "title": "The project", "fields": [
            _f("project_title", "short_text", "Project name", required=True, max_chars=120),
            _f("project_type", "select", "Allowable project type", required=True, options=[
                {"value": "solar_public", "label": "Solar and storage on public buildings"},
                {"value": "electrification", "label": "Building electrification"},
                {"value": "fleet", "label": "Clean fleet and charging"},
                {"value": "community_solar", "label": "Community solar"},
                {"value": "district_energy", "label": "District energy"}]),
            _f("description", "long_text", "Describe the project", required=True, max_words=800),
            _f("tons_co2", "number", "Tons of CO2 avoided a year (estimate)", required=True, min=0),
            _f("construction_start", "date", "Construction starts", required=True),
        ]},
        {"key": "partners", "title": "Partners and finance", "fields": [
            _f("partners", "long_text", "Public and private partners, and each one's role", required=True,
               max_words=300),
            _f("private_capital", "currency", "Private capital committed", required=True, min_cents=0),
            _f("amount", "currency", "Grant requested", required=True, requested_amount=True,
               min_cents=10_000_000, max_cents=100_000_000, help="$100,000 to $1,000,000, paid in tranches."),
            _f("budget", "file", "Project budget", accept=PDF, max_bytes=10 * 1024 * 1024),
            SIGNER, ATTEST,
        ]},
    ]},
}

REPORT_FORMS: dict[str, dict[str, Any]] = {
    "healthy-babies": {"sections": [{"key": "outcomes", "title": "Outcomes", "fields": [
        _f("families_served", "number", "Families served", required=True, integer=True, min=0),
        _f("screenings_done", "number", "Developmental screenings done", required=True, integer=True, min=0),
        _f("spent", "currency", "Grant money spent so far", required=True, min_cents=0),
        _f("progress", "long_text", "What happened, and what you learned", required=True, max_words=500),
    ]}]},
    "city-innovation-ecosystems": {"sections": [{"key": "progress", "title": "Progress on the commitment", "fields": [
        _f("commitment_status", "select", "The commitment is", required=True, options=[
            {"value": "on_track", "label": "On track"}, {"value": "delayed", "label": "Delayed"},
            {"value": "done", "label": "Done"}]),
        _f("firms_reached", "number", "Entrepreneurs and young firms reached", required=True, integer=True, min=0),
        _f("progress", "long_text", "Progress against the commitment", required=True, max_words=400),
    ]}]},
    "pedestrian-safety": {"sections": [{"key": "improvements", "title": "Safety improvements", "fields": [
        _f("improvements", "long_text", "Safety improvements made", required=True, max_words=400),
        _f("crossings_improved", "number", "Crossings made safer", required=True, integer=True, min=0),
        _f("speed_limits_lowered", "checkbox", "Speed limits were lowered on at least one of the streets named"),
        _f("next_milestone", "date", "Next milestone"),
    ]}]},
    "national-convening-team": {"sections": [{"key": "actions", "title": "Actions taken", "fields": [
        _f("actions", "long_text", "What has the city done since the convening?", required=True, max_words=300),
        _f("follow_up_on", "date", "Date of the team's follow-up meeting"),
    ]}]},
    "municipal-investment-fund": {"sections": [{"key": "milestone", "title": "Milestone", "fields": [
        _f("milestone", "select", "Milestone reached", required=True, options=[
            {"value": "design", "label": "Design complete"}, {"value": "financing", "label": "Financing closed"},
            {"value": "construction", "label": "Under construction"}, {"value": "operating", "label": "Operating"}]),
        _f("spent", "currency", "Grant money spent so far", required=True, min_cents=0),
        _f("tons_co2", "number", "Tons of CO2 avoided so far", min=0),
        _f("narrative", "long_text", "Progress, risks and changes", required=True, max_words=500),
    ]}]},
}

# Each program's review panel: blind, reviewers per application, overall threshold, ask for a recommendation,
# and the rubric's scale (a key of portal.reviews.panels.forms.SCALES). Reviews are due two weeks after the
# deadline; the panel of a program whose decisions are all made is closed.
PANELS: dict[str, dict[str, Any]] = {
    "healthy-babies": {"blind": False, "k": 3, "threshold": 3.0, "recommend": False, "scale": "1-5"},
    "city-innovation-ecosystems": {"blind": True, "k": 2, "threshold": None, "recommend": False, "scale": "1-5"},
    "pedestrian-safety": {"blind": False, "k": 3, "threshold": None, "recommend": False, "scale": "1-5",
                          "closed": True},
    "national-convening-team": {"blind": False, "k": 2, "threshold": 3.0, "recommend": True, "scale": "0-5-half"},
    "municipal-investment-fund": {"blind": False, "k": 3, "threshold": None, "recommend": True, "scale": "nih-1-9"},
}
# Per-criterion thresholds (program, criterion name -> threshold on its scale).
CRITERION_THRESHOLDS = {("healthy-babies", "Need"): 3.0, ("municipal-investment-fund", "Readiness"): 5.0}
# Reviewers' bids and a declared conflict on applications not yet assigned (program, city, reviewer key).
PREFERENCES = [("healthy-babies", "tacoma", "okafor", "eager"), ("healthy-babies", "tacoma", "novak", "willing"),
               ("city-innovation-ecosystems", "boise", "banks", "eager")]
DECLARED_CONFLICTS = [("healthy-babies", "tacoma", "chen",
                       "I advised Tacoma's health department on its home-visiting program in 2025.")]

RUBRICS: dict[str, list[tuple[str, str, int]]] = {  # name, description, weight (each program's sum to 100)
    "healthy-babies": [
        ("Need", "How great is the need, and how well is it shown with local data?", 30),
        ("Plan", "Is the plan concrete, feasible and timed?", 30),
        ("Partners", "Do the partners bring reach into families' lives?", 15),
        ("Outcomes", "Are the metrics meaningful and the targets ambitious but reachable?", 25),
    ],
    "city-innovation-ecosystems": [
        ("Commitment", "Is the public commitment specific, bold and owned by the mayor?", 40),
        ("Fit", "Does the chosen intervention fit the city's entrepreneurs?", 30),
        ("Partners", "Are local partners committed to carry it out?", 30),
    ],
    "pedestrian-safety": [
        ("Danger", "How dangerous are the streets named, by the data?", 35),
        ("Commitment", "How strong is the mayor's commitment?", 35),
        ("Team", "Can the team act on what it learns?", 30),
    ],
    "national-convening-team": [
        ("Learning goals", "Is it clear what the city wants to learn and why?", 50),
        ("Team", "Two senior officials and a partner who can carry the work", 30),
        ("Action", "How likely is action after the convening?", 20),
    ],
    "municipal-investment-fund": [
        ("Climate impact", "Emissions avoided for the money", 30),
        ("Leverage", "Private capital brought in per grant dollar", 25),
        ("Partnership", "Strength of the public–private partnership", 20),
        ("Readiness", "Can construction start on time?", 25),
    ],
}


# ---------------------------------------------------------------------------------------------------------
# Eligibility questions (as data, see portal/programs/eligibility.py), asked before a draft opens

US_STATES = [  # the 50 states and DC, then the territories (which some programs cannot fund)
    ("AL", "Alabama"), ("AK", "Alaska"), ("AZ", "Arizona"), ("AR", "Arkansas"), ("CA", "California"),
    ("CO", "Colorado"), ("CT", "Connecticut"), ("DE", "Delaware"), ("DC", "District of Columbia"),
    ("FL", "Florida"), ("GA", "Georgia"), ("HI", "Hawaii"), ("ID", "Idaho"), ("IL", "Illinois"),
    ("IN", "Indiana"), ("IA", "Iowa"), ("KS", "Kansas"), ("KY", "Kentucky"), ("LA", "Louisiana"), ("ME", "Maine"),
    ("MD", "Maryland"), ("MA", "Massachusetts"), ("MI", "Michigan"), ("MN", "Minnesota"), ("MS", "Mississippi"),
    ("MO", "Missouri"), ("MT", "Montana"), ("NE", "Nebraska"), ("NV", "Nevada"), ("NH", "New Hampshire"),
    ("NJ", "New Jersey"), ("NM", "New Mexico"), ("NY", "New York"), ("NC", "North Carolina"),
    ("ND", "North Dakota"), ("OH", "Ohio"), ("OK", "Oklahoma"), ("OR", "Oregon"), ("PA", "Pennsylvania"),
    ("RI", "Rhode Island"), ("SC", "South Carolina"), ("SD", "South Dakota"), ("TN", "Tennessee"),
    ("TX", "Texas"), ("UT", "Utah"), ("VT", "Vermont"), ("VA", "Virginia"), ("WA", "Washington"),
    ("WV", "West Virginia"), ("WI", "Wisconsin"), ("WY", "Wyoming"),
]
US_TERRITORIES = [("AS", "American Samoa"), ("GU", "Guam"), ("MP", "Northern Mariana Islands"),
                  ("PR", "Puerto Rico"), ("VI", "U.S. Virgin Islands")]


def _q(key: str, type_: str, label: str, **options: Any) -> dict[str, Any]:
    return {"key": key, "type": type_, "label": label, **options}


def _basics(min_population: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The questions every program asks (municipal government, population, state) and their rules."""
    questions = [
        _q("municipal", "yes_no", "Is the applicant a municipal government (a city, town or village)?",
           help="Counties, nonprofits and state agencies cannot apply, but they can be partners."),
        _q("population", "number", "Population of the city (latest census estimate)"),
        _q("state", "select", "State", options=[{"value": c, "label": n} for c, n in US_STATES + US_TERRITORIES]),
    ]
    rules: list[dict[str, Any]] = [
        {"question": "municipal", "equals": "yes", "reason": "Only municipal governments can apply; counties, "
         "nonprofits and state agencies can take part as partners of a city."},
        {"question": "population", "min": min_population,
         "reason": f"The program is for cities of {min_population:,} residents or more."},
    ]
    return questions, rules


def _eligibility(min_population: int, extra: list[dict[str, Any]], rules: list[dict[str, Any]],
                 prefill: dict[str, str]) -> dict[str, Any]:
    questions, basic_rules = _basics(min_population)
    return {"questions": questions + extra, "rules": basic_rules + rules, "prefill": prefill}


def _options(form: str, key: str) -> list[dict[str, str]]:
    field = next(f for section in FORMS[form]["sections"] for f in section["fields"] if f["key"] == key)
    return list(field["options"])


ELIGIBILITY: dict[str, dict[str, Any]] = {
    "healthy-babies": _eligibility(
        20_000,
        [_q("focus", "select", "What will the grant pay for?", options=_options("healthy-babies", "focus") + [
            {"value": "school_age", "label": "Programs for school-age children"}])],
        [{"question": "focus", "in": [o["value"] for o in _options("healthy-babies", "focus")],
          "reason": "The grant funds work for children from conception to pre-K only."}],
        {"focus": "focus"}),
    "city-innovation-ecosystems": _eligibility(
        50_000,
        [_q("intervention", "select", "Which intervention from the menu will the mayor commit to?",
            options=_options("city-innovation-ecosystems", "intervention") + [
                {"value": "other", "label": "Something not on the menu"}]),
         _q("public_commitment", "yes_no", "Will the mayor announce the commitment in public?")],
        [{"question": "intervention", "in": [o["value"] for o in _options("city-innovation-ecosystems",
                                                                          "intervention")],
          "reason": "Seed funding backs one intervention from the menu; choose the closest one."},
         {"question": "public_commitment", "equals": "yes",
          "reason": "Seed funding is given for a public commitment made by the mayor."}],
        {"intervention": "intervention"}),
    "pedestrian-safety": _eligibility(
        30_000,
        [_q("mayor_attends", "yes_no", "Will the mayor take part in the Institute in person?"),
         _q("vision_zero", "select", "Does your city have a Vision Zero or safety action plan?",
            options=_options("pedestrian-safety", "vision_zero"))],
        [{"question": "mayor_attends", "equals": "yes",
          "reason": "The Institute is for mayors: the mayor must take part in person."}],
        {"vision_zero": "vision_zero"}),
    "national-convening-team": _eligibility(
        40_000,
        [_q("partner_kind", "select", "Who is the third member of the team?",
            options=_options("national-convening-team", "partner_kind") + [
                {"value": "none", "label": "We do not have a partner yet"}])],
        [{"question": "partner_kind", "in": ["foundation", "anchor", "chamber"],
          "reason": "The team must include a partner: a foundation, an anchor institution or a chamber of "
                    "commerce."}],
        {"partner_kind": "partner_kind"}),
    "municipal-investment-fund": _eligibility(
        50_000,
        [_q("project_type", "select", "What kind of clean-energy project is it?",
            options=_options("municipal-investment-fund", "project_type") + [
                {"value": "other", "label": "Another kind of project"}])],
        [{"question": "state", "in": [code for code, _ in US_STATES],
          "reason": "The fund can invest in the 50 states and the District of Columbia only."},
         {"question": "project_type", "in": [o["value"] for o in _options("municipal-investment-fund",
                                                                          "project_type")],
          "reason": "Only the allowable project types can be funded."}],
        {"project_type": "project_type"}),
}


# ---------------------------------------------------------------------------------------------------------
# Programs

def _local(day: date, hour: int, minute: int, tz: str) -> datetime:
    """A wall-clock time in a program's time zone, as UTC."""
    return datetime.combine(day, time(hour, minute), tzinfo=clock.zone(tz)).astimezone(timezone.utc)


@dataclass(frozen=True)
class ProgramSpec:
    slug: str
    network: str
    title: str
    summary: str
    description: str
    offer_kind: str
    offer_text: str
    budget_cents: int
    max_award_cents: int
    status: str
    opens_at: datetime
    deadline_at: datetime
    timezone: str
    signatory: str
    conditions: str
    award_start: date
    award_end: date
    funders: tuple[tuple[str, int], ...]  # funder slug, pledged cents
    seats: int = 0  # cohort_seat: seats in the cohort
    max_ta_hours: int = 0  # hours of technical assistance an award may carry
    rolling_decisions: bool = False  # decided as applications arrive


def program_specs(now: datetime) -> list[ProgramSpec]:
    today = now.date()
    chicago, new_york, denver = "America/Chicago", "America/New_York", "America/Denver"

    def local_today(zone: str) -> date:
        """Today where the program runs: "closes in 3 days" counts from the city's date, not UTC's."""
        return now.astimezone(clock.zone(zone)).date()

    return [
        ProgramSpec(
            slug="healthy-babies", network="mayors-innovation-project",
            title="Healthy Babies Initiative grant",
            summary="Cash grants for city-led early-childhood work, from conception to pre-K.",
            description=("The Healthy Babies Initiative helps mayors give every child a strong start. Grants "
                         "fund city-led work with families of babies and toddlers: diaper banks, developmental "
                         "screening, home visiting, access to child care. Tell us the need, your plan and "
                         "partners, your budget, and the outcomes you will measure."),
            offer_kind="cash", offer_text="A grant of $10,000 to $75,000 for 12 months, and a peer-learning cohort.",
            budget_cents=60_000_000, max_award_cents=7_500_000, status="open",
            opens_at=now - timedelta(days=40), deadline_at=_local(local_today(chicago) + timedelta(days=3), 17, 0, chicago),
            timezone=chicago, signatory="Maya Thompson, Program Director, Mayors Innovation Project",
            conditions=("Funds are spent on the approved plan within the award period. The interim and final "
                        "reports (the final one with outcome metrics) are due as the reporting schedule says."),
            award_start=date(today.year + 1, 1, 1), award_end=date(today.year + 1, 12, 31),
            funders=(("early-years-futures-fund", 60_000_000),),
        ),
        ProgramSpec(
            slug="city-innovation-ecosystems", network="national-league-of-cities",
            title="City Innovation Ecosystems seed funding",
            summary="Seed funding and technical assistance for a mayor's public commitment to entrepreneurs.",
            description=("With the Kauffman Foundation and Schmidt Futures, the National League of Cities backs "
                         "mayors who make a public commitment to their entrepreneurs. Choose one intervention "
                         "from the menu, write the commitment as the mayor will announce it, and name your "
                         "local partners."),
            offer_kind="cash", offer_text="Seed funding up to $50,000 plus up to 100 hours of technical assistance.",
            budget_cents=50_000_000, max_award_cents=5_000_000, status="open",
            opens_at=now - timedelta(days=25), deadline_at=_local(local_today(new_york) + timedelta(days=20), 23, 59, new_york),
            timezone=new_york, signatory="Daniel Ortiz, Program Director, National League of Cities",
            conditions="The mayor announces the commitment publicly within 90 days and reports progress on it.",
            award_start=date(today.year + 1, 2, 1), award_end=date(today.year + 2, 1, 31),
            funders=(("kauffman-foundation", 30_000_000), ("schmidt-futures", 20_000_000)), max_ta_hours=100,
        ),
        ProgramSpec(
            slug="pedestrian-safety", network="mayors-innovation-project",
            title="Mayors Institute on Pedestrian Safety",
            summary="A seat in a cohort of mayors: expert guidance, peer learning and tools for safer streets.",
            description=("With AARP Livable Communities and Smart Growth America, the Mayors Innovation Project "
                         "convenes a cohort of mayors and their teams to make their most dangerous streets safe. "
                         "There is no cash award: a seat brings expert guidance, peer learning and tools. The "
                         "call closed on 28 February 2026; late applications could not be accepted."),
            offer_kind="cohort_seat", offer_text="A seat in the 2026 cohort for the mayor and two senior staff.",
            budget_cents=0, max_award_cents=0, status="closed",
            opens_at=_local(date(2026, 1, 12), 9, 0, new_york),
            deadline_at=_local(date(2026, 2, 28), 23, 59, new_york),
            timezone=new_york, signatory="Maya Thompson, Program Director, Mayors Innovation Project",
            conditions=("The mayor and the team attend every cohort session and report the safety improvements "
                        "made on the streets named in the application."),
            award_start=date(2026, 4, 1), award_end=date(2026, 12, 31),
            funders=(("aarp-livable-communities", 15_000_000), ("smart-growth-america", 5_000_000)), seats=3,
        ),
        ProgramSpec(
            slug="national-convening-team", network="national-resource-network",
            title="National convening team",
            summary="Travel support for a city team of two senior officials and one partner.",
            description=("The National Resource Network brings city teams together to learn from peers. "
                         "We pay travel for two senior city officials and one partner (a foundation, an anchor "
                         "institution or the chamber of commerce). Applications are decided as they arrive."),
            offer_kind="travel", offer_text="A travel stipend of up to $7,500 for a team of three.",
            budget_cents=9_000_000, max_award_cents=750_000, status="open",
            opens_at=now - timedelta(days=60), deadline_at=_local(local_today(new_york) + timedelta(days=45), 17, 0, new_york),
            timezone=new_york, signatory="Priya Raman, Program Director, National Resource Network",
            conditions="Receipts for travel are kept; a short report on actions taken is due after the convening.",
            award_start=today - timedelta(days=5), award_end=today + timedelta(days=120),
            funders=(("civic-capacity-fund", 9_000_000),), rolling_decisions=True,
        ),
        ProgramSpec(
            slug="municipal-investment-fund", network="national-league-of-cities",
            title="Municipal Investment Fund",
            summary="Larger grants, paid in tranches, for clean-energy public–private partnerships.",
            description=("With ICLEI USA and the Coalition for Green Capital, the Municipal Investment Fund "
                         "helps cities build clean-energy projects with private partners. Grants of $100,000 "
                         "to $1,000,000 are paid in tranches as milestones are reported."),
            offer_kind="cash", offer_text="A grant of $100,000 to $1,000,000, paid in tranches against milestones.",
            budget_cents=200_000_000, max_award_cents=100_000_000, status="closed",
            opens_at=now - timedelta(days=320), deadline_at=_local(today - timedelta(days=240), 17, 0, denver),
            timezone=denver, signatory="Daniel Ortiz, Program Director, National League of Cities",
            # The tranches themselves are records (the award's schedule): the letter states them from there.
            conditions=("Paid in tranches against milestones, as the payment schedule says. Records are kept for "
                        "three years after the final expenditure report."),
            award_start=today - timedelta(days=200), award_end=today + timedelta(days=530),
            funders=(("coalition-for-green-capital", 150_000_000), ("iclei-usa", 50_000_000)),
        ),
    ]


# ---------------------------------------------------------------------------------------------------------
# Applications in every state. Offsets in days are from the program's deadline (closed programs) or from now
# (open ones). Reviews: reviewer key -> "submitted" | "assigned". Award: amount, status, decided, reports.

def _reviewer(key: str) -> str:
    return f"reviewer.{key}@experts.example"


APPLICATIONS: list[dict[str, Any]] = [
    # Healthy Babies (open, closes in 3 days): drafts, submitted without and with reviews, a withdrawn draft.
    {"program": "healthy-babies", "city": "madison", "status": "draft", "complete": False, "days": -6},
    {"program": "healthy-babies", "city": "tacoma", "status": "submitted", "days": -2},
    {"program": "healthy-babies", "city": "dayton", "status": "submitted", "days": -12, "quality": 4.2,
     "reviews": {"okafor": "submitted", "chen": "submitted", "novak": "assigned"}},
    {"program": "healthy-babies", "city": "providence", "status": "submitted", "days": -9, "quality": 3.4,
     "reviews": {"okafor": "submitted", "chen": "assigned"}},
    {"program": "healthy-babies", "city": "albuquerque", "status": "withdrawn", "complete": False, "days": -20},
    # City Innovation Ecosystems (open, closes in 20 days)
    {"program": "city-innovation-ecosystems", "city": "savannah", "status": "draft", "complete": True, "days": -3},
    {"program": "city-innovation-ecosystems", "city": "tacoma", "status": "draft", "complete": False, "days": -1},
    {"program": "city-innovation-ecosystems", "city": "boise", "status": "submitted", "days": -4},
    # Pedestrian Safety (closed 28 February 2026): fully reviewed, decided, reporting.
    {"program": "pedestrian-safety", "city": "madison", "status": "awarded", "days": -3, "quality": 4.6,
     "reviews": {"okafor": "submitted", "garcia": "submitted", "novak": "submitted"},
     "award": {"amount": 0, "status": "accepted", "decided": 30, "reports": ("submitted", "draft")}},
    {"program": "pedestrian-safety", "city": "dayton", "status": "awarded", "days": -1, "quality": 4.1,
     "reviews": {"okafor": "submitted", "garcia": "submitted", "novak": "submitted"},
     "award": {"amount": 0, "status": "accepted", "decided": 30, "reports": ("started", "draft")}},
    {"program": "pedestrian-safety", "city": "savannah", "status": "awarded", "days": -8, "quality": 3.9,
     "reviews": {"okafor": "submitted", "garcia": "submitted", "novak": "submitted"},
     "award": {"amount": 0, "status": "accepted", "decided": 30, "reports": ("draft", "draft")}},
    {"program": "pedestrian-safety", "city": "albuquerque", "status": "declined", "days": 0, "quality": 2.6,
     "reviews": {"okafor": "submitted", "garcia": "submitted", "novak": "submitted"}},
    {"program": "pedestrian-safety", "city": "providence", "status": "declined", "days": -15, "quality": 3.0,
     "reviews": {"okafor": "submitted", "garcia": "submitted"}},
    # National convening team (open, rolling decisions)
    {"program": "national-convening-team", "city": "boise", "status": "awarded", "days": -30, "quality": 4.4,
     "reviews": {"garcia": "submitted", "banks": "submitted"},
     "award": {"amount": 600_000, "status": "offered", "decided": -3, "reports": ("draft", "draft")}},
    {"program": "national-convening-team", "city": "providence", "status": "submitted", "days": -10, "quality": 3.8,
     "reviews": {"garcia": "submitted", "banks": "assigned"}},
    {"program": "national-convening-team", "city": "dayton", "status": "declined", "days": -40, "quality": 2.2,
     "reviews": {"garcia": "submitted", "banks": "submitted"}},
    {"program": "national-convening-team", "city": "madison", "status": "draft", "complete": False, "days": -2},
    # Municipal Investment Fund (closed 240 days ago, decided in rounds): an award in tranches, two waiting.
    {"program": "municipal-investment-fund", "city": "tacoma", "status": "awarded", "days": -5, "quality": 4.5,
     "reviews": {"garcia": "submitted", "banks": "submitted", "novak": "submitted"},
     "award": {"amount": 45_000_000, "status": "accepted", "decided": 35, "reports": ("submitted", "draft"),
               # percent of the amount, when it is paid (portal/awards/tranches/services.py triggers)
               "tranches": ((40, "on_acceptance", ""), (40, "on_report_approval", "interim"),
                            (20, "on_report_approval", "final"))}},
    {"program": "municipal-investment-fund", "city": "albuquerque", "status": "submitted", "days": -2,
     "quality": 4.0, "reviews": {"garcia": "submitted", "banks": "submitted", "novak": "submitted"}},
    {"program": "municipal-investment-fund", "city": "boise", "status": "submitted", "days": -1, "quality": 3.6,
     "reviews": {"banks": "submitted", "novak": "assigned", "garcia": "assigned"}},
    {"program": "municipal-investment-fund", "city": "dayton", "status": "declined", "days": -7, "quality": 2.4,
     "reviews": {"garcia": "submitted", "banks": "submitted"}},
    {"program": "municipal-investment-fund", "city": "savannah", "status": "withdrawn", "days": -3},
]

DECLINE_NOTES = {
    "pedestrian-safety": ("Thank you for applying. The cohort had room for three cities this year; the panel "
                          "encourages you to apply again with crash data for the streets named."),
    "national-convening-team": ("The panel could not see what the team would do after the convening. You are "
                                "welcome to apply again with clearer learning goals."),
    "municipal-investment-fund": ("The project's private financing was not yet committed. We would welcome a "
                                  "new application once the partner's capital is in place."),
}


# City Innovation Ecosystems is reviewed blind: its commitments are named without the city ("Open Doors Savannah"
# showed its reviewers the city).
CIE_TITLES = {"open_procurement": "Open Doors to City Purchasing", "licensing": "Permits in a Day",
              "one_stop_shop": "One Door for Founders", "capital_access": "Capital for Every Founder"}


def _answers(program: str, city: str, city_name: str, owner: str, complete: bool = True) -> dict[str, Any]:
    """Realistic answers that follow the program's form; drafts leave later sections empty."""
    town = city_name.removeprefix("City of ")
    seed = sum(map(ord, city))  # varies the numbers from city to city, the same on every run
    if program == "healthy-babies":
        total = (40_000 + (seed % 30) * 1_000) * 100
        state = next(c[2] for c in CITIES if c[0] == city)
        answers: dict[str, Any] = {
            "project_title": f"{town} Strong Starts",
            "contact_name": owner,
            "contact_email": f"{owner.split()[0].lower()}@{city}.example",
            "contact_phone": f"+1 555 {200 + seed % 700} {1000 + seed % 9000}",
            "city_website": f"https://www.{city}.example/strong-starts",
            "city_address": {"street": "1 City Hall Plaza", "city": town, "state": state,
                             "zip": f"{10000 + seed * 37 % 89999:05d}"},
            "need": (f"In {town}, one in three families with a child under two reports running out of diapers "
                     "each month, and fewer than half of toddlers on Medicaid receive a developmental screening "
                     "before age three. Needs are concentrated in four neighborhoods on the city's south side."),
            "families_in_need": 1_800 + seed % 900,
            "child_poverty_rate": 12 + (seed % 90) / 10,
            "focus": ["screening", "diaper_bank", "home_visiting", "child_care"][seed % 4],
            "also_touches": ["nutrition", "early_learning"],
            "plan": ("Months 1-3: hire a coordinator and train library and clinic staff to use the ASQ-3 screening. "
                     "Months 4-12: run monthly screening days with diaper distribution at three libraries and two "
                     "community health centers, with follow-up referrals to early intervention."),
            "start_date": f"{clock.now().year + 1}-01-15",
            "has_partners": True,
            "partners": [
                {"name": f"{town} Public Library", "type": "library", "role": "Space and outreach"},
                {"name": "Two community health centers", "type": "health", "role": "Screenings and referrals"},
                {"name": "County diaper bank", "type": "nonprofit", "role": "Diapers at every screening day"},
            ],
            "budget": [
                {"category": "personnel", "description": "Project coordinator (half time)", "amount": 2_400_000,
                 "cost_share": 1_500_000},
                {"category": "supplies", "description": "Diapers and wipes for screening days",
                 "amount": total - 2_900_000, "cost_share": 0},
                {"category": "contractual", "description": "ASQ-3 training for library and clinic staff",
                 "amount": 500_000, "cost_share": 0},
            ],
            "target_families": 600 + seed % 200,
            "target_screenings": 450 + seed % 150,
            "signer_name": f"Mayor of {town}",
            "attest": True,
        }
        drop: tuple[str, ...] = ("target_families", "target_screenings", "signer_name", "attest", "partners",
                                 "budget")
    elif program == "city-innovation-ecosystems":
        intervention = ["open_procurement", "licensing", "one_stop_shop", "capital_access"][seed % 4]
        answers = {
            "project_title": CIE_TITLES[intervention],
            "intervention": intervention,
            "commitment": ("By the end of next year, the city will award at least 15% of its small purchases to "
                           "firms under five years old, publish every bid opportunity online in plain language, "
                           "and pay small vendors within 15 days."),
            "announce_on": (clock.now().date() + timedelta(days=60)).isoformat(),
            "partners": "The regional chamber of commerce, the university's entrepreneurship center, two founder networks.",
            "amount": 4_500_000,
            "ta_hours": 60,
            "signer_name": f"Mayor of {town}",
            "attest": True,
        }
        drop = ("partners", "amount", "ta_hours", "signer_name", "attest")
    elif program == "pedestrian-safety":
        answers = {
            "project_title": f"Safe Streets {town}",
            "dangerous_streets": (f"Three arterials carry most of {town}'s pedestrian deaths: wide, fast roads with "
                                  "bus stops but few marked crossings, and long distances between signals."),
            "deaths_5yr": 12 + seed % 25,
            "mayor_commitment": ("The mayor commits to lower the speed limit on the three arterials, add ten "
                                 "protected crossings within a year, and report progress at every council meeting."),
            "team": f"The mayor; the director of transportation; the chief of staff ({owner}).",
            "vision_zero": ["adopted", "drafting", "none"][seed % 3],
            "signer_name": f"Mayor of {town}",
            "attest": True,
        }
        drop = ("mayor_commitment", "team", "signer_name", "attest")
    elif program == "national-convening-team":
        answers = {
            "project_title": "Fiscal resilience after federal funds end",
            "official_1": f"{owner}, Chief Administrative Officer",
            "official_2": "Finance Director",
            "partner": f"President, {town} Community Foundation",
            "partner_kind": ["foundation", "anchor", "chamber"][seed % 3],
            "learning_goals": ("How peer cities closed structural budget gaps without cutting core services, and "
                               "how they used multi-year forecasting to plan. We will bring a draft five-year plan "
                               "to council within six months."),
            "arrival": (clock.now().date() + timedelta(days=70)).isoformat(),
            "amount": 600_000,
            "signer_name": f"Mayor of {town}",
            "attest": True,
        }
        drop = ("learning_goals", "arrival", "amount", "signer_name", "attest")
    else:  # municipal-investment-fund
        answers = {
            "project_title": f"{town} Solar + Storage on Public Buildings",
            "project_type": ["solar_public", "electrification", "fleet", "community_solar"][seed % 4],
            "description": ("Rooftop solar with battery storage on 14 city buildings, financed through a power "
                            "purchase agreement with a local green bank, with resilience hubs at three recreation "
                            "centers."),
            "tons_co2": 2_400 + seed % 1_000,
            "construction_start": (clock.now().date() + timedelta(days=90)).isoformat(),
            "partners": "The state green bank (financing), the local utility (interconnection), a solar developer.",
            "private_capital": 310_000_000 + (seed % 10) * 10_000_000,
            "amount": (50 + seed % 40) * 1_000_000,
            "signer_name": f"Mayor of {town}",
            "attest": True,
        }
        drop = ("partners", "private_capital", "amount", "signer_name", "attest")
    if not complete:
        for key in drop:
            answers.pop(key, None)
    return answers


REPORT_ANSWERS: dict[str, dict[str, Any]] = {
    "healthy-babies": {"families_served": 312, "screenings_done": 240, "spent": 2_100_000,
                       "progress": "Screening days run monthly at three libraries; referrals doubled."},
    "city-innovation-ecosystems": {"commitment_status": "on_track", "firms_reached": 85,
                                   "progress": "Bid portal launched; 11 first-time vendors won contracts."},
    "pedestrian-safety": {"improvements": ("Speed limits lowered from 35 to 25 mph on two arterials; six "
                                           "crossings rebuilt with refuges and rapid flashing beacons."),
                          "crossings_improved": 6, "speed_limits_lowered": True, "next_milestone": "2026-10-15"},
    "national-convening-team": {"actions": "The team drafted a five-year financial plan, presented to council."},
    "municipal-investment-fund": {"milestone": "financing", "spent": 18_000_000, "tons_co2": 0,
                                  "narrative": ("Power purchase agreement signed and financing closed; "
                                                "interconnection studies done for 9 of 14 buildings.")},
}

REVIEW_COMMENTS = {
    "high": "Clear, well evidenced and ready to start; strong partners.",
    "mid": "A sound proposal; the plan would benefit from firmer timelines and targets.",
    "low": "The need is real, but the plan and partners are not yet concrete enough.",
}


def _score(quality: float, reviewer: str, position: int, scale_min: int, scale_max: int, scale_step: float = 1.0,
           lower_is_better: bool = False) -> float:
    """A reviewer's score for one criterion: the application's quality (1–5), the reviewer's leniency, some
    spread, mapped onto the criterion's scale (turned round where lower is better) and its step."""
    leniency = {"okafor": -0.3, "chen": 0.2, "garcia": 0.0, "banks": 0.4, "novak": -0.1}[reviewer]
    spread = ((sum(map(ord, reviewer)) + position * 7) % 5 - 2) * 0.25
    share = (quality + leniency + spread - 1) / 4  # 0 (worst) .. 1 (best)
    value = scale_min + share * (scale_max - scale_min)
    if lower_is_better:
        value = scale_max + scale_min - value
    value = round(value / scale_step) * scale_step
    return float(min(scale_max, max(scale_min, value)))


# ---------------------------------------------------------------------------------------------------------
# Writing it all

class _Seeder:
    def __init__(self, now: datetime) -> None:
        self.now = now
        self.system = Actor(user=None, ip="demo-seed")
        self.password_hash = hash_password(DEMO_PASSWORD)  # once: argon2 is deliberately slow
        self.users: dict[str, int] = {}
        self.orgs: dict[str, int] = {}
        self.programs: dict[str, dict[str, Any]] = {}
        self.awards: list[tuple[int, dict[str, Any], datetime]] = []  # award id, plan, when the city answered

    async def audit(self, at: datetime, actor_id: int | None, action: str, object_type: str, object_id: int,
                    **detail: Any) -> None:
        """An audit row dated when the demo says the thing happened (portal.core.audit.record dates it now)."""
        await audit.record_dated(at, actor_id, "demo-seed", action, object_type, object_id, **detail)

    async def user(self, email: str, name: str, *, is_admin: bool = False) -> int:
        """Like accounts.services.create_user, with the demo password's hash computed once."""
        rows = await User.insert(User(email=email, name=name, password_hash=self.password_hash, is_admin=is_admin,
                                      created_at=self.now)).returning(User.id)
        user_id: int = rows[0]["id"]
        await self.audit(self.now, None, "user.created", "user", user_id, is_admin=is_admin, demo=True)
        self.users[email] = user_id
        return user_id

    async def people(self) -> None:
        await self.user(*ADMIN, is_admin=True)
        for slug, name, domain, staff_name in NETWORKS:
            self.orgs[slug] = await accounts.create_organisation(self.system, "network", name, slug,
                                                                 email_domain=domain)
            staff = await self.user(f"staff@{domain}", staff_name)
            await accounts.add_membership(self.system, staff, self.orgs[slug], "staff")
        for slug, name, domain, person in FUNDERS:
            self.orgs[slug] = await accounts.create_organisation(self.system, "funder", name, slug,
                                                                 email_domain=domain)
            funder = await self.user(f"funder@{domain}", person)
            await accounts.add_membership(self.system, funder, self.orgs[slug], "funder")
        for key, name, state, population, (owner, member) in CITIES:
            self.orgs[key] = await accounts.create_organisation(
                self.system, "city", name, f"{key}-{state.lower()}", state=state, population=population,
                email_domain=f"{key}.example")
            await accounts.add_membership(self.system, await self.user(city_email(key, "owner"), owner),
                                          self.orgs[key], "owner")
            await accounts.add_membership(self.system, await self.user(city_email(key, "member"), member),
                                          self.orgs[key], "member")
        for email, name, _ in REVIEWERS:
            await self.user(email, name)

    async def program(self, spec: ProgramSpec) -> None:
        network_id = self.orgs[spec.network]
        rows = await Program.insert(Program(
            network=network_id, slug=spec.slug, title=spec.title, summary=spec.summary,
            description=spec.description, offer_kind=spec.offer_kind, offer_text=spec.offer_text,
            budget_cents=spec.budget_cents, max_award_cents=spec.max_award_cents, status=spec.status,
            opens_at=spec.opens_at, deadline_at=spec.deadline_at, timezone=spec.timezone,
            letter_signatory=spec.signatory, letter_conditions=spec.conditions, award_start=spec.award_start,
            award_end=spec.award_end, contact_email=f"grants@{NETWORK_DOMAINS[spec.network]}",
            created_at=spec.opens_at - timedelta(days=14), eligibility=ELIGIBILITY[spec.slug],
            seats=spec.seats, max_ta_hours=spec.max_ta_hours, rolling_decisions=spec.rolling_decisions,
        )).returning(Program.id)
        program_id = rows[0]["id"]
        staff_id = self.users[f"staff@{NETWORK_DOMAINS[spec.network]}"]
        await self.audit(spec.opens_at - timedelta(days=14), staff_id, "program.created", "program", program_id)
        forms = {}
        for kind, schema, title in (("application", FORMS[spec.slug], "Application"),
                                    ("report", REPORT_FORMS[spec.slug], "Follow-up report")):
            form = await FormVersion.insert(FormVersion(program=program_id, kind=kind, version=1, title=title,
                                                        schema=schema, created_at=spec.opens_at)
                                            ).returning(FormVersion.id)
            forms[kind] = form[0]["id"]
        criteria = []
        setup = PANELS[spec.slug]
        scale = {k: v for k, v in SCALES[setup["scale"]].items() if k != "label"}
        for position, (name, description, weight) in enumerate(RUBRICS[spec.slug], start=1):
            row = await Criterion.insert(Criterion(program=program_id, position=position, name=name,
                                                   description=description, weight=weight,
                                                   threshold=CRITERION_THRESHOLDS.get((spec.slug, name)),
                                                   **scale)).returning(Criterion.id)
            criteria.append({"id": row[0]["id"], "position": position, **scale})
        for funder, pledged in spec.funders:
            await ProgramFunder.insert(ProgramFunder(program=program_id, funder=self.orgs[funder],
                                                     pledged_cents=pledged))
        await ProgramRole.insert(ProgramRole(program=program_id, user=staff_id, role="staff", created_at=self.now))
        due_at = spec.deadline_at + timedelta(days=14)
        panel = await ReviewPanel.insert(ReviewPanel(
            program=program_id, name=f"{spec.title} review panel", due_at=due_at, blind=setup["blind"],
            reviews_per_application=setup["k"], overall_threshold=setup["threshold"],
            ask_recommendation=setup["recommend"], status="closed" if setup.get("closed") else "open",
            closed_at=due_at if setup.get("closed") else None, created_by=staff_id, created_at=spec.opens_at,
        )).returning(ReviewPanel.id)
        panel_id = panel[0]["id"]
        await self.audit(spec.opens_at, staff_id, "panel.created", "review_panel", panel_id, program_id=program_id)
        for email, _, programs in REVIEWERS:
            if spec.slug in programs:
                await ProgramRole.insert(ProgramRole(program=program_id, user=self.users[email], role="reviewer",
                                                     created_at=spec.opens_at))
                capacity, expertise, home_city = REVIEWER_PROFILES[email]
                await PanelMember.insert(PanelMember(panel=panel_id, user=self.users[email], capacity=capacity,
                                                     expertise=expertise, home_city=home_city,
                                                     joined_at=spec.opens_at))
                await self.audit(spec.opens_at, self.users[email], "panel.joined", "review_panel", panel_id)
        self.programs[spec.slug] = {"id": program_id, "spec": spec, "forms": forms, "criteria": criteria,
                                    "staff": staff_id, "panel": panel_id, "applications": {}}

    async def application(self, entry: dict[str, Any]) -> None:
        program = self.programs[entry["program"]]
        spec: ProgramSpec = program["spec"]
        city = entry["city"]
        city_name = next(c[1] for c in CITIES if c[0] == city)
        owner_email, owner_name = city_email(city, "owner"), next(c[4][0] for c in CITIES if c[0] == city)
        owner = self.users[owner_email]
        status = entry["status"]
        sent = status != "draft" and entry.get("complete", True)  # submitted at some point
        answers = _answers(spec.slug, city, city_name, owner_name, complete=entry.get("complete", True))
        anchor = spec.deadline_at if spec.status == "closed" else self.now
        submitted_at = anchor + timedelta(days=entry["days"], hours=-3)
        created_at = submitted_at - timedelta(days=9)
        schema = FORMS[spec.slug]
        rows = await Application.insert(Application(
            program=program["id"], organisation=self.orgs[city], form_version=program["forms"]["application"],
            status=status, title=formdef.display_title(schema, answers), answers=answers, version=4 if sent else 2,
            requested_cents=formdef.requested_cents(schema, answers), created_by=owner, created_at=created_at,
            updated_at=submitted_at, submitted_at=submitted_at if sent else None,
            submitted_by=owner if sent else None, content_sha256=content_sha256(answers) if sent else "",
            decision_note=DECLINE_NOTES.get(spec.slug, "") if status == "declined" else "",
        )).returning(Application.id)
        application_id = rows[0]["id"]
        program["applications"][city] = application_id
        if sent:
            await Application.update({
                Application.receipt_number: receipt_number(spec.slug, submitted_at.year, application_id),
            }).where(Application.id == application_id)
        await self.audit(created_at, owner, "application.started", "application", application_id)
        # The city's member writes it with the owner, as an editor on the team (the owner signs).
        await TeamMember.insert(TeamMember(application=application_id, user=self.users[city_email(city, "member")],
                                           role="editor", is_signer=False, added_by=owner, created_at=created_at))
        await self.audit(created_at, owner, "team.joined", "application", application_id,
                         user_id=self.users[city_email(city, "member")], role="editor")
        if sent:
            await self.audit(submitted_at, owner, "application.submitted", "application", application_id)
        if status == "withdrawn":
            await self.audit(submitted_at + timedelta(days=2), owner, "application.withdrawn", "application",
                             application_id)
        review_end = await self.reviews(entry, program, application_id, submitted_at)
        decided_at = review_end + timedelta(days=2)
        if status == "declined":
            await self.audit(decided_at, program["staff"], "application.declined", "application", application_id)
        if "award" in entry:
            await self.award(entry["award"], program, application_id, review_end, owner)

    async def reviews(self, entry: dict[str, Any], program: dict[str, Any], application_id: int,
                      submitted_at: datetime) -> datetime:
        """Assignments and scores; returns when the last review came in."""
        spec: ProgramSpec = program["spec"]
        quality = entry.get("quality", 3.5)
        assigned_at = max(submitted_at, spec.deadline_at if spec.status == "closed" else submitted_at) + timedelta(days=1)
        last = assigned_at
        for n, (reviewer, state) in enumerate(entry.get("reviews", {}).items()):
            done_at = min(assigned_at + timedelta(days=4 + n), self.now - timedelta(hours=2 + n))
            if state == "submitted":
                last = max(last, done_at)
            tone = "high" if quality >= 4 else "mid" if quality >= 3 else "low"
            rows = await Assignment.insert(Assignment(
                application=application_id, reviewer=self.users[_reviewer(reviewer)], assigned_by=program["staff"],
                assigned_at=min(assigned_at, self.now - timedelta(days=1)), status=state,
                submitted_at=done_at if state == "submitted" else None,
                comment=REVIEW_COMMENTS[tone] if state == "submitted" else "",
            )).returning(Assignment.id)
            assignment_id = rows[0]["id"]
            await self.audit(assigned_at, program["staff"], "review.assigned", "assignment", assignment_id,
                             application_id=application_id)
            if state != "submitted":
                continue
            for criterion in program["criteria"]:
                await Score.insert(Score(
                    assignment=assignment_id, criterion=criterion["id"],
                    value=_score(quality, reviewer, criterion["position"], criterion["scale_min"],
                                 criterion["scale_max"], criterion["scale_step"], criterion["lower_is_better"]),
                    comment="",
                ))
            await self.audit(done_at, self.users[_reviewer(reviewer)], "review.submitted", "assignment",
                             assignment_id, application_id=application_id)
        return last

    async def award(self, plan: dict[str, Any], program: dict[str, Any], application_id: int,
                    review_end: datetime, owner: int) -> None:
        spec: ProgramSpec = program["spec"]
        # `decided`: days after the deadline (closed programs), or days from now (rolling decisions)
        decided_at = (spec.deadline_at if spec.status == "closed" else self.now) + timedelta(days=plan["decided"])
        decided_at = min(max(decided_at, review_end + timedelta(hours=1)), self.now - timedelta(hours=1))
        # Offered, as decide_award makes it: the city's answer is recorded later, by the acceptance service.
        rows = await Award.insert(Award(
            application=application_id, amount_cents=plan["amount"], ta_hours=plan.get("ta_hours", 0),
            conditions=spec.conditions, start_date=spec.award_start, end_date=spec.award_end, status="offered",
            decided_by=program["staff"], decided_at=decided_at,
        )).returning(Award.id)
        award_id = rows[0]["id"]
        answered_at = min(decided_at + timedelta(days=4), self.now - timedelta(minutes=30))
        self.awards.append((award_id, plan, answered_at))
        await self.audit(decided_at, program["staff"], "award.decided", "award", award_id,
                         application_id=application_id, amount_cents=plan["amount"])
        dues = award_due_dates(spec.award_start, spec.award_end,
                               decided_at.astimezone(clock.zone(spec.timezone)).date())
        for kind, state in zip(("interim", "final"), plan["reports"]):
            answers: dict[str, Any] = {}
            if state == "submitted":
                answers = dict(REPORT_ANSWERS[spec.slug])
            elif state == "started":  # a draft with some answers saved
                first = next(iter(REPORT_ANSWERS[spec.slug].items()))
                answers = {first[0]: first[1]}
            submitted_at = min(datetime.combine(dues[kind], time(15), tzinfo=timezone.utc) - timedelta(days=3),
                               self.now - timedelta(days=1))
            rows = await Report.insert(Report(
                award=award_id, form_version=program["forms"]["report"], kind=kind, due_on=dues[kind],
                status="submitted" if state == "submitted" else "draft", answers=answers,
                version=2 if answers else 1,
                submitted_at=submitted_at if state == "submitted" else None,
                submitted_by=owner if state == "submitted" else None,
                updated_at=submitted_at if answers else decided_at,
            )).returning(Report.id)
            if state == "submitted":
                await self.audit(submitted_at, owner, "report.submitted", "report", rows[0]["id"], award_id=award_id)

    async def answer_awards(self, files_dir: Path) -> None:
        """Each award's payment schedule and the city's answer, through the services a real award goes through:
        the tranches (`tranches.set_schedule`); for an award the story calls accepted, the signer's acceptance
        (`acceptance.accept_award`: the award letter made and stored, the `award_acceptance` row with its hash,
        the award `accepted`, the countersigned PDF) and the tranches due on acceptance released (their
        payments wait for the manual rail: no Stripe in the demo). No email is sent."""
        from portal.accounts.sessions import load_principal
        from portal.awards import queries as award_queries
        from portal.awards.acceptance import services as acceptance
        from portal.awards.tranches import services as tranches
        from portal.letters import award_letters  # noqa: F401  (the award letters: awards/hooks.py)

        for award_id, plan, answered_at in self.awards:
            if plan.get("tranches"):
                await tranches.set_schedule(self.system, award_id, _tranche_rows(plan))
            if plan["status"] != "accepted":
                continue
            award = await award_queries.get_award(award_id)
            assert award is not None
            signer = await load_principal(await acceptance.signer_id(award) or 0)
            assert signer is not None
            actor = Actor(user=signer, ip="demo-seed")
            await acceptance.accept_award(actor, award, signer.name, "Mayor", True, files_dir, at=answered_at,
                                          notify=False)
            await tranches.release_on_acceptance(actor, award_id, None)

    async def bids(self) -> None:
        """Reviewers' preferences and declared conflicts on applications not yet assigned."""
        for slug, city, reviewer, level in PREFERENCES:
            await ReviewPreference.insert(ReviewPreference(
                application=self.programs[slug]["applications"][city], reviewer=self.users[_reviewer(reviewer)],
                level=level, updated_at=self.now - timedelta(hours=6)))
        for slug, city, reviewer, reason in DECLARED_CONFLICTS:
            application_id = self.programs[slug]["applications"][city]
            at = self.now - timedelta(hours=5)
            await ReviewConflict.insert(ReviewConflict(
                application=application_id, reviewer=self.users[_reviewer(reviewer)], source="reviewer",
                reason=reason, declared_by=self.users[_reviewer(reviewer)], declared_at=at))
            await self.audit(at, self.users[_reviewer(reviewer)], "review.conflict_declared", "application",
                             application_id, source="reviewer")


def _tranche_rows(plan: dict[str, Any]) -> list[Any]:
    """The plan's tranches (percent of the amount, trigger, report) in cents; the last takes any rounding."""
    from portal.awards.tranches.services import TrancheInput

    rows, left = [], plan["amount"]
    for n, (percent, trigger, report_kind) in enumerate(plan["tranches"], start=1):
        cents = left if n == len(plan["tranches"]) else plan["amount"] * percent // 100
        left -= cents
        rows.append(TrancheInput(amount_cents=cents, trigger=trigger, report_kind=report_kind, due_date=None))
    return rows


async def _is_empty() -> bool:
    return not (await User.exists() or await Organisation.exists() or await Program.exists())


async def seed_default_letter_templates() -> None:
    """Every demo program starts with the default award, decline and waitlist letters (portal.letters)."""
    from portal.letters.services import seed_default_templates

    await seed_default_templates()


def _files_dir(settings: Settings | None) -> Path:
    if settings is None:
        from portal.settings import load_settings

        settings = load_settings()
    return settings.files_dir


async def seed(settings: Settings | None = None) -> bool:
    """Load the demo into an empty database; returns False (and writes nothing) if it has data already.

    Side effects, in one write transaction: the organisations, users, memberships, programs (forms,
    rubrics, funders, staff and reviewer roles, review panels and their members), applications, review
    assignments and scores, reviewers' preferences and a declared conflict, awards and
    reports described in this module; audit rows dated as the demo's story goes, and one `demo.seeded`.
    Then, through the award services (`_Seeder.answer_awards`): the tranches of the awards paid in tranches,
    and for each award the story calls accepted its letter (a PDF under the settings' files directory), the
    signer's acceptance record and countersigned PDF. No email is sent.
    """
    if settings is not None and settings.production:  # the accounts share a published password
        raise RuntimeError("The demo data is never loaded with PORTAL_ENV=production.")
    async with write_transaction():
        if not await _is_empty():
            return False
        now = clock.now()
        seeder = _Seeder(now)
        await seeder.people()
        for spec in program_specs(now):
            await seeder.program(spec)
        for entry in APPLICATIONS:
            await seeder.application(entry)
        await seeder.bids()
        await seed_default_letter_templates()
        await seeder.answer_awards(_files_dir(settings))
        await seeder.audit(now, None, "demo.seeded", "portal", 0, programs=len(seeder.programs),
                           applications=len(APPLICATIONS), statuses=sorted({e["status"] for e in APPLICATIONS}))
    return True
