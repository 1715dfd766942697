"""The panel meeting (issue 4, "Panel meeting"): discussion order, the not-discussed share, consensus scores,
who is out of the room, and the final panel ranking that award decisions start from.

Rules, as the meeting page names them:

- Discussion order (DISCUSSION_ORDER): the scored applications by rank, except that disputed applications in
  the top half of the ranking (rank position ≤ ⌈N ÷ 2⌉ of the N scored) come first, by rank among themselves;
  then the other applications to discuss by rank; then the not-discussed ones by rank; unscored ones last.
- Not discussed (NOT_DISCUSSED_RULE): staff choose a share p (0–90 %); the bottom ⌊N × p ÷ 100⌋ scored
  applications of the ranking are marked "not discussed", unless staff pulled one back into discussion or it
  was already discussed. Saving the share again re-applies it: applications that left the bottom share are
  back to "pending".
- Final ranking (FINAL_RULE): by final score, the best first, where the final score is the consensus score
  when the panel recorded one, else the calibrated mean; not-discussed applications come after every other
  one; ties share a rank (1, 2, 2, 4). Unscored applications without a consensus score get no final rank.

Outcome statuses (panel_outcome.status): pending | discussed | not_discussed | pulled_back (staff brought a
not-discussed application back into discussion; the share leaves it alone).
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Mapping

from portal.core import audit, clock
from portal.core.actor import Actor
from portal.db import write_transaction
from portal.reviews.conflicts.queries import conflicts
from portal.reviews.ranking.rules import RANK_PLACES, Ranking, Scale
from portal.reviews.tables import PanelMember, PanelOutcome, ReviewPanel

DISCUSSION_ORDER = ("Discussion order: disputed applications in the top half of the ranking first (by rank), "
                    "then the other applications to discuss by rank, then those not discussed, then unscored ones")
NOT_DISCUSSED_RULE = ("Not discussed: the bottom share of the scored applications chosen below (rounded down), "
                      "except those already discussed or pulled back into discussion")
FINAL_RULE = ("Final ranking: by the consensus score where the panel recorded one, otherwise by the calibrated "
              "mean; the best first; applications not discussed after all others; ties share a rank")
MAX_SHARE = 90
STATUS_LABELS = {"pending": "To discuss", "discussed": "Discussed", "not_discussed": "Not discussed",
                 "pulled_back": "To discuss (pulled back)"}


# --- pure rules ---------------------------------------------------------------------------------------------

def bottom_share(ranked_ids: list[int], percent: int) -> list[int]:
    """The last ⌊N × percent ÷ 100⌋ of `ranked_ids` (best first)."""
    count = len(ranked_ids) * max(0, min(MAX_SHARE, percent)) // 100
    return ranked_ids[len(ranked_ids) - count:] if count else []


def discussion_order(rows: list[dict[str, Any]], statuses: Mapping[int, str]) -> list[int]:
    """Application ids in discussion order (see DISCUSSION_ORDER); `rows` are the ranking's, best first."""
    scored = [r for r in rows if r["rank"] is not None]
    top_half = {r["id"] for r in scored[:math.ceil(len(scored) / 2)]}
    first = [r["id"] for r in scored if r["disputed"] and r["id"] in top_half
             and statuses.get(r["id"]) != "not_discussed"]
    rest = [r["id"] for r in scored if r["id"] not in first and statuses.get(r["id"]) != "not_discussed"]
    triaged = [r["id"] for r in scored if statuses.get(r["id"]) == "not_discussed"]
    unscored = [r["id"] for r in rows if r["rank"] is None]
    return first + rest + triaged + unscored


def final_order(rows: list[dict[str, Any]], outcomes: Mapping[int, Mapping[str, Any]],
                scale: Scale) -> list[dict[str, Any]]:
    """[{"id", "score", "basis" ("consensus" | "calibrated"), "not_discussed", "rank"}] best first (FINAL_RULE)."""
    entries = []
    for row in rows:
        outcome = outcomes.get(row["id"], {})
        consensus = outcome.get("consensus_score")
        if consensus is not None:
            score, basis = float(consensus), "consensus"
        elif row.get("calibrated") is not None:
            score, basis = float(row["calibrated"]), "calibrated"
        else:
            continue
        entries.append({"id": row["id"], "score": score, "basis": basis,
                        "not_discussed": outcome.get("status") == "not_discussed"})
    sign = 1 if scale.lower_is_better else -1
    entries.sort(key=lambda e: (e["not_discussed"], sign * round(e["score"], RANK_PLACES), e["id"]))
    previous, current = None, 0
    for position, entry in enumerate(entries, start=1):
        key = (entry["not_discussed"], round(entry["score"], RANK_PLACES))
        if key != previous:
            current, previous = position, key
        entry["rank"] = current
    return entries


# --- reading ------------------------------------------------------------------------------------------------

async def outcomes_of(panel_id: int) -> dict[int, dict[str, Any]]:
    rows = await PanelOutcome.select().where(PanelOutcome.panel == panel_id)
    return {r["application"]: r for r in rows}


async def out_of_room(panel_id: int, application_ids: Iterable[int]) -> dict[int, list[str]]:
    """Application id -> names of the panel's members conflicted on it (they leave the room for it)."""
    members = await PanelMember.select(PanelMember.user, PanelMember.user.name).where(PanelMember.panel == panel_id)
    names = {m["user"]: m["user.name"] for m in members}
    found = await conflicts(list(application_ids), list(names)) if names else {}
    result: dict[int, list[str]] = {}
    for (application_id, user_id) in sorted(found):
        result.setdefault(application_id, []).append(names[user_id])
    for listed in result.values():
        listed.sort()
    return result


