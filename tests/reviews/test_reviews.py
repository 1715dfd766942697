"""Reviewing through HTTP: my queue, the scoring form, drafts, submission, and who may see what."""

from __future__ import annotations

from datetime import datetime

from portal.core.tables import AuditEvent
from portal.reviews.tables import Assignment, Score
from tests.factories.reviews import criteria_of, score_form


def review_form(criteria: list[dict], values: list, comment: str = "Overall fine.", version: int = 0) -> dict:
    """The scoring form as the page posts it: with the review version the page was rendered at."""
    return score_form(criteria, values, comment) | {"version": str(version)}


async def test_review_list_shows_my_assignments(as_persona, world):
    reviewer = await as_persona("reviewer")
    response = await reviewer.get("/reviews")
    assert response.status_code == 200
    assert f'href="/reviews/{world["assignment"]}"' in response.text
    assert "Screenings for every toddler" in response.text


async def test_review_list_of_unassigned_reviewer_is_empty(as_persona, world):
    idle = await as_persona("idle_reviewer")
    response = await idle.get("/reviews")
    assert response.status_code == 200
    assert 'data-testid="reviews-empty"' in response.text
    assert f'href="/reviews/{world["assignment"]}"' not in response.text


async def test_review_list_anonymous_is_sent_to_sign_in(as_persona, world):
    anonymous = await as_persona("anonymous")
    response = await anonymous.get("/reviews")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


async def test_review_page_shows_application_and_rubric(as_persona, world):
    reviewer = await as_persona("reviewer")
    response = await reviewer.get(f"/reviews/{world['assignment']}")
    assert response.status_code == 200
    assert 'data-testid="answers"' in response.text
    assert "Many toddlers miss screenings." in response.text
    assert response.text.count('data-testid="criterion"') == 2
    assert "Σ score × weight / Σ weights" in response.text


async def test_review_page_of_another_reviewer_is_404(as_persona, world):
    for persona in ("idle_reviewer", "other_reviewer", "staff", "applicant", "funder"):
        client = await as_persona(persona)
        response = await client.get(f"/reviews/{world['assignment']}")
        assert response.status_code == 404, persona


async def test_review_post_by_another_reviewer_is_404(as_persona, world):
    criteria = await criteria_of(world["program"])
    idle = await as_persona("idle_reviewer")
    response = await idle.post(f"/reviews/{world['assignment']}/submit", review_form(criteria, [5, 5]))
    assert response.status_code == 404
    assert await Score.count() == 0


async def test_review_unknown_assignment_is_404(as_persona, world):
    reviewer = await as_persona("reviewer")
    assert (await reviewer.get("/reviews/999999")).status_code == 404


async def test_review_save_draft_keeps_partial_scores(as_persona, world):
    criteria = await criteria_of(world["program"])
    reviewer = await as_persona("reviewer")
    await reviewer.get(f"/reviews/{world['assignment']}")
    response = await reviewer.post(f"/reviews/{world['assignment']}", review_form(criteria, [4, None], "Half done"))
    assert response.status_code == 303
    scores = await Score.select(Score.criterion, Score.value).where(Score.assignment == world["assignment"])
    assert [(s["criterion"], s["value"]) for s in scores] == [(criteria[0]["id"], 4.0)]
    assignment = await Assignment.select().where(Assignment.id == world["assignment"]).first()
    assert (assignment["status"], assignment["comment"]) == ("assigned", "Half done")
    page = await reviewer.get(f"/reviews/{world['assignment']}")
    assert f'name="score_{criteria[0]["id"]}" value="4" checked' in page.text


async def test_review_submit_with_missing_scores_is_422_with_every_error(as_persona, world):
    criteria = await criteria_of(world["program"])
    reviewer = await as_persona("reviewer")
    await reviewer.get(f"/reviews/{world['assignment']}")
    form = review_form(criteria, [None, None], "My overall view")
    response = await reviewer.post(f"/reviews/{world['assignment']}/submit", form)
    assert response.status_code == 422
    assert 'id="error-summary"' in response.text
    for c in criteria:
        assert f'id="error-score_{c["id"]}"' in response.text
    assert "My overall view" in response.text
    assert (await Assignment.select(Assignment.status).where(Assignment.id == world["assignment"]).first())["status"] == "assigned"


async def test_review_submit_out_of_range_is_422_and_keeps_input(as_persona, world):
    criteria = await criteria_of(world["program"])
    reviewer = await as_persona("reviewer")
    await reviewer.get(f"/reviews/{world['assignment']}")
    response = await reviewer.post(f"/reviews/{world['assignment']}/submit", review_form(criteria, [9, 3]))
    assert response.status_code == 422
    assert f'id="error-score_{criteria[0]["id"]}"' in response.text
    assert f'id="error-score_{criteria[1]["id"]}"' not in response.text
    assert f'name="score_{criteria[1]["id"]}" value="3" checked' in response.text
    assert await Score.count() == 0


