"""Reading what the panel assignment needs: the panel's applications and their topics, its members, existing
assignments, preferences and conflicts; and the preview of a proposal (per reviewer and per application).

Expertise rule (documented in docs/reviews.md, "Assignment"): an application's topics are the options chosen in
its form's topic fields: `select` or `multi_select` fields whose key is, or starts with, `focus`, `topic` or
`theme` (e.g. `focus`, `topic_area`). Each chosen option gives its value and its label. A reviewer's expertise
is a comma-separated list of terms. A reviewer is an expert on an application when one of their terms, compared
without case and extra spaces, equals a topic's value or label, or appears in a label as whole words
("screening" matches "Developmental screening"; "screen" does not).
"""

from __future__ import annotations

import copy
import functools
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

import msgspec

from portal.accounts.tables import User
from portal.applications.tables import Application
from portal.core.actor import Principal
from portal.programs import formdef
from portal.programs.access import get_program_for_staff
from portal.programs.records import ProgramRecord
from portal.programs.tables import FormVersion
from portal.reviews.conflicts import queries as conflict_rules
from portal.reviews import queries
from portal.reviews.records import (
    AssignableMember,
    PanelRecord,
    ProgramAssignment,
    Proposal,
    TopicApplication,
)
from portal.reviews.tables import Assignment, PanelMember, ReviewPreference

TOPIC_KEY_PREFIXES = ("focus", "topic", "theme")
TOPIC_FIELD_TYPES = ("select", "multi_select")
OBJECTIVE = "Balanced load, then preferences and expertise; conflicts excluded"
APPLICATIONS_PAGE_SIZE = 50


def _norm(text: Any) -> str:
    return " ".join(str(text).lower().split())


def topic_fields(schema: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in formdef.iter_fields(schema)
            if f.get("type") in TOPIC_FIELD_TYPES and str(f["key"]).lower().startswith(TOPIC_KEY_PREFIXES)]


def application_topics(schema: dict[str, Any], answers: dict[str, Any]) -> set[str]:
    """The chosen options of the topic fields, as normalised values and labels."""
    topics: set[str] = set()
    for f in topic_fields(schema):
        chosen = answers.get(f["key"])
        values = chosen if isinstance(chosen, list) else [chosen]
        labels = {str(o["value"]): o.get("label", "") for o in f.get("options") or [] if isinstance(o, dict) and "value" in o}
        for value in values:
            if value is None or value == "":
                continue
            topics.add(_norm(value))
            if labels.get(str(value)):
                topics.add(_norm(labels[str(value)]))
    return topics


def expertise_terms(text: str) -> set[str]:
    return {_norm(t) for t in (text or "").split(",") if _norm(t)}


def is_expert(terms: Iterable[str], topics: Iterable[str]) -> bool:
    return _is_expert(frozenset(terms), frozenset(topics))


@functools.lru_cache(maxsize=4096)
def _is_expert(terms: frozenset[str], topics: frozenset[str]) -> bool:
    """Cached: a panel has few distinct expertise lists and topic sets, but members × applications pairs."""
    for term in terms:
        if term in topics:
            return True
        pattern = re.compile(r"(?<!\w)" + re.escape(term) + r"(?!\w)")
        if any(pattern.search(topic) for topic in topics):
            return True
    return False


@dataclass
class PanelInputs:
    """Everything the solver and the preview read, loaded in a handful of queries."""

    panel: PanelRecord
    applications: list[TopicApplication]
    members: list[AssignableMember]
    existing: list[ProgramAssignment]
    preferences: dict[tuple[int, int], str]
    conflicts: dict[tuple[int, int], str]
    expert_pairs: set[tuple[int, int]] = field(default_factory=set)

    @property
    def application_ids(self) -> list[int]:
        return [a.id for a in self.applications]

    @property
    def member_ids(self) -> list[int]:
        return [m.user for m in self.members]

    @property
    def existing_pairs(self) -> set[tuple[int, int]]:
        return {(e.application, e.reviewer) for e in self.existing}


