"""Reading review panels: the panel with its access checks, its members and pending invitations, whether its
rubric is locked, and the applications a member may bid on.

Staff of the network that runs a program reach its panel through `programs.access.get_program_for_staff`
(Forbidden to non-staff, NotFound to other networks' staff). A panel's own pages for reviewers are for its
members only: everyone else gets NotFound, so nobody learns which panels exist.
"""

from __future__ import annotations

from typing import Any

from portal.accounts.tables import Invitation
from portal.applications.tables import Application
from portal.applications import blind as blinding
from portal.core import clock
from portal.core.actor import Principal
from portal.core.errors import NotFound
from portal.programs.tables import Criterion
from portal.reviews.conflicts import queries as conflicts
from portal.reviews.queries import REVIEWABLE_STATUSES
from portal.reviews.tables import (
    Assignment,
    PanelMember,
    ReviewConflict,
    ReviewPanel,
    ReviewPreference,
    Score,
)

PANEL_COLUMNS = (
    ReviewPanel.id, ReviewPanel.program, ReviewPanel.name, ReviewPanel.due_at, ReviewPanel.blind,
    ReviewPanel.reviews_per_application, ReviewPanel.status, ReviewPanel.closed_at, ReviewPanel.overall_threshold,
    ReviewPanel.ask_recommendation, ReviewPanel.program.title, ReviewPanel.program.timezone,
    ReviewPanel.program.contact_email, ReviewPanel.program.network,
)


async def get_panel_of_program(program_id: int) -> dict[str, Any] | None:
    return await ReviewPanel.select(*PANEL_COLUMNS).where(ReviewPanel.program == program_id).first()


async def get_panel(panel_id: int) -> dict[str, Any] | None:
    return await ReviewPanel.select(*PANEL_COLUMNS).where(ReviewPanel.id == panel_id).first()


async def is_member(panel_id: int, user_id: int) -> bool:
    return await PanelMember.exists().where((PanelMember.panel == panel_id) & (PanelMember.user == user_id))


async def get_panel_for_member(user: Principal, panel_id: int) -> dict[str, Any]:
    """The panel if `user` sits on it; NotFound for everyone else (staff and administrators included: they
    work on the panel from its staff pages)."""
    panel = await get_panel(panel_id)
    if panel is None or not await is_member(panel_id, user.id):
        raise NotFound()
    return panel


async def get_member(panel_id: int, user_id: int) -> dict[str, Any] | None:
    return await PanelMember.select(
        PanelMember.id, PanelMember.user, PanelMember.capacity, PanelMember.expertise, PanelMember.home_city,
        PanelMember.user.name, PanelMember.user.email,
    ).where((PanelMember.panel == panel_id) & (PanelMember.user == user_id)).first()


async def list_panels_of_member(user_id: int) -> list[dict[str, Any]]:
    """The panels `user` sits on, soonest due first."""
    rows = await PanelMember.select(
        PanelMember.panel.id, PanelMember.panel.name, PanelMember.panel.due_at, PanelMember.panel.status,
        PanelMember.panel.program.title, PanelMember.panel.program.timezone, PanelMember.capacity,
    ).where(PanelMember.user == user_id)
    rows.sort(key=lambda r: (r["panel.due_at"] is None, r["panel.due_at"] and clock.as_utc(r["panel.due_at"]),
                             r["panel.id"]))
    return rows


async def list_members(panel_id: int, program_id: int) -> list[dict[str, Any]]:
    """The panel's members by name, each with `load` (applications assigned in the program) and `submitted`
    (reviews submitted). Two queries."""
    members = await PanelMember.select(
        PanelMember.user, PanelMember.user.name, PanelMember.user.email, PanelMember.capacity,
        PanelMember.expertise, PanelMember.home_city, PanelMember.joined_at,
    ).where(PanelMember.panel == panel_id)
    assignments = await Assignment.select(Assignment.reviewer, Assignment.status).where(
        (Assignment.application.program == program_id)
        & Assignment.reviewer.is_in([m["user"] for m in members] or [0])
    )
    for m in members:
        mine = [a for a in assignments if a["reviewer"] == m["user"]]
        m["load"] = len(mine)
        m["submitted"] = sum(a["status"] == "submitted" for a in mine)
    members.sort(key=lambda m: (m["user.name"].lower(), m["user"]))
    return members


async def member_ids(panel_id: int) -> list[int]:
    rows = await PanelMember.select(PanelMember.user).where(PanelMember.panel == panel_id)
    return [r["user"] for r in rows]


