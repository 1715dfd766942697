"""Panel assignment state changes: compute a proposal, adjust it by hand, publish it. Each says what it writes.

The proposal lives in review_panel.proposal until it is published: {"pairs": [[application, reviewer], ...],
"unfilled": [{"application": id, "missing": n, "reason": "..."}], "computed_at": iso}. Publishing turns its
pairs into review_assignment rows in one transaction and empties it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from portal.accounts.tables import User
from portal.core import audit, clock
from portal.core.actor import Actor
from portal.core.errors import Conflict, Invalid, NotFound
from portal.core.mail import queue_email
from portal.db import current_engine, write_transaction
from portal.programs.tables import Program
from portal.reviews.assignment import solver
from portal.reviews.assignment import queries as aq
from portal.reviews.conflicts import queries as conflict_rules
from portal.reviews.records import PanelRecord, Proposal, UnfilledEntry
from portal.reviews.tables import Assignment, PanelMember, ReviewPanel

INSERT_CHUNK = 500  # rows per INSERT: within both engines' bound-parameter limits


async def _lock_panel(panel_id: int) -> PanelRecord:
    """The panel row, re-read inside the write transaction (locked FOR UPDATE on PostgreSQL; SQLite's write
    transaction already holds the database)."""
    from piccolo.engine.postgres import PostgresEngine

    if isinstance(current_engine(), PostgresEngine):
        await ReviewPanel.raw("SELECT id FROM review_panel WHERE id = {} FOR UPDATE", panel_id)
    row = await ReviewPanel.select().where(ReviewPanel.id == panel_id).output(load_json=True).first()
    if row is None:
        raise NotFound()
    return PanelRecord.of(row)


def _unfilled_entries(result: solver.Assignment, k: int) -> list[UnfilledEntry]:
    return [{"application": u.application_id, "missing": k - u.assigned, "reason": u.reason} for u in result.unfilled]


async def compute_proposal(actor: Actor, panel: PanelRecord) -> Proposal:
    """Run the solver over the panel's applications and members and store the result as the proposal.

    k is the panel's reviews per application; capacities and expertise from panel_member; conflicts (found and
    declared) are never proposed; preferences from review_preference; existing assignments count toward k and
    load and are never proposed again. The solver runs in a worker thread (about 3 s for 2,000 × 150).
    Writes: review_panel.proposal; audit `panel.assignment_computed`. Returns the stored proposal.
    """
    inputs = await aq.load_inputs(panel)
    k = panel.reviews_per_application
    reviewers = [solver.Reviewer(m.user, max(0, m.capacity)) for m in inputs.members]
    result = await asyncio.to_thread(
        solver.assign, inputs.application_ids, reviewers, max(0, k), set(inputs.conflicts), inputs.preferences,
        inputs.expert_pairs, inputs.existing_pairs,
    )
    proposal: Proposal = {"pairs": [[a, r] for a, r in result.pairs], "unfilled": _unfilled_entries(result, k),
                          "computed_at": clock.now().isoformat()}
    async with write_transaction():
        await _lock_panel(panel.id)
        await ReviewPanel.update({ReviewPanel.proposal: proposal}).where(ReviewPanel.id == panel.id)
        await audit.record(actor, "panel.assignment_computed", "review_panel", panel.id,
                           pairs=len(result.pairs), unfilled=len(result.unfilled), pair_cost=result.total_cost)
    return proposal


def _update_unfilled(proposal: Proposal, application_id: int, missing: int, reason: str) -> None:
    entries = [u for u in proposal.get("unfilled", []) if int(u["application"]) != application_id]
    if missing > 0:
        old = next((u for u in proposal.get("unfilled", []) if int(u["application"]) == application_id), None)
        entries.append({"application": application_id, "missing": missing,
                        "reason": old["reason"] if old else reason})
    proposal["unfilled"] = sorted(entries, key=lambda u: int(u["application"]))


async def _pair_context(panel: PanelRecord, application_id: int, reviewer_id: int) -> tuple[str, int]:
    """What a hand edit checks: the application is the panel's, the reviewer a member of it. Returns the
    reviewer's name and capacity."""
    if application_id not in await aq.panel_application_ids(panel.program):
        raise Invalid({"application": "Choose an application of this panel (submitted or later)."})
    member = await PanelMember.select(PanelMember.capacity, PanelMember.user._.name.as_alias("name")).where(
        (PanelMember.panel == panel.id) & (PanelMember.user == reviewer_id)).first()
    if member is None:
        raise Invalid({"reviewer": "Choose a reviewer who is a member of this panel."})
    return member["name"], member["capacity"]


