"""State changes of review panels: the panel's settings, its members, the rubric, reviewers' preferences and
declared conflicts. Each function says what it writes; each runs in one write transaction.

The rubric (the program's criteria) is locked once scoring has started: any review_score row for one of the
program's assignments. Every rubric change checks that inside its transaction and raises Conflict.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

from portal.accounts import hooks as accounts_hooks
from portal.accounts import services as accounts
from portal.accounts.tables import Invitation, User
from portal.applications.tables import Application
from portal.core import audit, clock
from portal.core.actor import Actor
from portal.core.errors import Conflict, Invalid, NotFound
from portal.core.mail import queue_email
from portal.db import Duplicate, write_transaction
from portal.programs.records import ProgramRecord
from portal.programs.tables import Criterion, ProgramRole
from portal.reviews.panels import queries
from portal.reviews.records import ApplicationSummary, PanelDetail
from portal.reviews.conflicts.queries import is_conflicted
from portal.reviews.queries import REVIEWABLE_STATUSES
from portal.reviews.tables import (
    Assignment,
    PanelMember,
    ReviewConflict,
    ReviewPanel,
    ReviewPreference,
    Score,
)

RUBRIC_LOCKED = ("The rubric is locked: scoring has started on this program's applications, and changing the "
                 "criteria now would make the scores already given mean something else.")

_SETTINGS = ("name", "due_at", "blind", "reviews_per_application", "overall_threshold", "ask_recommendation")


# ---------------------------------------------------------------------------------------------------------
# The panel


async def create_panel(actor: Actor, program_id: int, values: dict[str, Any]) -> int:
    """Create the program's review panel (a program has at most one) from `forms.panel_settings` values.
    The program's reviewers (program_role reviewer) join it as members with the default capacity.
    Writes: review_panel; a panel_member per existing reviewer; audit `panel.created`.
    Raises Conflict if the program has a panel already."""
    try:
        async with write_transaction():
            rows = await ReviewPanel.insert(ReviewPanel(
                program=program_id, created_by=actor.user_id, created_at=clock.now(),
                **{k: values[k] for k in _SETTINGS},
            )).returning(ReviewPanel.id)
            panel_id: int = rows[0]["id"]
            reviewers = await ProgramRole.select(ProgramRole.user).where(
                (ProgramRole.program == program_id) & (ProgramRole.role == "reviewer"))
            if reviewers:
                await PanelMember.insert(*[PanelMember(panel=panel_id, user=r["user"], joined_at=clock.now())
                                           for r in reviewers])
            await audit.record(actor, "panel.created", "review_panel", panel_id, program_id=program_id,
                               members=len(reviewers), **_auditable(values))
    except Duplicate:
        raise Conflict("This program has a review panel already.")
    return panel_id


async def update_panel(actor: Actor, panel_id: int, values: dict[str, Any]) -> None:
    """Change the panel's settings. Writes: review_panel; audit `panel.updated` with the new values."""
    async with write_transaction():
        updated = await ReviewPanel.update({getattr(ReviewPanel, k): values[k] for k in _SETTINGS}).where(
            ReviewPanel.id == panel_id).returning(ReviewPanel.id)
        if not updated:
            raise NotFound()
        await audit.record(actor, "panel.updated", "review_panel", panel_id, **_auditable(values))


async def set_panel_open(actor: Actor, panel_id: int, is_open: bool) -> bool:
    """Close the panel (reviews can no longer be saved, submitted or revised; submitted ones stay as they are)
    or reopen it. Returns False when it was already so (nothing written).
    Writes: review_panel status and closed_at; audit `panel.closed` or `panel.reopened`."""
    status, other = ("open", "closed") if is_open else ("closed", "open")
    async with write_transaction():
        changed = await ReviewPanel.update({ReviewPanel.status: status,
                                            ReviewPanel.closed_at: None if is_open else clock.now()}).where(
            (ReviewPanel.id == panel_id) & (ReviewPanel.status == other)).returning(ReviewPanel.id)
        if changed:
            await audit.record(actor, "panel.reopened" if is_open else "panel.closed", "review_panel", panel_id)
    return bool(changed)


def _auditable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (values[k].isoformat() if k == "due_at" and values[k] else values[k]) for k in _SETTINGS}


# ---------------------------------------------------------------------------------------------------------
# Members and invitations


def _invitation_context(program: ProgramRecord, panel: PanelDetail | None) -> dict[str, Any]:
    context: dict[str, Any] = {"program_title": program.title}
    if panel is not None:
        context |= {"panel_name": panel.name, "due_at": panel.due_at, "timezone": program.timezone}
    return context


