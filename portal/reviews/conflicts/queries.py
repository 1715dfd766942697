"""Conflicts of interest: found from the data, declared by a reviewer, or recorded by staff.

A reviewer is conflicted on an application when
- they are a member of the applicant organisation (any role);
- their home city (as they gave it on joining the panel) is the applicant city ("Madison, WI");
- their email address is at the applicant organisation's email domain;
- or a conflict was declared (review_conflict), by the reviewer or by staff.

The found ones are derived every time (they follow memberships and addresses as those change); only declared
ones are stored. A conflicted reviewer is never assigned, gets 404 for the application everywhere, and their
scores are left out of its aggregates.
"""

from __future__ import annotations

from typing import Iterable, TypedDict

from portal.accounts.tables import Membership, User
from portal.applications.tables import Application
from portal.reviews.rules import email_domain
from portal.reviews.tables import PanelMember, ReviewConflict

MEMBER = "A member of the applicant organisation"
HOME_CITY = "Lives in the applicant city"
DOMAIN = "Shares the applicant organisation's email domain"


MUNICIPAL_PREFIXES = ("city of ", "town of ", "village of ", "borough of ", "township of ")


def city_key(name: str, state: str = "") -> str:
    """"Madison", "WI", "City of Madison", "WI" and "madison ,  wi" all -> "madison, wi"."""
    text = f"{name}, {state}" if state else name
    parts = [" ".join(p.split()).lower() for p in text.split(",")]
    parts = [p for p in parts if p]
    if parts:
        for prefix in MUNICIPAL_PREFIXES:
            if parts[0].startswith(prefix):
                parts[0] = parts[0][len(prefix):]
                break
    return ", ".join(parts)


class ReviewerFacts(TypedDict):
    """What the conflict rules know of a reviewer."""

    email: str
    organisation_ids: set[int]
    home_city: str


class ApplicantFacts(TypedDict):
    """What the conflict rules know of an application's applicant organisation."""

    organisation: int
    name: str
    state: str
    email_domain: str


def found_reason(reviewer: ReviewerFacts, applicant: ApplicantFacts) -> str | None:
    """Why `reviewer` is conflicted on `applicant`, from the data alone; None if not."""
    if applicant["organisation"] in reviewer["organisation_ids"]:
        return MEMBER
    if reviewer.get("home_city") and city_key(reviewer["home_city"]) == city_key(applicant["name"], applicant["state"]):
        return HOME_CITY
    domain = (applicant.get("email_domain") or "").strip().lower()
    if domain and email_domain(reviewer["email"]) == domain:
        return DOMAIN
    return None


async def _reviewers(user_ids: Iterable[int]) -> dict[int, ReviewerFacts]:
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    users = await User.select(User.id, User.email).where(User.id.is_in(ids))
    reviewers: dict[int, ReviewerFacts] = {
        u["id"]: {"email": u["email"], "organisation_ids": set(), "home_city": ""} for u in users}
    for m in await Membership.select(Membership.user, Membership.organisation).where(Membership.user.is_in(ids)):
        reviewers[m["user"]]["organisation_ids"].add(m["organisation"])
    for p in await PanelMember.select(PanelMember.user, PanelMember.home_city).where(PanelMember.user.is_in(ids)):
        if p["home_city"]:
            reviewers[p["user"]]["home_city"] = p["home_city"]
    return reviewers


async def _applicants(application_ids: Iterable[int]) -> dict[int, ApplicantFacts]:
    ids = sorted(set(application_ids))
    if not ids:
        return {}
    rows = await Application.select(
        Application.id, Application.organisation, Application.organisation._.name,
        Application.organisation._.state, Application.organisation._.email_domain,
    ).where(Application.id.is_in(ids))
    return {r["id"]: {"organisation": r["organisation"], "name": r["organisation.name"],
                      "state": r["organisation.state"], "email_domain": r["organisation.email_domain"]} for r in rows}


async def conflicts(application_ids: Iterable[int], reviewer_ids: Iterable[int]) -> dict[tuple[int, int], str]:
    """(application id, reviewer id) -> reason, for every conflicted pair among the given ones (four queries)."""
    applicants = await _applicants(application_ids)
    reviewers = await _reviewers(reviewer_ids)
    if not applicants or not reviewers:
        return {}
    result: dict[tuple[int, int], str] = {}
    declared = await ReviewConflict.select(ReviewConflict.application, ReviewConflict.reviewer,
                                           ReviewConflict.source, ReviewConflict.reason).where(
        ReviewConflict.application.is_in(list(applicants)) & ReviewConflict.reviewer.is_in(list(reviewers))
    )
    for d in declared:
        who = "Declared by the reviewer" if d["source"] == "reviewer" else "Recorded by staff"
        result[(d["application"], d["reviewer"])] = f"{who}: {d['reason']}"
    # Index the applicants so that each reviewer costs O(their organisations), not O(applications).
    by_org: dict[int, list[int]] = {}
    by_city: dict[str, list[int]] = {}
    by_domain: dict[str, list[int]] = {}
    for app_id, a in applicants.items():
        by_org.setdefault(a["organisation"], []).append(app_id)
        by_city.setdefault(city_key(a["name"], a["state"]), []).append(app_id)
        if a["email_domain"]:
            by_domain.setdefault(a["email_domain"].strip().lower(), []).append(app_id)
    for rid, r in reviewers.items():
        found: list[tuple[int, str]] = []
        for org in r["organisation_ids"]:
            found += [(a, MEMBER) for a in by_org.get(org, [])]
        if r["home_city"]:
            found += [(a, HOME_CITY) for a in by_city.get(city_key(r["home_city"]), [])]
        found += [(a, DOMAIN) for a in by_domain.get(email_domain(r["email"]), [])]
        for app_id, reason in found:
            result.setdefault((app_id, rid), reason)
    return result


async def conflict_reason(reviewer_id: int, application_id: int) -> str | None:
    """Why this reviewer is conflicted on this application, or None."""
    return (await conflicts([application_id], [reviewer_id])).get((application_id, reviewer_id))


async def is_conflicted(reviewer_id: int, application_id: int) -> bool:
    return await conflict_reason(reviewer_id, application_id) is not None