async def get_panel_for_staff(user: Principal, program_id: int) -> tuple[ProgramRecord, PanelRecord | None]:
    """The program (access as the staff program page: Forbidden for non-staff, NotFound for other networks'
    staff) and its review panel, or None when it has none yet."""
    program = await get_program_for_staff(user, program_id)
    return program, await queries.get_panel(program_id)


async def list_panel_applications(program_id: int) -> list[TopicApplication]:
    """The panel's applications (submitted or later) with their city and topics, by id."""
    rows = await Application.select(
        Application.id, Application.title, Application.answers, Application.form_version,
        Application.organisation._.name, Application.organisation._.state,
    ).where(
        (Application.program == program_id) & Application.status.is_in(list(queries.REVIEWABLE_STATUSES))
    ).order_by(Application.id).output(load_json=True)
    version_ids = sorted({r["form_version"] for r in rows})
    schemas: dict[int, dict[str, Any]] = {}
    if version_ids:
        for v in await FormVersion.select(FormVersion.id, FormVersion.schema).where(
                FormVersion.id.is_in(version_ids)).output(load_json=True):
            schemas[v["id"]] = v["schema"] if isinstance(v["schema"], dict) else {}
    result = []
    for r in rows:
        answers = r["answers"] if isinstance(r["answers"], dict) else {}
        city = r["organisation.name"] + (f", {r['organisation.state']}" if r["organisation.state"] else "")
        result.append(TopicApplication(id=r["id"], title=r["title"] or "Untitled application", city=city,
                                       topics=application_topics(schemas.get(r["form_version"], {}), answers)))
    return result


async def list_panel_members(panel_id: int) -> list[AssignableMember]:
    rows = await PanelMember.select(
        PanelMember.id.as_alias("member_id"), PanelMember.user, PanelMember.user._.name.as_alias("name"),
        PanelMember.user._.email.as_alias("email"), PanelMember.capacity, PanelMember.expertise,
    ).where(PanelMember.panel == panel_id).order_by(PanelMember.user._.name)
    return [AssignableMember(**r, terms=expertise_terms(r["expertise"])) for r in rows]


async def list_program_assignments(program_id: int) -> list[ProgramAssignment]:
    rows = await Assignment.select(
        Assignment.id, Assignment.application, Assignment.reviewer, Assignment.reviewer._.name.as_alias("name"),
        Assignment.status, Assignment.assigned_at, Assignment.submitted_at,
    ).where(Assignment.application._.program == program_id).order_by(Assignment.id)
    return [ProgramAssignment(**r) for r in rows]


async def load_inputs(panel: PanelRecord) -> PanelInputs:
    applications = await list_panel_applications(panel.program)
    members = await list_panel_members(panel.id)
    existing = await list_program_assignments(panel.program)
    app_ids = [a.id for a in applications]
    member_ids = [m.user for m in members]
    preferences: dict[tuple[int, int], str] = {}
    if app_ids and member_ids:
        for p in await ReviewPreference.select(
                ReviewPreference.application, ReviewPreference.reviewer, ReviewPreference.level).where(
                (ReviewPreference.application._.program == panel.program)
                & ReviewPreference.reviewer.is_in(member_ids)):
            if p["level"] in ("eager", "willing", "not"):
                preferences[(p["application"], p["reviewer"])] = p["level"]
    found = await conflict_rules.conflicts(app_ids, member_ids)
    topic_sets = {a.id: frozenset(a.topics) for a in applications if a.topics}
    expert = {(a, m.user) for m in members if m.terms for a, topics in topic_sets.items()
              if _is_expert(frozenset(m.terms), topics)}
    return PanelInputs(panel, applications, members, existing, preferences, found, expert)


def proposal_of(panel: PanelRecord) -> Proposal:
    """A copy of the panel's proposal ({} when none), to change and store again."""
    return copy.deepcopy(panel.proposal)