async def invite_reviewer(actor: Actor, program: ProgramRecord, email: str, public_url: str) -> int:
    """Invite `email` to review on the program's panel. Writes (through accounts.services.invite): invitation;
    audit `invitation.sent`; email `invitation` naming the panel and its due date."""
    panel = await queries.get_panel_of_program(program.id)
    return await accounts.invite(actor, email, "reviewer", public_url, program_id=program.id,
                                 context=_invitation_context(program, panel))


async def resend_invitation(actor: Actor, program: ProgramRecord, invitation_id: int, public_url: str) -> int:
    """Send a pending invitation again with a new link (the old link stops working: only a hash of each link
    is stored, so the old one cannot be re-sent). Writes: the old invitation expired; a new invitation;
    audits `invitation.revoked` and `invitation.sent`; email `invitation`."""
    async with write_transaction():
        email = await queries.get_pending_invitation(program.id, invitation_id)
        await Invitation.update({Invitation.expires_at: clock.now()}).where(Invitation.id == invitation_id)
        await audit.record(actor, "invitation.revoked", "invitation", invitation_id, resent=True)
        return await invite_reviewer(actor, program, email, public_url)


async def revoke_invitation(actor: Actor, program_id: int, invitation_id: int) -> str:
    """Withdraw a pending invitation: its link stops working. Returns the address.
    Writes: invitation expires_at (now); audit `invitation.revoked`."""
    async with write_transaction():
        email = await queries.get_pending_invitation(program_id, invitation_id)
        await Invitation.update({Invitation.expires_at: clock.now()}).where(Invitation.id == invitation_id)
        await audit.record(actor, "invitation.revoked", "invitation", invitation_id, email=email)
    return email


@accounts_hooks.on_reviewer_joined
async def join_panel_of_program(actor: Actor, program_id: int, user_id: int) -> int | None:
    """Called as a reviewer invitation is accepted (accounts.services.accept_invitation, inside its
    transaction, through the hook in accounts/hooks.py): the new reviewer joins the program's panel, if it has
    one. Returns the panel id, or None.
    Writes: panel_member (once; capacity and expertise set afterwards by the reviewer); audit `panel.joined`."""
    async with write_transaction():
        row = await ReviewPanel.select(ReviewPanel.id).where(ReviewPanel.program == program_id).first()
        if row is None:
            return None
        panel_id: int = row["id"]
        if not await queries.is_member(panel_id, user_id):
            await PanelMember.insert(PanelMember(panel=panel_id, user=user_id, joined_at=clock.now()))
            await audit.record(actor, "panel.joined", "review_panel", panel_id, user_id=user_id)
    return panel_id


async def set_member_profile(actor: Actor, panel_id: int, user_id: int, values: dict[str, Any]) -> None:
    """A member's capacity and expertise (and home city, when the reviewer gives it: the conflict checks read
    it). Writes: panel_member; audit `panel.member_updated`. NotFound if not a member."""
    columns = {getattr(PanelMember, k): v for k, v in values.items() if k in ("capacity", "expertise", "home_city")}
    async with write_transaction():
        updated = await PanelMember.update(columns).where(
            (PanelMember.panel == panel_id) & (PanelMember.user == user_id)).returning(PanelMember.id)
        if not updated:
            raise NotFound()
        await audit.record(actor, "panel.member_updated", "review_panel", panel_id, user_id=user_id, **values)


async def remove_member(actor: Actor, panel_id: int, program_id: int, user_id: int) -> None:
    """Take a reviewer off the panel, while none of their reviews in the program is submitted.
    Writes: deletes panel_member, the reviewer's program_role, their unsubmitted assignments (with draft
    scores) and their preferences in the program; audit `panel.member_removed`.
    Raises Conflict if they submitted a review (it counts: staff keep it), NotFound if not a member."""
    async with write_transaction():
        if not await queries.is_member(panel_id, user_id):
            raise NotFound()
        mine = await Assignment.select(Assignment.id, Assignment.status).where(
            (Assignment.reviewer == user_id) & (Assignment.application.program == program_id))
        if any(a["status"] == "submitted" for a in mine):
            raise Conflict("This reviewer has submitted reviews on this panel, so they stay on it.")
        open_ids = [a["id"] for a in mine]
        if open_ids:
            await Score.delete().where(Score.assignment.is_in(open_ids))
            await Assignment.delete().where(Assignment.id.is_in(open_ids) & (Assignment.status == "assigned"))
        app_ids = await Application.select(Application.id).where(Application.program == program_id).output(as_list=True)
        if app_ids:
            await ReviewPreference.delete().where((ReviewPreference.reviewer == user_id)
                                                  & ReviewPreference.application.is_in(app_ids))
        await PanelMember.delete().where((PanelMember.panel == panel_id) & (PanelMember.user == user_id))
        await ProgramRole.delete().where((ProgramRole.program == program_id) & (ProgramRole.user == user_id)
                                         & (ProgramRole.role == "reviewer"))
        await audit.record(actor, "panel.member_removed", "review_panel", panel_id, user_id=user_id,
                           assignments_removed=open_ids)


