"""Reading the panel meeting: the outcome recorded per application, who leaves the room for which application
(conflicted members), and the finalised panel ranking that award decisions start from (rules.py says how)."""

from __future__ import annotations

from typing import Iterable

from portal.reviews.conflicts.queries import conflicts
from portal.reviews.records import FinalRank, PanelOutcomeRecord
from portal.reviews.tables import PanelMember, PanelOutcome


async def outcomes_of(panel_id: int) -> dict[int, PanelOutcomeRecord]:
    """Application id -> what the meeting recorded about it."""
    rows = await PanelOutcome.select().where(PanelOutcome.panel == panel_id)
    return {r["application"]: PanelOutcomeRecord.of(r) for r in rows}


async def out_of_room(panel_id: int, application_ids: Iterable[int]) -> dict[int, list[str]]:
    """Application id -> names of the panel's members conflicted on it (they leave the room for it)."""
    members = await PanelMember.select(PanelMember.user, PanelMember.user._.name).where(PanelMember.panel == panel_id)
    names: dict[int, str] = {m["user"]: m["user.name"] for m in members}
    found = await conflicts(list(application_ids), list(names)) if names else {}
    result: dict[int, list[str]] = {}
    for (application_id, user_id) in sorted(found):
        result.setdefault(application_id, []).append(names[user_id])
    for listed in result.values():
        listed.sort()
    return result


async def final_ranking(program_id: int) -> list[FinalRank]:
    """The finalised panel ranking of a program, best first; empty until staff finalise it. Award decisions
    start from it."""
    rows = await PanelOutcome.select(
        PanelOutcome.application, PanelOutcome.application._.title.as_alias("title"), PanelOutcome.final_rank,
        PanelOutcome.consensus_score, PanelOutcome.status,
    ).where((PanelOutcome.panel._.program == program_id) & PanelOutcome.final_rank.is_not_null())
    ranking = [FinalRank(**r) for r in rows]
    ranking.sort(key=lambda r: (r.final_rank, r.application))
    return ranking