@dataclass
class Edit:
    warning: str = ""
    notices: list[str] = field(default_factory=list)


async def add_pair(actor: Actor, panel_id: int, application_id: int, reviewer_id: int) -> Edit:
    """Add one pair to the proposal by hand.

    Refuses (Invalid) an application not on the panel, a reviewer not a member, a conflicted pair, and a pair
    already assigned or already proposed. Going over the reviewer's capacity is allowed, with a warning.
    Writes: review_panel.proposal; audit `panel.assignment_pair_added`.
    """
    async with write_transaction():
        panel = await _lock_panel(panel_id)
        proposal = aq.proposal_of(panel)
        if not proposal.get("computed_at"):
            raise Invalid({"application": "Compute a proposal first; published assignments are added on the "
                                          "application's page."})
        name, capacity = await _pair_context(panel, application_id, reviewer_id)
        reason = await conflict_rules.conflict_reason(reviewer_id, application_id)
        if reason:
            raise Invalid({"reviewer": f"{name} has a conflict of interest with this application "
                                       f"({reason}) and cannot be assigned to it."})
        pairs = aq.proposal_pairs(panel)
        if (application_id, reviewer_id) in pairs or await Assignment.exists().where(
                (Assignment.application == application_id) & (Assignment.reviewer == reviewer_id)):
            raise Invalid({"reviewer": f"{name} is already assigned or proposed for this application."})
        pairs.append((application_id, reviewer_id))
        proposal["pairs"] = [[a, r] for a, r in sorted(pairs)]
        existing = await Assignment.select(Assignment.application, Assignment.reviewer).where(
            (Assignment.application._.program == panel.program)
            & ((Assignment.application == application_id) | (Assignment.reviewer == reviewer_id)))
        k = panel.reviews_per_application
        have = sum(1 for e in existing if e["application"] == application_id) + sum(
            1 for a, _ in pairs if a == application_id)
        _update_unfilled(proposal, application_id, k - have, "")
        load = sum(1 for e in existing if e["reviewer"] == reviewer_id) + sum(1 for _, r in pairs if r == reviewer_id)
        await ReviewPanel.update({ReviewPanel.proposal: proposal}).where(ReviewPanel.id == panel_id)
        await audit.record(actor, "panel.assignment_pair_added", "review_panel", panel_id,
                           application_id=application_id, reviewer_id=reviewer_id)
    edit = Edit()
    if load > capacity:
        edit.warning = f"{name} now has {load} applications, more than their capacity of {capacity}."
    return edit


async def remove_pair(actor: Actor, panel_id: int, application_id: int, reviewer_id: int) -> None:
    """Take one proposed pair out of the proposal (published assignments are removed on the application page).
    Raises Invalid if the pair is not proposed. Writes: review_panel.proposal; audit
    `panel.assignment_pair_removed`."""
    async with write_transaction():
        panel = await _lock_panel(panel_id)
        proposal = aq.proposal_of(panel)
        pairs = aq.proposal_pairs(panel)
        if (application_id, reviewer_id) not in pairs:
            raise Invalid({"pair": "That pair is not in the proposal."})
        pairs.remove((application_id, reviewer_id))
        proposal["pairs"] = [[a, r] for a, r in pairs]
        have = await Assignment.count().where(Assignment.application == application_id) + sum(
            1 for a, _ in pairs if a == application_id)
        _update_unfilled(proposal, application_id, panel.reviews_per_application - have,
                         "A proposed reviewer was removed by hand.")
        await ReviewPanel.update({ReviewPanel.proposal: proposal}).where(ReviewPanel.id == panel_id)
        await audit.record(actor, "panel.assignment_pair_removed", "review_panel", panel_id,
                           application_id=application_id, reviewer_id=reviewer_id)


