"""Reading review panels: the panel with its access checks, its members and pending invitations, whether its
rubric is locked, and the applications a member may bid on.

Staff of the network that runs a program reach its panel through `programs.access.get_program_for_staff`
(Forbidden to non-staff, NotFound to other networks' staff). A panel's own pages for reviewers are for its
members only: everyone else gets NotFound, so nobody learns which panels exist.
"""

from __future__ import annotations

from typing import cast

from portal.accounts.tables import Invitation
from portal.applications.tables import Application
from portal.applications import blind as blinding
from portal.core import clock
from portal.core.actor import Principal
from portal.core.errors import NotFound
from portal.programs.tables import Criterion
from portal.reviews.conflicts import queries as conflicts
from portal.reviews import queries
from portal.reviews.queries import REVIEWABLE_STATUSES
from portal.reviews.records import (
    CriterionRow,
    DeclaredConflict,
    MemberApplication,
    MemberProfile,
    MemberRow,
    PanelApplication,
    PanelDetail,
    PanelMembership,
    PendingInvitation,
)
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
    ReviewPanel.ask_recommendation, ReviewPanel.program._.title.as_alias("program_title"),
    ReviewPanel.program._.timezone.as_alias("program_timezone"),
    ReviewPanel.program._.contact_email.as_alias("program_contact_email"),
    ReviewPanel.program._.network.as_alias("program_network"),
)


async def get_panel_of_program(program_id: int) -> PanelDetail | None:
    row = await ReviewPanel.select(*PANEL_COLUMNS).where(ReviewPanel.program == program_id).first()
    return PanelDetail(**row) if row is not None else None


async def get_panel(panel_id: int) -> PanelDetail | None:
    row = await ReviewPanel.select(*PANEL_COLUMNS).where(ReviewPanel.id == panel_id).first()
    return PanelDetail(**row) if row is not None else None


async def is_member(panel_id: int, user_id: int) -> bool:
    return bool(await PanelMember.exists().where((PanelMember.panel == panel_id) & (PanelMember.user == user_id)))


async def get_panel_for_member(user: Principal, panel_id: int) -> PanelDetail:
    """The panel if `user` sits on it; NotFound for everyone else (staff and administrators included: they
    work on the panel from its staff pages)."""
    panel = await get_panel(panel_id)
    if panel is None or not await is_member(panel_id, user.id):
        raise NotFound()
    return panel


async def get_member(panel_id: int, user_id: int) -> MemberProfile | None:
    row = await PanelMember.select(
        PanelMember.id, PanelMember.user, PanelMember.capacity, PanelMember.expertise, PanelMember.home_city,
        PanelMember.user._.name.as_alias("name"), PanelMember.user._.email.as_alias("email"),
    ).where((PanelMember.panel == panel_id) & (PanelMember.user == user_id)).first()
    return MemberProfile(**row) if row is not None else None


async def list_panels_of_member(user_id: int) -> list[PanelMembership]:
    """The panels `user` sits on, soonest due first."""
    panel = PanelMember.panel._
    rows = await PanelMember.select(
        panel.id.as_alias("panel_id"), panel.name.as_alias("name"), panel.due_at.as_alias("due_at"),
        panel.status.as_alias("status"), panel.program._.title.as_alias("program_title"),
        panel.program._.timezone.as_alias("program_timezone"), PanelMember.capacity,
    ).where(PanelMember.user == user_id)
    panels = [PanelMembership(**r) for r in rows]
    panels.sort(key=lambda p: (p.due_at is None, p.due_at and clock.as_utc(p.due_at), p.panel_id))
    return panels


async def list_members(panel_id: int, program_id: int) -> list[MemberRow]:
    """The panel's members by name, each with `load` (applications assigned in the program) and `submitted`
    (reviews submitted). Two queries."""
    members = await PanelMember.select(
        PanelMember.user, PanelMember.user._.name.as_alias("name"), PanelMember.user._.email.as_alias("email"),
        PanelMember.capacity, PanelMember.expertise, PanelMember.home_city, PanelMember.joined_at,
    ).where(PanelMember.panel == panel_id)
    assignments = await Assignment.select(Assignment.reviewer, Assignment.status).where(
        (Assignment.application._.program == program_id)
        & Assignment.reviewer.is_in([m["user"] for m in members] or [0])
    )
    rows = []
    for m in members:
        mine = [a for a in assignments if a["reviewer"] == m["user"]]
        rows.append(MemberRow(**m, load=len(mine), submitted=sum(a["status"] == "submitted" for a in mine)))
    rows.sort(key=lambda m: (m.name.lower(), m.user))
    return rows


async def member_ids(panel_id: int) -> list[int]:
    rows = await PanelMember.select(PanelMember.user).where(PanelMember.panel == panel_id)
    return [r["user"] for r in rows]


