"""Reading a panel's ranking (the arithmetic and what counts: rules.py): every application of a program with its
reviews' statistics, computed from the database in a fixed number of queries (no query per application).

Queries: criteria, panel, applications, the submitted reviews' weighted sums (one SQL aggregate), reviewer
names, the four of conflicts.conflicts, and criterion scores only when a criterion has a threshold: at most
ten, whatever the number of applications.
"""

from __future__ import annotations

from typing import Hashable

from portal.accounts.tables import User
from portal.applications.tables import Application
from portal.reviews import queries
from portal.reviews.conflicts.queries import conflicts
from portal.reviews.ranking import aggregation
from portal.reviews.ranking.rules import Ranking, build_ranking
from portal.reviews.records import ApplicationScores
from portal.reviews.tables import Assignment, Score

# Every submitted review of the program's reviewable applications with its weighted score's two sums: the
# formula of rules.review_score (Σ value × weight over the criteria scored, Σ weight of those criteria), summed
# by the database so that 18,000 score rows of a 2,000-application panel never travel to Python.
REVIEW_SUMS_SQL = (
    "SELECT a.id AS id, a.application AS application, a.reviewer AS reviewer, "
    "SUM(CAST(s.value AS DOUBLE PRECISION) * c.weight) AS total, SUM(c.weight) AS weights "
    "FROM review_assignment a JOIN application ap ON ap.id = a.application "
    "JOIN review_score s ON s.assignment = a.id JOIN criterion c ON c.id = s.criterion "
    "WHERE ap.program = {} AND c.program = ap.program AND a.status = 'submitted' AND ap.status IN ("
    + ", ".join(f"'{status}'" for status in queries.REVIEWABLE_STATUSES) + ") "
    "GROUP BY a.id, a.application, a.reviewer"
)


async def panel_ranking(program_id: int) -> Ranking:
    """The ranking of a program's applications (see the module's docstring for what counts and how)."""
    criteria = await queries.list_criteria(program_id)
    panel = await queries.get_panel(program_id)
    applications = await Application.select(
        Application.id, Application.title, Application.status,
        Application.organisation._.name.as_alias("organisation_name"),
        Application.organisation._.state.as_alias("organisation_state"),
    ).where((Application.program == program_id) & Application.status.is_in(list(queries.REVIEWABLE_STATUSES)))
    sums = await Assignment.raw(REVIEW_SUMS_SQL, program_id)
    reviewer_ids = sorted({r["reviewer"] for r in sums})
    conflicted = await conflicts([a["id"] for a in applications], reviewer_ids) if sums else {}
    names: dict[Hashable, str] = (
        {u["id"]: u["name"] for u in await User.select(User.id, User.name).where(User.id.is_in(reviewer_ids))}
        if reviewer_ids else {})
    counted = {r["id"]: r for r in sums if (r["application"], r["reviewer"]) not in conflicted}
    reviews = [aggregation.Review(r["reviewer"], r["application"], r["total"] / r["weights"])
               for r in counted.values() if r["weights"]]
    # Criterion means are needed only where a criterion has a threshold.
    per_criterion: dict[int, dict[int, list[float]]] = {}
    with_threshold = [c["id"] for c in criteria if c.get("threshold") is not None]
    if with_threshold and counted:
        rows = await Score.select(Score.assignment, Score.criterion, Score.value).where(
            Score.criterion.is_in(with_threshold) & (Score.assignment._.status == "submitted"))
        for row in rows:
            review = counted.get(row["assignment"])
            if review is not None:
                per_criterion.setdefault(review["application"], {}).setdefault(row["criterion"], []).append(
                    float(row["value"]))
    return build_ranking(program_id, panel.overall_threshold if panel else None, criteria, applications, reviews,
                         per_criterion, names, len(sums) - len(counted), panel=panel)


async def scores_for_program(program_id: int) -> dict[int, ApplicationScores]:
    """Per application of the program (submitted or later): weighted mean of its counted reviews (None without
    any), reviews done and assigned, and rank (None when unscored), as the panel ranking computes them
    (this module: reviews by conflicted reviewers left out; rank best first in the rubric's own
    direction, so 1 on an NIH 1–9 scale ranks first)."""
    result = await panel_ranking(program_id)
    assigned = await Assignment.select(Assignment.application, Assignment.status).where(
        Assignment.application._.program == program_id
    )
    counts: dict[int, int] = {}
    for a in assigned:
        counts[a["application"]] = counts.get(a["application"], 0) + 1
    return {row.id: ApplicationScores(weighted_mean=row.mean, reviews_done=row.n,
                                      reviews_assigned=counts.get(row.id, 0), rank=row.rank)
            for row in result.rows}