def proposal_pairs(panel: PanelRecord) -> list[tuple[int, int]]:
    return [(int(a), int(r)) for a, r in proposal_of(panel).get("pairs", [])]


async def panel_application_ids(program_id: int) -> set[int]:
    rows = await Application.select(Application.id).where(
        (Application.program == program_id) & Application.status.is_in(list(queries.REVIEWABLE_STATUSES)))
    return {r["id"] for r in rows}


def build_preview(inputs: PanelInputs, page: int = 1) -> dict[str, Any]:
    """The proposal as staff check it: per reviewer their load against capacity and preference and expertise
    hits; per application its reviewers (existing and proposed) and what is missing, with the solver's reason.
    Applications short of k come first; the list is paged."""
    panel = inputs.panel
    k = panel.reviews_per_application
    proposal = proposal_of(panel)
    pairs = proposal_pairs(panel)
    reasons = {int(u["application"]): u.get("reason", "") for u in proposal.get("unfilled", [])}
    names = {m.user: m.name for m in inputs.members}
    reviewers: dict[int, dict[str, Any]] = {
        m.user: msgspec.structs.asdict(m) | {"existing": 0, "proposed": 0, "eager": 0, "unwanted": 0, "expert": 0}
        for m in inputs.members}
    apps: dict[int, dict[str, Any]] = {
        a.id: msgspec.structs.asdict(a) | {"existing": [], "proposed": []} for a in inputs.applications}
    for e in inputs.existing:
        if e.application in apps:
            apps[e.application]["existing"].append({"reviewer": e.reviewer, "name": e.name, "status": e.status})
        if e.reviewer in reviewers:
            reviewers[e.reviewer]["existing"] += 1
    for a, r in pairs:
        if a in apps:
            apps[a]["proposed"].append({"reviewer": r, "name": names.get(r, f"Reviewer {r}"),
                                        "preference": inputs.preferences.get((a, r), ""),
                                        "expert": (a, r) in inputs.expert_pairs})
        row = reviewers.get(r)
        if row is not None:
            row["proposed"] += 1
            level = inputs.preferences.get((a, r))
            row["eager"] += level == "eager"
            row["unwanted"] += level == "not"
            row["expert"] += (a, r) in inputs.expert_pairs
    for row in reviewers.values():
        row["load"] = row["existing"] + row["proposed"]
        row["over"] = row["load"] > row["capacity"]
    ordered = []
    for app in apps.values():
        app["missing"] = max(0, k - len(app["existing"]) - len(app["proposed"]))
        app["reason"] = (reasons.get(app["id"]) or "A proposed reviewer was removed by hand.") if app["missing"] else ""
        ordered.append(app)
    ordered.sort(key=lambda app: (app["missing"] == 0, app["id"]))
    pages = max(1, -(-len(ordered) // APPLICATIONS_PAGE_SIZE))
    page = min(max(page, 1), pages)
    start = (page - 1) * APPLICATIONS_PAGE_SIZE
    return {
        "k": k, "objective": OBJECTIVE, "proposal": proposal, "has_proposal": bool(proposal.get("computed_at")),
        "pairs_count": len(pairs), "reviewers": list(reviewers.values()),
        "applications": ordered[start:start + APPLICATIONS_PAGE_SIZE], "page": page, "pages": pages,
        "unfilled_count": sum(1 for app in ordered if app["missing"]), "application_count": len(ordered),
        "choices": [{"id": a.id, "label": f"#{a.id} {a.city}: {a.title}"} for a in inputs.applications],
        "topic_fields": bool(inputs.applications) and any(a.topics for a in inputs.applications),
    }


async def reviewer_names(user_ids: Iterable[int]) -> dict[int, str]:
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    return {u["id"]: u["name"] for u in await User.select(User.id, User.name).where(User.id.is_in(ids))}