async def test_review_draft_with_non_number_is_422(as_persona, world):
    criteria = await criteria_of(world["program"])
    reviewer = await as_persona("reviewer")
    await reviewer.get(f"/reviews/{world['assignment']}")
    response = await reviewer.post(f"/reviews/{world['assignment']}", review_form(criteria, ["lots", None]))
    assert response.status_code == 422
    assert "must be a number" in response.text


async def test_review_submit_marks_submitted_read_only_and_emails_contact(as_persona, world, mailbox):
    criteria = await criteria_of(world["program"])
    reviewer = await as_persona("reviewer")
    await reviewer.get(f"/reviews/{world['assignment']}")
    response = await reviewer.post(f"/reviews/{world['assignment']}/submit", review_form(criteria, [4, 5]))
    assert response.status_code == 303
    assignment = await Assignment.select().where(Assignment.id == world["assignment"]).first()
    assert assignment["status"] == "submitted"
    assert assignment["submitted_at"] is not None
    page = await reviewer.get(f"/reviews/{world['assignment']}")
    assert 'data-testid="review-readonly"' in page.text
    assert 'data-testid="submit-review"' not in page.text
    again = await reviewer.post(f"/reviews/{world['assignment']}", review_form(criteria, [1, 1]))
    assert again.status_code == 409
    values = await Score.select(Score.value).where(Score.assignment == world["assignment"]).order_by(Score.criterion)
    assert [v["value"] for v in values] == [4.0, 5.0]
    audit = await AuditEvent.select(AuditEvent.action).where(AuditEvent.object_id == world["assignment"])
    assert "review.submitted" in [a["action"] for a in audit]
    message = await mailbox.wait_for("grants@network.org", "Review submitted")
    assert "4.60" in message.get_payload()


async def test_review_htmx_invalid_returns_the_scoring_fragment(as_persona, world):
    criteria = await criteria_of(world["program"])
    reviewer = await as_persona("reviewer")
    await reviewer.get(f"/reviews/{world['assignment']}")
    response = await reviewer.htmx("POST", f"/reviews/{world['assignment']}/submit", review_form(criteria, [None, 2]))
    assert response.status_code == 422
    assert response.text.lstrip().startswith('<section id="scoring"')
    assert "<html" not in response.text


async def test_dashboard_shows_reviews_to_do(as_persona, world):
    reviewer = await as_persona("reviewer")
    response = await reviewer.get("/dashboard")
    assert 'data-testid="dashboard-reviews"' in response.text
    assert f'href="/reviews/{world["assignment"]}"' in response.text
    applicant = await as_persona("applicant")
    assert 'data-testid="dashboard-reviews"' not in (await applicant.get("/dashboard")).text



async def test_reviews_rows_make_records(world):
    """The records of reviews/records.py are built from their tables' rows as Piccolo and raw SQL hand them back
    (SQLite gives raw SQL's timestamps as text): a column added, renamed or dropped without the record following
    fails here, on both engines."""
    from portal.reviews import queries
    from portal.reviews.records import AssignmentRecord, PanelOutcomeRecord, PanelRecord, ScoreRecord
    from portal.reviews.tables import PanelOutcome, ReviewPanel
    from tests.factories.reviews import write_review

    await write_review(world["assignment"], world["program"], [4, 3])
    await PanelOutcome.insert(PanelOutcome(panel=world["panel"], application=world["application_a"],
                                           status="discussed", consensus_score=4.0))
    for rows in (await Assignment.select().where(Assignment.id == world["assignment"]),
                 await Assignment.raw("SELECT * FROM review_assignment WHERE id = {}", world["assignment"])):
        assignment = AssignmentRecord.of(rows[0])
        assert (assignment.reviewer, assignment.status) == (world["reviewer"], "submitted")
        assert isinstance(assignment.assigned_at, datetime) and isinstance(assignment.submitted_at, datetime)
    scores = [ScoreRecord.of(r) for r in await Score.select().where(Score.assignment == world["assignment"])]
    assert sorted(s.value for s in scores) == [3.0, 4.0]
    panels = [PanelRecord.of(rows[0]) for rows in (
        await ReviewPanel.select().where(ReviewPanel.id == world["panel"]).output(load_json=True),
        await ReviewPanel.raw("SELECT * FROM review_panel WHERE id = {}", world["panel"]))]
    for panel in panels:
        assert (panel.id, panel.name, panel.reviews_per_application, panel.proposal, panel.status) == (
            world["panel"], "Review panel", 3, {}, "open")
        assert isinstance(panel.created_at, datetime)
    assert await queries.get_panel(world["program"]) == panels[0]
    for rows in (await PanelOutcome.select().where(PanelOutcome.panel == world["panel"]),
                 await PanelOutcome.raw("SELECT * FROM panel_outcome WHERE panel = {}", world["panel"])):
        outcome = PanelOutcomeRecord.of(rows[0])
        assert (outcome.application, outcome.status, outcome.consensus_score) == (
            world["application_a"], "discussed", 4.0)