# ---------------------------------------------------------------------------------------------------------
# The rubric


@asynccontextmanager
async def _rubric_change() -> AsyncIterator[None]:
    """A write transaction for a rubric change: two staff adding or reordering at once collide on the unique
    (program, position), which is a Conflict to retry, not an error."""
    try:
        async with write_transaction():
            yield
    except Duplicate:
        raise Conflict("Someone else changed the rubric at the same moment. Reload the page and try again.")


async def _refuse_if_locked(program_id: int) -> None:
    if await queries.rubric_locked(program_id):
        raise Conflict(RUBRIC_LOCKED)


_CRITERION = ("name", "description", "weight", "threshold", "scale_min", "scale_max", "scale_step",
              "lower_is_better")


async def add_criterion(actor: Actor, program_id: int, values: dict[str, Any]) -> int:
    """Add a criterion at the end of the program's rubric. Writes: criterion; audit `rubric.criterion_added`.
    Raises Conflict once scoring has started."""
    async with _rubric_change():
        await _refuse_if_locked(program_id)
        last = await Criterion.select(Criterion.position).where(Criterion.program == program_id).order_by(
            Criterion.position, ascending=False).first()
        rows = await Criterion.insert(Criterion(program=program_id, position=(last["position"] if last else 0) + 1,
                                                **{k: values[k] for k in _CRITERION})).returning(Criterion.id)
        await audit.record(actor, "rubric.criterion_added", "criterion", rows[0]["id"], program_id=program_id,
                           **{k: values[k] for k in _CRITERION})
    criterion_id: int = rows[0]["id"]
    return criterion_id


async def update_criterion(actor: Actor, program_id: int, criterion_id: int, values: dict[str, Any]) -> None:
    """Change a criterion. Writes: criterion; audit `rubric.criterion_updated`. Conflict once scoring started."""
    async with write_transaction():
        await _refuse_if_locked(program_id)
        updated = await Criterion.update({getattr(Criterion, k): values[k] for k in _CRITERION}).where(
            (Criterion.id == criterion_id) & (Criterion.program == program_id)).returning(Criterion.id)
        if not updated:
            raise NotFound()
        await audit.record(actor, "rubric.criterion_updated", "criterion", criterion_id, program_id=program_id,
                           **{k: values[k] for k in _CRITERION})


async def remove_criterion(actor: Actor, program_id: int, criterion_id: int) -> None:
    """Remove a criterion; the ones after it move up. Writes: deletes the criterion, renumbers positions;
    audit `rubric.criterion_removed`. Conflict once scoring started."""
    async with _rubric_change():
        await _refuse_if_locked(program_id)
        row = await queries.get_criterion(program_id, criterion_id)
        await Criterion.delete().where(Criterion.id == criterion_id)
        later = await Criterion.select(Criterion.id, Criterion.position).where(
            (Criterion.program == program_id) & (Criterion.position > row["position"])).order_by(Criterion.position)
        for c in later:  # in increasing order, so each new position is free (unique per program)
            await Criterion.update({Criterion.position: c["position"] - 1}).where(Criterion.id == c["id"])
        await audit.record(actor, "rubric.criterion_removed", "criterion", criterion_id, program_id=program_id,
                           name=row["name"])


async def move_criterion(actor: Actor, program_id: int, criterion_id: int, direction: str) -> None:
    """Swap a criterion with its neighbour ("up" or "down"; nothing at either end).
    Writes: two criterion positions; audit `rubric.criterion_moved`. Conflict once scoring started."""
    async with _rubric_change():
        await _refuse_if_locked(program_id)
        row = await queries.get_criterion(program_id, criterion_id)
        up = direction == "up"
        neighbour = await Criterion.select(Criterion.id, Criterion.position).where(
            (Criterion.program == program_id)
            & ((Criterion.position < row["position"]) if up else (Criterion.position > row["position"]))
        ).order_by(Criterion.position, ascending=not up).first()
        if neighbour is None:
            return
        # (program, position) is unique: park one row on a free position while the other moves.
        await Criterion.update({Criterion.position: -1}).where(Criterion.id == criterion_id)
        await Criterion.update({Criterion.position: row["position"]}).where(Criterion.id == neighbour["id"])
        await Criterion.update({Criterion.position: neighbour["position"]}).where(Criterion.id == criterion_id)
        await audit.record(actor, "rubric.criterion_moved", "criterion", criterion_id, program_id=program_id,
                           direction=direction)


