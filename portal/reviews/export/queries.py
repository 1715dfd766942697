"""Scores and comments as CSV (docs/reviews.md, "Exports"): the panel's for staff, a reviewer's own.

Both respect conflicts and blindness:
- a review by a reviewer conflicted on the application (found or declared, portal/reviews/conflicts/queries.py) is
  never exported, whatever its assignment row says;
- staff get every column, or with `blind` a copy to circulate to the panel: no applicant column, titles made
  neutral (applications/blind.py);
- a reviewer of a blind panel gets no identifying value (no applicant, neutral titles).

CSV for spreadsheets: UTF-8 with a byte order mark (Excel reads it as UTF-8), one header row, and every text
cell that a spreadsheet would take for a formula (starting with = + - @, a tab or a carriage return) prefixed
with an apostrophe (CSV injection, OWASP). Numbers are written by us and need no prefix.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any, Iterable, cast

from piccolo.columns.combination import Combinable

from portal.applications import blind as blinding
from portal.core.templating import iso_utc
from portal.programs.tables import Criterion, FormVersion
from portal.reviews import rules
from portal.reviews.conflicts.queries import conflicts
from portal.reviews.queries import list_criteria
from portal.reviews.records import CriterionRow, ExportedReview, ScoreRecord
from portal.reviews.tables import Assignment, Score

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
RECOMMENDATIONS = {"": "", "fund": "Fund", "fund_with_changes": "Fund with changes", "do_not_fund": "Do not fund"}
HIDDEN = "Hidden for blind review"


def safe_cell(value: Any) -> str:
    """A cell as text; text a spreadsheet would run as a formula gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".") if value == value else ""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return iso_utc(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(header: list[str], rows: Iterable[list[Any]]) -> bytes:
    """The table as CSV bytes for Excel and every other spreadsheet: UTF-8 with BOM, CRLF line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(c) for c in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _score_text(value: float | None) -> Any:
    if value is None:
        return ""
    return int(value) if float(value).is_integer() else float(value)


async def _reviews(where: Combinable) -> list[ExportedReview]:
    """Assignments matching `where` with their application, program, reviewer and scores, conflicted pairs left
    out."""
    application = Assignment.application._
    rows = await Assignment.select(
        Assignment.id, Assignment.application, Assignment.reviewer,
        Assignment.reviewer._.name.as_alias("reviewer_name"), Assignment.reviewer._.email.as_alias("reviewer_email"),
        Assignment.status, Assignment.submitted_at, Assignment.comment, Assignment.applicant_comment,
        Assignment.recommendation, application.title.as_alias("application_title"),
        application.answers.as_alias("answers"), application.form_version.as_alias("form_version"),
        application.program.as_alias("program"), application.program._.title.as_alias("program_title"),
        application.program._.slug.as_alias("program_slug"),
        application.organisation._.name.as_alias("organisation_name"),
        application.organisation._.state.as_alias("organisation_state"),
    ).where(where).order_by(Assignment.application, Assignment.id).output(load_json=True)
    if not rows:
        return []
    conflicted = await conflicts({r["application"] for r in rows}, {r["reviewer"] for r in rows})
    rows = [r for r in rows if (r["application"], r["reviewer"]) not in conflicted]
    scores = await Score.select().where(Score.assignment.is_in([r["id"] for r in rows] or [0]))
    by_assignment: dict[int, dict[int, ScoreRecord]] = {}
    for s in scores:
        by_assignment.setdefault(s["assignment"], {})[s["criterion"]] = ScoreRecord.of(s)
    schemas = await _schemas({r["form_version"] for r in rows})
    reviews = []
    for r in rows:
        answers = r["answers"]
        if isinstance(answers, str):
            answers = json.loads(answers or "{}")
        reviews.append(ExportedReview(**(r | {"answers": answers}), scores=by_assignment.get(r["id"], {}),
                                      schema=schemas.get(r["form_version"], {"sections": []})))
    return reviews


async def _schemas(form_version_ids: set[int]) -> dict[int, dict[str, object]]:
    if not form_version_ids:
        return {}
    rows = await FormVersion.select(FormVersion.id, FormVersion.schema).where(
        FormVersion.id.is_in(sorted(form_version_ids))).output(load_json=True)
    return {r["id"]: r["schema"] for r in rows}


def _title(review: ExportedReview, blind: bool) -> str:
    if not blind:
        return review.application_title or ""
    return blinding.blind_title(review.schema, {"id": review.application, "title": review.application_title,
                                                "answers": review.answers},
                                review.organisation_name or "")


def _applicant(review: ExportedReview) -> str:
    state = review.organisation_state
    return review.organisation_name + (f", {state}" if state else "")


async def panel_scores_csv(program_id: int, *, blind: bool) -> bytes:
    """One row per submitted review of the program's applications (conflicted reviewers' left out): the
    application, its applicant (not in the blind copy), the reviewer, each criterion's score and comment,
    the weighted score, the recommendation, the comments for the applicant and for staff, when submitted."""
    criteria = await list_criteria(program_id)
    rows = await _reviews((Assignment.application.program == program_id) & (Assignment.status == "submitted"))
    header = ["Application", "Title", *([] if blind else ["Applicant"]), "Reviewer"]
    for c in criteria:
        header += [f"{c['name']}: score", f"{c['name']}: comment"]
    header += ["Weighted score", "Recommendation", "Comment for the applicant", "Comment for staff",
               "Submitted (UTC)"]
    out = []
    for r in rows:
        line: list[Any] = [r.application, _title(r, blind), *([] if blind else [_applicant(r)]), r.reviewer_name]
        for c in criteria:
            score = r.scores.get(c["id"])
            line += [_score_text(score.value if score else None), score.comment if score else ""]
        weighted = rules.review_score({k: v.value for k, v in r.scores.items()}, criteria)
        line += [weighted, RECOMMENDATIONS.get(r.recommendation, r.recommendation), r.applicant_comment,
                 r.comment, r.submitted_at]
        out.append(line)
    return to_csv(header, out)


async def reviewer_reviews_csv(reviewer_id: int) -> bytes:
    """A reviewer's own reviews (drafts and submitted; none of an application they are conflicted on), one row
    each: program, application, title and applicant (both neutral for a blind panel), status, criteria
    (numbered: programs differ) with score and comment, weighted score, recommendation, comments, when
    submitted."""
    rows = await _reviews(Assignment.reviewer == reviewer_id)
    program_ids = {r.program for r in rows}
    blind_programs = await blinding.blind_programs(program_ids)
    criteria_rows = cast(list[CriterionRow], await Criterion.select().where(  # exactly CriterionRow's columns
        Criterion.program.is_in(sorted(program_ids) or [0])).order_by(Criterion.position))
    criteria: dict[int, list[CriterionRow]] = {}
    for c in criteria_rows:
        criteria.setdefault(c["program"], []).append(c)
    most = max((len(v) for v in criteria.values()), default=0)
    header = ["Program", "Application", "Title", "Applicant", "Status"]
    for n in range(1, most + 1):
        header += [f"Criterion {n}", f"Score {n}", f"Comment {n}"]
    header += ["Weighted score", "Recommendation", "Comment for the applicant", "Comment for staff",
               "Submitted (UTC)"]
    out = []
    for r in rows:
        blind = r.program in blind_programs
        mine = criteria.get(r.program, [])
        line: list[Any] = [r.program_title, r.application, _title(r, blind),
                           HIDDEN if blind else _applicant(r), "Submitted" if r.status == "submitted" else "Draft"]
        for n in range(most):
            if n < len(mine):
                score = r.scores.get(mine[n]["id"])
                line += [mine[n]["name"], _score_text(score.value if score else None), score.comment if score else ""]
            else:
                line += ["", "", ""]
        weighted = rules.review_score({k: v.value for k, v in r.scores.items()}, mine)
        line += [weighted, RECOMMENDATIONS.get(r.recommendation, r.recommendation), r.applicant_comment,
                 r.comment, r.submitted_at]
        out.append(line)
    return to_csv(header, out)