@dataclass
class Published:
    done: bool = False  # False when there was nothing to publish
    created: int = 0
    reviewers: int = 0
    skipped: list[dict[str, object]] = field(default_factory=list)  # {"application", "reviewer", "reason"}


async def publish_proposal(actor: Actor, panel_id: int, public_url: str) -> Published:
    """Turn the proposal into assignments, in one transaction.

    Pairs that became conflicted since the proposal was computed, whose reviewer left the panel, whose
    application is no longer the panel's, or that are already assigned are skipped (and reported). Publishing
    an empty or already published proposal does nothing, so a double click never duplicates (the unique index
    on (application, reviewer) backs that up).
    Writes: review_assignment rows; review_panel.proposal emptied and published_at set; audit
    `panel.assignment_published`; one email `reviews_published` to each reviewer with new assignments (how
    many, and the due date).
    """
    outcome = Published()
    async with write_transaction():
        panel = await _lock_panel(panel_id)
        pairs = aq.proposal_pairs(panel)
        if not aq.proposal_of(panel).get("computed_at"):
            return outcome
        applications = await aq.panel_application_ids(panel.program)
        members = {r["user"] for r in await PanelMember.select(PanelMember.user).where(PanelMember.panel == panel_id)}
        found = await conflict_rules.conflicts({a for a, _ in pairs}, {r for _, r in pairs})
        existing = {(e["application"], e["reviewer"]) for e in await Assignment.select(
            Assignment.application, Assignment.reviewer).where(Assignment.application._.program == panel.program)}
        now = clock.now()
        rows: list[Assignment] = []
        per_reviewer: dict[int, int] = {}
        for a, r in pairs:
            reason = ("conflict of interest: " + found[(a, r)] if (a, r) in found
                      else "no longer a member of the panel" if r not in members
                      else "the application is no longer on the panel" if a not in applications
                      else "already assigned" if (a, r) in existing else "")
            if reason:
                outcome.skipped.append({"application": a, "reviewer": r, "reason": reason})
                continue
            existing.add((a, r))
            rows.append(Assignment(application=a, reviewer=r, assigned_by=actor.user_id, assigned_at=now))
            per_reviewer[r] = per_reviewer.get(r, 0) + 1
        for start in range(0, len(rows), INSERT_CHUNK):
            await Assignment.insert(*rows[start:start + INSERT_CHUNK])
        await ReviewPanel.update({ReviewPanel.proposal: {}, ReviewPanel.published_at: now}).where(
            ReviewPanel.id == panel_id)
        await audit.record(actor, "panel.assignment_published", "review_panel", panel_id, created=len(rows),
                           reviewers=len(per_reviewer), skipped=outcome.skipped[:200])
        if per_reviewer:
            program = await Program.select(Program.title, Program.timezone).where(
                Program.id == panel.program).first()
            users = await User.select(User.id, User.name, User.email).where(User.id.is_in(sorted(per_reviewer)))
            for user in users:
                await queue_email(user["email"], "reviews_published", {
                    "name": user["name"], "count": per_reviewer[user["id"]], "program": program,
                    "due_at": panel.due_at, "link": f"{public_url}/reviews",
                }, program=panel.program)
    outcome.done = True
    outcome.created = len(rows)
    outcome.reviewers = len(per_reviewer)
    return outcome