async def final_ranking(program_id: int) -> list[dict[str, Any]]:
    """The finalised panel ranking of a program, best first: [{"application", "title", "final_rank",
    "consensus_score", "status"}]; empty until staff finalise it. Award decisions start from it."""
    rows = await PanelOutcome.select(
        PanelOutcome.application, PanelOutcome.application.title, PanelOutcome.final_rank,
        PanelOutcome.consensus_score, PanelOutcome.status,
    ).where((PanelOutcome.panel.program == program_id) & PanelOutcome.final_rank.is_not_null())
    rows.sort(key=lambda r: (r["final_rank"], r["application"]))
    return [{"application": r["application"], "title": r["application.title"], "final_rank": r["final_rank"],
             "consensus_score": r["consensus_score"], "status": r["status"]} for r in rows]


# --- writing ------------------------------------------------------------------------------------------------

async def _outcome_row(panel_id: int, application_id: int) -> dict[str, Any] | None:
    return await PanelOutcome.select().where(
        (PanelOutcome.panel == panel_id) & (PanelOutcome.application == application_id)).first()


async def _upsert(panel_id: int, application_id: int, actor: Actor, values: dict) -> None:
    stamp = {PanelOutcome.updated_by: actor.user_id, PanelOutcome.updated_at: clock.now()}
    if await _outcome_row(panel_id, application_id) is None:
        await PanelOutcome.insert(PanelOutcome(
            panel=panel_id, application=application_id, updated_by=actor.user_id, updated_at=clock.now(),
            **{column._meta.name: value for column, value in values.items()}))
    else:
        await PanelOutcome.update(values | stamp).where(
            (PanelOutcome.panel == panel_id) & (PanelOutcome.application == application_id))


async def set_not_discussed_share(actor: Actor, panel_id: int, percent: int, ranking: Ranking) -> list[int]:
    """Save the panel's not-discussed share and apply it (NOT_DISCUSSED_RULE) to the ranking given.

    Writes: review_panel.not_discussed_percent; panel_outcome rows (status not_discussed for the bottom share's
    pending applications, pending again for not-discussed ones that left it); one audit row
    (panel.not_discussed_share). Returns the ids marked not discussed."""
    share = set(bottom_share([r["id"] for r in ranking.scored], percent))
    async with write_transaction():
        await ReviewPanel.update({ReviewPanel.not_discussed_percent: percent}).where(ReviewPanel.id == panel_id)
        outcomes = await outcomes_of(panel_id)
        marked = []
        for application_id in sorted(share | set(outcomes)):
            status = outcomes.get(application_id, {}).get("status", "pending")
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
        if current is None or current["status"] != "not_discussed":
            return
        await _upsert(panel_id, application_id, actor, {PanelOutcome.status: "pulled_back"})
        await audit.record(actor, "panel.pulled_back", "application", application_id, panel=panel_id)


async def record_consensus(actor: Actor, panel_id: int, application_id: int, values: dict[str, Any]) -> None:
    """Save the consensus score, note and minority view of one application; with `discussed`, mark it discussed.

    Writes: its panel_outcome row; one audit row (panel.consensus) with the score and whether discussed."""
    columns: dict = {PanelOutcome.consensus_score: values["score"], PanelOutcome.consensus_note: values["note"],
                     PanelOutcome.minority_view: values["minority"]}
    if values["discussed"]:
        columns[PanelOutcome.status] = "discussed"
    async with write_transaction():
        await _upsert(panel_id, application_id, actor, columns)
        await audit.record(actor, "panel.consensus", "application", application_id, panel=panel_id,
                           consensus_score=values["score"], discussed=values["discussed"])


async def finalise_ranking(actor: Actor, panel_id: int, ranking: Ranking) -> list[dict[str, Any]]:
    """Save the final panel ranking (FINAL_RULE) as panel_outcome.final_rank, and the discussion order as
    discussion_position.

    Writes: panel_outcome rows of every application in the ranking (final_rank None for those without a final
    score); one audit row (panel.ranking_finalised) with the order. Returns the final order."""
    async with write_transaction():
        outcomes = await outcomes_of(panel_id)
        order = final_order(ranking.rows, outcomes, ranking.scale)
        ranks = {e["id"]: e["rank"] for e in order}
        positions = {app_id: i for i, app_id in enumerate(
            discussion_order(ranking.rows, {k: v["status"] for k, v in outcomes.items()}), start=1)}
        now = clock.now()
        missing = []
        for row in ranking.rows:
            rank, position = ranks.get(row["id"]), positions.get(row["id"])
            existing = outcomes.get(row["id"])
            if existing is None:
                missing.append(PanelOutcome(panel=panel_id, application=row["id"], final_rank=rank,
                                            discussion_position=position, updated_by=actor.user_id, updated_at=now))
            elif (existing["final_rank"], existing["discussion_position"]) != (rank, position):
                await PanelOutcome.update({PanelOutcome.final_rank: rank, PanelOutcome.discussion_position: position,
                                           PanelOutcome.updated_by: actor.user_id, PanelOutcome.updated_at: now}
                                          ).where(PanelOutcome.id == existing["id"])
        if missing:
            await PanelOutcome.insert(*missing)
        await audit.record(actor, "panel.ranking_finalised", "review_panel", panel_id,
                           order=[[e["id"], e["rank"], e["basis"]] for e in order])
    return order

