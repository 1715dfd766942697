"""State changes of the panel meeting: the not-discussed share, pulling an application back into discussion,
consensus per application, and finalising the panel ranking (the rules: rules.py). Each says what it writes;
each runs in one write transaction with its audit row."""

from __future__ import annotations

from piccolo.columns import Column

from portal.core import audit, clock
from portal.core.actor import Actor
from portal.db import write_transaction
from portal.reviews.meetings.forms import Consensus
from portal.reviews.meetings.queries import outcomes_of
from portal.reviews.meetings.rules import bottom_share, discussion_order, final_order
from portal.reviews.ranking.rules import Ranking
from portal.reviews.records import FinalEntry, PanelOutcomeRecord
from portal.reviews.tables import PanelOutcome, ReviewPanel


async def _outcome_row(panel_id: int, application_id: int) -> PanelOutcomeRecord | None:
    row = await PanelOutcome.select().where(
        (PanelOutcome.panel == panel_id) & (PanelOutcome.application == application_id)).first()
    return PanelOutcomeRecord.of(row) if row is not None else None


async def _upsert(panel_id: int, application_id: int, actor: Actor, values: dict[Column, object]) -> None:
    stamped: dict[Column, object] = {PanelOutcome.updated_by: actor.user_id, PanelOutcome.updated_at: clock.now()}
    stamped.update(values)
    if await _outcome_row(panel_id, application_id) is None:
        data: dict[Column, object] = {PanelOutcome.panel: panel_id, PanelOutcome.application: application_id}
        data.update(stamped)
        await PanelOutcome.insert(PanelOutcome(_data=data))
    else:
        changes: dict[Column | str, object] = {}
        for column, value in stamped.items():
            changes[column] = value
        await PanelOutcome.update(changes).where(
            (PanelOutcome.panel == panel_id) & (PanelOutcome.application == application_id))


async def set_not_discussed_share(actor: Actor, panel_id: int, percent: int, ranking: Ranking) -> list[int]:
    """Save the panel's not-discussed share and apply it (NOT_DISCUSSED_RULE) to the ranking given.

    Writes: review_panel.not_discussed_percent; panel_outcome rows (status not_discussed for the bottom share's
    pending applications, pending again for not-discussed ones that left it); one audit row
    (panel.not_discussed_share). Returns the ids marked not discussed."""
    share = set(bottom_share([r.id for r in ranking.scored], percent))
    async with write_transaction():
        await ReviewPanel.update({ReviewPanel.not_discussed_percent: percent}).where(ReviewPanel.id == panel_id)
        outcomes = await outcomes_of(panel_id)
        marked = []
        for application_id in sorted(share | set(outcomes)):
            outcome = outcomes.get(application_id)
            status = outcome.status if outcome is not None else "pending"
            if application_id in share and status == "pending":
                await _upsert(panel_id, application_id, actor, {PanelOutcome.status: "not_discussed"})
            elif application_id not in share and status == "not_discussed":
                await _upsert(panel_id, application_id, actor, {PanelOutcome.status: "pending"})
            if application_id in share and status in ("pending", "not_discussed"):
                marked.append(application_id)
        await audit.record(actor, "panel.not_discussed_share", "review_panel", panel_id, percent=percent,
                           not_discussed=marked)
    return marked


async def pull_back(actor: Actor, panel_id: int, application_id: int) -> None:
    """Bring a not-discussed application back into discussion (nothing happens to any other).

    Writes: its panel_outcome status (pulled_back, which the share leaves alone); one audit row
    (panel.pulled_back)."""
    async with write_transaction():
        current = await _outcome_row(panel_id, application_id)
        if current is None or current.status != "not_discussed":
            return
        await _upsert(panel_id, application_id, actor, {PanelOutcome.status: "pulled_back"})
        await audit.record(actor, "panel.pulled_back", "application", application_id, panel=panel_id)


async def record_consensus(actor: Actor, panel_id: int, application_id: int, values: Consensus) -> None:
    """Save the consensus score, note and minority view of one application; with `discussed`, mark it discussed.

    Writes: its panel_outcome row; one audit row (panel.consensus) with the score and whether discussed."""
    columns: dict[Column, object] = {PanelOutcome.consensus_score: values["score"],
                                     PanelOutcome.consensus_note: values["note"],
                                     PanelOutcome.minority_view: values["minority"]}
    if values["discussed"]:
        columns[PanelOutcome.status] = "discussed"
    async with write_transaction():
        await _upsert(panel_id, application_id, actor, columns)
        await audit.record(actor, "panel.consensus", "application", application_id, panel=panel_id,
                           consensus_score=values["score"], discussed=values["discussed"])


async def finalise_ranking(actor: Actor, panel_id: int, ranking: Ranking) -> list[FinalEntry]:
    """Save the final panel ranking (FINAL_RULE) as panel_outcome.final_rank, and the discussion order as
    discussion_position.

    Writes: panel_outcome rows of every application in the ranking (final_rank None for those without a final
    score); one audit row (panel.ranking_finalised) with the order. Returns the final order."""
    async with write_transaction():
        outcomes = await outcomes_of(panel_id)
        order = final_order(ranking.rows, outcomes, ranking.scale)
        ranks = {e.id: e.rank for e in order}
        positions = {app_id: i for i, app_id in enumerate(
            discussion_order(ranking.rows, {k: v.status for k, v in outcomes.items()}), start=1)}
        now = clock.now()
        missing = []
        for row in ranking.rows:
            rank, position = ranks.get(row.id), positions.get(row.id)
            existing = outcomes.get(row.id)
            if existing is None:
                missing.append(PanelOutcome(panel=panel_id, application=row.id, final_rank=rank,
                                            discussion_position=position, updated_by=actor.user_id, updated_at=now))
            elif (existing.final_rank, existing.discussion_position) != (rank, position):
                await PanelOutcome.update({PanelOutcome.final_rank: rank, PanelOutcome.discussion_position: position,
                                           PanelOutcome.updated_by: actor.user_id, PanelOutcome.updated_at: now}
                                          ).where(PanelOutcome.id == existing.id)
        if missing:
            await PanelOutcome.insert(*missing)
        await audit.record(actor, "panel.ranking_finalised", "review_panel", panel_id,
                           order=[[e.id, e.rank, e.basis] for e in order])
    return order
