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

This module holds the rules (pure functions); the meeting's reads are in queries.py, its writes in services.py.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

from portal.reviews.ranking.rules import RANK_PLACES, Scale
from portal.reviews.records import FinalEntry, PanelOutcomeRecord, RankingRow

DISCUSSION_ORDER = ("Discussion order: disputed applications in the top half of the ranking first (by rank), "
                    "then the other applications to discuss by rank, then those not discussed, then unscored ones")
NOT_DISCUSSED_RULE = ("Not discussed: the bottom share of the scored applications chosen below (rounded down), "
                      "except those already discussed or pulled back into discussion")
FINAL_RULE = ("Final ranking: by the consensus score where the panel recorded one, otherwise by the calibrated "
              "mean; the best first; applications not discussed after all others; ties share a rank")
MAX_SHARE = 90
STATUS_LABELS = {"pending": "To discuss", "discussed": "Discussed", "not_discussed": "Not discussed",
                 "pulled_back": "To discuss (pulled back)"}


def bottom_share(ranked_ids: list[int], percent: int) -> list[int]:
    """The last ⌊N × percent ÷ 100⌋ of `ranked_ids` (best first)."""
    count = len(ranked_ids) * max(0, min(MAX_SHARE, percent)) // 100
    return ranked_ids[len(ranked_ids) - count:] if count else []


def discussion_order(rows: Sequence[RankingRow], statuses: Mapping[int, str]) -> list[int]:
    """Application ids in discussion order (see DISCUSSION_ORDER); `rows` are the ranking's, best first."""
    scored = [r for r in rows if r.rank is not None]
    top_half = {r.id for r in scored[:math.ceil(len(scored) / 2)]}
    first = [r.id for r in scored if r.disputed and r.id in top_half and statuses.get(r.id) != "not_discussed"]
    rest = [r.id for r in scored if r.id not in first and statuses.get(r.id) != "not_discussed"]
    triaged = [r.id for r in scored if statuses.get(r.id) == "not_discussed"]
    unscored = [r.id for r in rows if r.rank is None]
    return first + rest + triaged + unscored


def final_order(rows: Sequence[RankingRow], outcomes: Mapping[int, PanelOutcomeRecord],
                scale: Scale) -> list[FinalEntry]:
    """The applications with a final score, best first, each with its rank (FINAL_RULE)."""
    entries: list[tuple[int, float, str, bool]] = []  # id, score, basis, not discussed
    for row in rows:
        outcome = outcomes.get(row.id)
        if outcome is not None and outcome.consensus_score is not None:
            score, basis = float(outcome.consensus_score), "consensus"
        elif row.calibrated is not None:
            score, basis = float(row.calibrated), "calibrated"
        else:
            continue
        entries.append((row.id, score, basis, outcome is not None and outcome.status == "not_discussed"))
    sign = 1 if scale.lower_is_better else -1
    entries.sort(key=lambda e: (e[3], sign * round(e[1], RANK_PLACES), e[0]))
    ordered = []
    previous: tuple[bool, float] | None = None
    current = 0
    for position, (app_id, score, basis, not_discussed) in enumerate(entries, start=1):
        key = (not_discussed, round(score, RANK_PLACES))
        if key != previous:
            current, previous = position, key
        ordered.append(FinalEntry(id=app_id, score=score, basis=basis, not_discussed=not_discussed, rank=current))
    return ordered