async def list_pending_invitations(program_id: int) -> list[PendingInvitation]:
    """Reviewer invitations to the program not yet accepted and not expired, newest first."""
    rows = await Invitation.select(Invitation.id, Invitation.email, Invitation.created_at, Invitation.expires_at).where(
        (Invitation.program_id == program_id) & (Invitation.role == "reviewer") & Invitation.accepted_at.is_null()
        & (Invitation.expires_at > clock.now())
    ).order_by(Invitation.id, ascending=False)
    return [PendingInvitation(**r) for r in rows]


async def get_pending_invitation(program_id: int, invitation_id: int) -> str:
    """The address of a pending reviewer invitation of the program; NotFound otherwise (including another
    program's)."""
    row = await Invitation.select(Invitation.email).where(
        (Invitation.id == invitation_id) & (Invitation.program_id == program_id) & (Invitation.role == "reviewer")
        & Invitation.accepted_at.is_null() & (Invitation.expires_at > clock.now())
    ).first()
    if row is None:
        raise NotFound()
    email: str = row["email"]
    return email


async def rubric_locked(program_id: int) -> bool:
    """Scoring has started: some review of the program's applications holds a score (drafts included)."""
    return bool(await Score.exists().where(Score.assignment._.application._.program == program_id))


async def list_criteria(program_id: int) -> list[CriterionRow]:
    return await queries.list_criteria(program_id)


async def get_criterion(program_id: int, criterion_id: int) -> CriterionRow:
    row = await Criterion.select().where((Criterion.id == criterion_id) & (Criterion.program == program_id)).first()
    if row is None:
        raise NotFound()
    return cast(CriterionRow, row)  # Criterion.select(): exactly CriterionRow's columns


async def list_panel_applications(program_id: int) -> list[PanelApplication]:
    """The panel's applications (the program's, submitted or later) with their city, by city name."""
    rows = await Application.select(
        Application.id, Application.title, Application.status,
        Application.organisation._.name.as_alias("organisation_name"),
        Application.organisation._.state.as_alias("organisation_state"),
    ).where((Application.program == program_id) & Application.status.is_in(list(REVIEWABLE_STATUSES)))
    applications = [PanelApplication(**r) for r in rows]
    applications.sort(key=lambda a: (a.organisation_name.lower(), a.id))
    return applications


async def list_applications_for_member(panel: PanelDetail, reviewer_id: int) -> list[MemberApplication]:
    """What one member bids on: the panel's applications except those they are conflicted on (those are left
    out altogether: the reviewer must not learn that an application from their own city exists), each with
    the member's preference and whether they are assigned. Blind panels: the city is not given (the caller
    shows the title only). Five queries with the conflict check."""
    rows = await list_panel_applications(panel.program)
    found = await conflicts.conflicts([r.id for r in rows], [reviewer_id])
    rows = [r for r in rows if (r.id, reviewer_id) not in found]
    ids = [r.id for r in rows] or [0]
    levels = await ReviewPreference.select(ReviewPreference.application, ReviewPreference.level).where(
        (ReviewPreference.reviewer == reviewer_id) & ReviewPreference.application.is_in(ids)
    )
    assigned = await Assignment.select(Assignment.application, Assignment.status).where(
        (Assignment.reviewer == reviewer_id) & Assignment.application.is_in(ids)
    )
    by_app = {p["application"]: p["level"] for p in levels}
    status = {a["application"]: a["status"] for a in assigned}
    # A blind panel's titles are the blind ones (no city name, no identifying answer in them).
    titles = await blinding.titles_for_reviewers(r.id for r in rows) if panel.blind else {}
    result = [MemberApplication(id=r.id, title=titles.get(r.id) or r.title or "Untitled application",
                                preference=by_app.get(r.id, ""), assignment=status.get(r.id, ""),
                                city=None if panel.blind else r.city)
              for r in rows]
    if panel.blind:
        result.sort(key=lambda r: (r.title.lower(), r.id))
    return result


async def list_declared_conflicts(program_id: int) -> list[DeclaredConflict]:
    """Conflicts declared by reviewers or recorded by staff on the program's applications, newest first."""
    application = ReviewConflict.application._
    rows = await ReviewConflict.select(
        ReviewConflict.id, ReviewConflict.source, ReviewConflict.reason, ReviewConflict.declared_at,
        ReviewConflict.reviewer._.name.as_alias("reviewer_name"), application.title.as_alias("application_title"),
        application.organisation._.name.as_alias("organisation_name"),
    ).where(application.program == program_id).order_by(ReviewConflict.declared_at, ascending=False)
    return [DeclaredConflict(**r) for r in rows]