# ---------------------------------------------------------------------------------------------------------
# Preferences and conflicts


async def _panel_application(panel: PanelDetail, application_id: int) -> ApplicationSummary:
    """One of the panel's applications (its program's, submitted or later); NotFound otherwise."""
    row = await Application.select(Application.id, Application.title, Application.status).where(
        (Application.id == application_id) & (Application.program == panel.program)).first()
    if row is None or row["status"] not in REVIEWABLE_STATUSES:
        raise NotFound()
    return ApplicationSummary(**row)


async def set_preference(actor: Actor, panel: PanelDetail, reviewer_id: int, application_id: int,
                         level: str) -> None:
    """How keen a member is to review one of the panel's applications (eager | willing | not).
    Writes: review_preference (one per reviewer and application); audit `review.preference_set`.
    NotFound for an application outside the panel or one the reviewer is conflicted on; Conflict if the same
    reviewer's other request inserted it at the same moment."""
    try:
        async with write_transaction():
            await _panel_application(panel, application_id)
            if await is_conflicted(reviewer_id, application_id):
                raise NotFound()
            where = (ReviewPreference.application == application_id) & (ReviewPreference.reviewer == reviewer_id)
            updated = await ReviewPreference.update({ReviewPreference.level: level,
                                                     ReviewPreference.updated_at: clock.now()}).where(
                where).returning(ReviewPreference.id)
            if not updated:
                await ReviewPreference.insert(ReviewPreference(application=application_id, reviewer=reviewer_id,
                                                               level=level, updated_at=clock.now()))
            await audit.record(actor, "review.preference_set", "application", application_id,
                               reviewer_id=reviewer_id, level=level)
    except Duplicate:
        raise Conflict("Your preference was saved from another tab at the same moment. Reload and try again.")


async def declare_conflict(actor: Actor, panel: PanelDetail, reviewer_id: int, application_id: int,
                           reason: str, source: str, public_url: str) -> bool:
    """Record a conflict of interest between a panel member and one of the panel's applications, declared by
    the reviewer (`source` "reviewer") or recorded by staff ("staff"). From then on the reviewer is never
    assigned to it and does not see it (portal/reviews/conflicts/queries.py). If they are assigned and have not
    submitted, the assignment goes. Returns whether an assignment was removed.

    Writes: review_conflict; deletes the unsubmitted assignment and its draft scores; audit
    `review.conflict_declared` (and `review.unassigned` for a removed assignment); when the reviewer declares
    it, email `conflict_declared` to the program's contact address (if it has one).
    Raises Conflict if one is already recorded by staff; NotFound for an application outside the panel, or,
    to a reviewer, one they are already conflicted on (it is not listed for them)."""
    try:
        async with write_transaction():
            application = await _panel_application(panel, application_id)
            if source == "reviewer" and await is_conflicted(reviewer_id, application_id):
                raise NotFound()  # not listed for them, so as far as they know it does not exist
            reviewer = await User.select(User.name, User.email).where(User.id == reviewer_id).first()
            if reviewer is None or not await queries.is_member(panel.id, reviewer_id):
                raise Invalid({"reviewer": "Choose a member of the panel."})
            rows = await ReviewConflict.insert(ReviewConflict(
                application=application_id, reviewer=reviewer_id, source=source, reason=reason,
                declared_by=actor.user_id, declared_at=clock.now())).returning(ReviewConflict.id)
            assignment = await Assignment.select(Assignment.id, Assignment.status).where(
                (Assignment.application == application_id) & (Assignment.reviewer == reviewer_id)).first()
            removed = None
            if assignment is not None and assignment["status"] == "assigned":
                await Score.delete().where(Score.assignment == assignment["id"])
                await Assignment.delete().where((Assignment.id == assignment["id"]) & (Assignment.status == "assigned"))
                removed = assignment["id"]
                await audit.record(actor, "review.unassigned", "review_assignment", removed,
                                   application_id=application_id, reviewer_id=reviewer_id, reason="conflict of interest")
            await audit.record(actor, "review.conflict_declared", "application", application_id,
                               conflict_id=rows[0]["id"], reviewer_id=reviewer_id, source=source,
                               removed_assignment=removed)
            if source == "reviewer" and panel.program_contact_email:
                await queue_email(panel.program_contact_email, "conflict_declared", {
                    "reviewer": reviewer["name"], "panel_name": panel.name,
                    "program_title": panel.program_title,
                    "application_title": application.title or "Untitled application", "reason": reason,
                    "removed": removed is not None,
                    "link": f"{public_url}/staff/programs/{panel.program}/panel/members",
                }, program=panel.program, application=application_id)
    except Duplicate:
        raise Conflict("A conflict of interest is already recorded for this reviewer and application.")
    return removed is not None