async def list_pending_invitations(program_id: int) -> list[dict[str, Any]]:
    """Reviewer invitations to the program not yet accepted and not expired, newest first."""
    return await Invitation.select(Invitation.id, Invitation.email, Invitation.created_at, Invitation.expires_at).where(
        (Invitation.program_id == program_id) & (Invitation.role == "reviewer") & Invitation.accepted_at.is_null()
        & (Invitation.expires_at > clock.now())
    ).order_by(Invitation.id, ascending=False)


async def get_pending_invitation(program_id: int, invitation_id: int) -> dict[str, Any]:
    """A pending reviewer invitation of the program; NotFound otherwise (including another program's)."""
    row = await Invitation.select(Invitation.id, Invitation.email).where(
        (Invitation.id == invitation_id) & (Invitation.program_id == program_id) & (Invitation.role == "reviewer")
        & Invitation.accepted_at.is_null() & (Invitation.expires_at > clock.now())
    ).first()
    if row is None:
        raise NotFound()
    return row


async def rubric_locked(program_id: int) -> bool:
    """Scoring has started: some review of the program's applications holds a score (drafts included)."""
    return await Score.exists().where(Score.assignment.application.program == program_id)


async def list_criteria(program_id: int) -> list[dict[str, Any]]:
    return await Criterion.select().where(Criterion.program == program_id).order_by(Criterion.position)


async def get_criterion(program_id: int, criterion_id: int) -> dict[str, Any]:
    row = await Criterion.select().where((Criterion.id == criterion_id) & (Criterion.program == program_id)).first()
    if row is None:
        raise NotFound()
    return row


async def list_panel_applications(program_id: int) -> list[dict[str, Any]]:
    """The panel's applications (the program's, submitted or later) with their city, by city name."""
    rows = await Application.select(
        Application.id, Application.title, Application.status, Application.organisation.name,
        Application.organisation.state,
    ).where((Application.program == program_id) & Application.status.is_in(list(REVIEWABLE_STATUSES)))
    rows.sort(key=lambda r: (r["organisation.name"].lower(), r["id"]))
    return rows


async def list_applications_for_member(panel: dict[str, Any], reviewer_id: int) -> list[dict[str, Any]]:
    """What one member bids on: the panel's applications except those they are conflicted on (those are left
    out altogether: the reviewer must not learn that an application from their own city exists), each with
    the member's preference and whether they are assigned. Blind panels: the city is not given (the caller
    shows the title only). Five queries with the conflict check."""
    rows = await list_panel_applications(panel["program"])
    found = await conflicts.conflicts([r["id"] for r in rows], [reviewer_id])
    rows = [r for r in rows if (r["id"], reviewer_id) not in found]
    ids = [r["id"] for r in rows] or [0]
    levels = await ReviewPreference.select(ReviewPreference.application, ReviewPreference.level).where(
        (ReviewPreference.reviewer == reviewer_id) & ReviewPreference.application.is_in(ids)
    )
    assigned = await Assignment.select(Assignment.application, Assignment.status).where(
        (Assignment.reviewer == reviewer_id) & Assignment.application.is_in(ids)
    )
    by_app = {p["application"]: p["level"] for p in levels}
    status = {a["application"]: a["status"] for a in assigned}
    # A blind panel's titles are the blind ones (no city name, no identifying answer in them).
    titles = await blinding.titles_for_reviewers(r["id"] for r in rows) if panel["blind"] else {}
    result = []
    for r in rows:
        item = {"id": r["id"], "title": titles.get(r["id"]) or r["title"] or "Untitled application", "preference": by_app.get(r["id"], ""),
                "assignment": status.get(r["id"], "")}
        if not panel["blind"]:
            item["city"] = r["organisation.name"] + (f", {r['organisation.state']}" if r["organisation.state"] else "")
        result.append(item)
    if panel["blind"]:
        result.sort(key=lambda r: (r["title"].lower(), r["id"]))
    return result


async def list_declared_conflicts(program_id: int) -> list[dict[str, Any]]:
    """Conflicts declared by reviewers or recorded by staff on the program's applications, newest first."""
    return await ReviewConflict.select(
        ReviewConflict.id, ReviewConflict.source, ReviewConflict.reason, ReviewConflict.declared_at,
        ReviewConflict.reviewer.name, ReviewConflict.application.title, ReviewConflict.application.organisation.name,
    ).where(ReviewConflict.application.program == program_id).order_by(ReviewConflict.declared_at, ascending=False)
