"""Scoring through HTTP: the reviewer's queue (own random order, due dates), conflicts (404 everywhere), scales
(half points, NIH 1–9), version-checked autosave, save and go to next, others' scores after submitting,
revisions until the panel closes."""

from __future__ import annotations

import re
from datetime import timedelta

from portal.core import clock
from portal.programs.tables import Criterion
from portal.reviews.tables import Assignment, ReviewConflict, ReviewPanel, ReviewRevision, Score
from tests.factories import assign, make_application, make_user
from tests.factories.reviews import add_panel_member, criteria_of, score_form, write_review


def review_form(criteria: list[dict], values: list, comment: str = "Overall fine.", version: int = 0,
                **extra: str) -> dict:
    return score_form(criteria, values, comment) | {"version": str(version), **extra}


def queue_ids(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'data-testid="review-row" data-assignment="(\d+)"', html)]


async def assignment_row(assignment_id: int) -> dict:
    return await Assignment.select().where(Assignment.id == assignment_id).first()


async def many_assignments(world, count: int = 8) -> dict[int, dict[int, int]]:
    """`count` more submitted applications of the program, each assigned to both reviewer and idle_reviewer.
    Returns reviewer id -> {application id -> assignment id}."""
    result: dict[int, dict[int, int]] = {world["reviewer"]: {}, world["idle_reviewer"]: {}}
    for n in range(count):
        city = await _city(n)
        app_id = await make_application(world["program"], city, world["applicant"], status="submitted")
        for reviewer in result:
            result[reviewer][app_id] = await assign(app_id, reviewer, world["staff"])
    return result


async def _city(n: int) -> int:
    from tests.factories import make_org

    return await make_org("city", f"Town {n}", state="OH", domain=f"town{n}.gov")


async def declare_conflict(application_id: int, reviewer_id: int) -> None:
    await ReviewConflict.insert(ReviewConflict(application=application_id, reviewer=reviewer_id, source="reviewer",
                                               reason="My sister runs this project.", declared_at=clock.now()))


# --- The queue ------------------------------------------------------------------------------------------------

async def test_queue_order_differs_between_reviewers_and_is_stable(as_persona, world):
    made = await many_assignments(world)
    reviewer, idle = await as_persona("reviewer"), await as_persona("idle_reviewer")
    first = queue_ids((await reviewer.get("/reviews")).text)
    again = queue_ids((await reviewer.get("/reviews")).text)
    assert first == again
    to_app = {a: app for app, a in made[world["reviewer"]].items()}
    reviewer_apps = [to_app[a] for a in first if a in to_app]
    idle_to_app = {a: app for app, a in made[world["idle_reviewer"]].items()}
    idle_apps = [idle_to_app[a] for a in queue_ids((await idle.get("/reviews")).text)]
    assert sorted(reviewer_apps) == sorted(idle_apps)
    assert reviewer_apps != idle_apps
    assert reviewer_apps != sorted(reviewer_apps) or idle_apps != sorted(idle_apps)  # not simply by id


async def test_queue_lists_not_submitted_first(as_persona, world):
    made = await many_assignments(world, 3)
    done = list(made[world["reviewer"]].values())[0]
    await write_review(done, world["program"], [3, 3])
    reviewer = await as_persona("reviewer")
    ids = queue_ids((await reviewer.get("/reviews")).text)
    assert ids[-1] == done
    assert len(ids) == 4


async def test_queue_groups_by_program_with_due_date_in_program_time_zone_and_overdue(as_persona, world):
    from zoneinfo import ZoneInfo

    due = clock.now() - timedelta(days=1)
    await ReviewPanel.update({ReviewPanel.due_at: due}).where(ReviewPanel.id == world["panel"])
    other_app = await make_application(world["other_program"], world["city_b"], world["stranger"], status="submitted")
    other_assignment = await assign(other_app, world["reviewer"], world["staff"])
    reviewer = await as_persona("reviewer")
    html = (await reviewer.get("/reviews")).text
    assert html.count('data-testid="review-group"') == 2
    program_tz = (await world_program_tz(world["program"]))
    shown = due.astimezone(ZoneInfo(program_tz)).strftime("%B %-d, %Y at %-I:%M %p %Z")
    assert f"Reviews due {shown}." in html
    assert html.count('data-testid="overdue"') == 1
    # The overdue group (due first) comes before the one without a due date.
    assert html.index(f'data-assignment="{world["assignment"]}"') < html.index(f'data-assignment="{other_assignment}"')


async def test_queue_puts_finished_and_closed_panels_after_those_with_reviews_to_do(as_persona, world):
    # The world's panel is due first, but its only review is submitted: the other program's comes first.
    await ReviewPanel.update({ReviewPanel.due_at: clock.now() + timedelta(days=1)}).where(ReviewPanel.id == world["panel"])
    await write_review(world["assignment"], world["program"], [4, 4])
    other_app = await make_application(world["other_program"], world["city_b"], world["stranger"], status="submitted")
    other_assignment = await assign(other_app, world["reviewer"], world["staff"])
    reviewer = await as_persona("reviewer")
    html = (await reviewer.get("/reviews")).text
    assert html.index(f'data-assignment="{other_assignment}"') < html.index(f'data-assignment="{world["assignment"]}"')
    # Closed, the other panel goes last even with a review to do.
    await ReviewPanel.update({ReviewPanel.status: "closed"}).where(ReviewPanel.id == world["other_panel"])
    await Assignment.update({Assignment.status: "assigned"}).where(Assignment.id == world["assignment"])
    html = (await reviewer.get("/reviews")).text
    assert html.index(f'data-assignment="{world["assignment"]}"') < html.index(f'data-assignment="{other_assignment}"')


async def world_program_tz(program_id: int) -> str:
    from portal.programs.tables import Program

    return (await Program.select(Program.timezone).where(Program.id == program_id).first())["timezone"]


async def test_queue_not_overdue_once_everything_is_submitted(as_persona, world):
    await ReviewPanel.update({ReviewPanel.due_at: clock.now() - timedelta(days=1)}).where(ReviewPanel.id == world["panel"])
    await write_review(world["assignment"], world["program"], [4, 4])
    reviewer = await as_persona("reviewer")
    assert 'data-testid="overdue"' not in (await reviewer.get("/reviews")).text


async def test_queue_leaves_out_conflicted_assignments(as_persona, world):
    await declare_conflict(world["application_a"], world["reviewer"])
    reviewer = await as_persona("reviewer")
    response = await reviewer.get("/reviews")
    assert response.status_code == 200
    assert f'href="/reviews/{world["assignment"]}"' not in response.text
    assert 'data-testid="reviews-empty"' in response.text


async def test_dashboard_leaves_out_conflicted_assignments(as_persona, world):
    reviewer = await as_persona("reviewer")
    assert f'href="/reviews/{world["assignment"]}"' in (await reviewer.get("/dashboard")).text
    await declare_conflict(world["application_a"], world["reviewer"])
    page = await reviewer.get("/dashboard")
    assert f'href="/reviews/{world["assignment"]}"' not in page.text
    assert "Screenings for every toddler" not in page.text


# --- Conflicts: 404 on every route ------------------------------------------------------------------------------

async def _all_review_routes(client, assignment_id: int, criteria: list[dict]) -> dict[str, int]:
    form = review_form(criteria, [4, 4])
    return {
        "page": (await client.get(f"/reviews/{assignment_id}")).status_code,
        "page (htmx)": (await client.htmx("GET", f"/reviews/{assignment_id}")).status_code,
        "save": (await client.post(f"/reviews/{assignment_id}", form)).status_code,
        "save (htmx)": (await client.htmx("POST", f"/reviews/{assignment_id}", form)).status_code,
        "save and next": (await client.post(f"/reviews/{assignment_id}", form | {"go": "next"})).status_code,
        "submit": (await client.post(f"/reviews/{assignment_id}/submit", form)).status_code,
        "submit (htmx)": (await client.htmx("POST", f"/reviews/{assignment_id}/submit", form)).status_code,
        "autosave (htmx)": (await client.htmx("POST", f"/reviews/{assignment_id}/autosave", form)).status_code,
    }


async def test_declared_conflict_is_404_on_every_review_route(as_persona, world):
    criteria = await criteria_of(world["program"])
    await declare_conflict(world["application_a"], world["reviewer"])
    reviewer = await as_persona("reviewer")
    statuses = await _all_review_routes(reviewer, world["assignment"], criteria)
    assert statuses == {route: 404 for route in statuses}
    assert await Score.count() == 0
    assert (await assignment_row(world["assignment"]))["version"] == 0


async def test_found_conflict_home_city_is_404_even_with_an_assignment(as_persona, world):
    from portal.reviews.tables import PanelMember

    criteria = await criteria_of(world["program"])
    await PanelMember.update({PanelMember.home_city: "Springfield, IL"}).where(PanelMember.user == world["reviewer"])
    reviewer = await as_persona("reviewer")
    statuses = await _all_review_routes(reviewer, world["assignment"], criteria)
    assert statuses == {route: 404 for route in statuses}
    assert await Score.count() == 0


async def test_without_conflict_the_same_routes_work(as_persona, world):
    # The control for the two tests above: the same requests get past the access check.
    criteria = await criteria_of(world["program"])
    reviewer = await as_persona("reviewer")
    statuses = await _all_review_routes(reviewer, world["assignment"], criteria)
    assert statuses["page"] == 200 and statuses["page (htmx)"] == 200
    assert statuses["autosave (htmx)"] != 404 and statuses["save"] != 404


# --- Scales ---------------------------------------------------------------------------------------------------

async def _half_points(world) -> list[dict]:
    await Criterion.update({Criterion.scale_min: 0, Criterion.scale_max: 5, Criterion.scale_step: 0.5}).where(
        Criterion.program == world["program"])
    return await criteria_of(world["program"])


async def test_half_point_scale_offers_half_points_and_accepts_4_5(as_persona, world):
    criteria = await _half_points(world)
    reviewer = await as_persona("reviewer")
    page = await reviewer.get(f"/reviews/{world['assignment']}")
    assert f'name="score_{criteria[0]["id"]}" value="4.5"' in page.text
    assert page.text.count(f'name="score_{criteria[0]["id"]}" value=') == 11  # 0, 0.5, … 5
    response = await reviewer.post(f"/reviews/{world['assignment']}/submit", review_form(criteria, ["4.5", "0.5"]))
    assert response.status_code == 303
    values = await Score.select(Score.value).where(Score.assignment == world["assignment"]).order_by(Score.criterion)
    assert [v["value"] for v in values] == [4.5, 0.5]
    page = await reviewer.get(f"/reviews/{world['assignment']}")
    assert "Score: 4.5" in page.text


async def test_half_point_scale_refuses_4_25(as_persona, world):
    criteria = await _half_points(world)
    reviewer = await as_persona("reviewer")
    response = await reviewer.post(f"/reviews/{world['assignment']}", review_form(criteria, ["4.25", "3"]))
    assert response.status_code == 422
    assert f'id="error-score_{criteria[0]["id"]}"' in response.text
    assert "must be one of 0, 0.5, 1" in response.text
    assert await Score.count() == 0


async def test_whole_point_scale_refuses_half_points(as_persona, world):
    criteria = await criteria_of(world["program"])
    reviewer = await as_persona("reviewer")
    response = await reviewer.post(f"/reviews/{world['assignment']}/submit", review_form(criteria, ["3.5", "3"]))
    assert response.status_code == 422
    assert await Score.count() == 0


async def test_nih_scale_legend_says_1_is_best_and_shows_threshold(as_persona, world):
    await Criterion.update({Criterion.scale_min: 1, Criterion.scale_max: 9, Criterion.lower_is_better: True,
                            Criterion.threshold: 3}).where(Criterion.program == world["program"])
    reviewer = await as_persona("reviewer")
    page = await reviewer.get(f"/reviews/{world['assignment']}")
    assert "Score from 1 (exceptional) to 9 (poor): lower is better." in page.text
    assert "Threshold: 3 or better (3 or lower)." in page.text
    legend = re.search(r'<legend class="usa-legend">(.*?)</legend>', page.text, re.S).group(1)
    assert "1 (exceptional) to 9 (poor)" in legend


async def test_mixed_direction_rubric_is_refused_on_submit(as_persona, world):
    criteria = await criteria_of(world["program"])
    await Criterion.update({Criterion.lower_is_better: True}).where(Criterion.id == criteria[0]["id"])
    reviewer = await as_persona("reviewer")
    assert 'data-testid="rubric-problem"' in (await reviewer.get(f"/reviews/{world['assignment']}")).text
    response = await reviewer.post(f"/reviews/{world['assignment']}/submit", review_form(criteria, [2, 4]))
    assert response.status_code == 409
    assert (await assignment_row(world["assignment"]))["status"] == "assigned"


# --- Recommendation and comments ------------------------------------------------------------------------------

async def test_recommendation_and_both_comment_boxes_are_stored(as_persona, world):
    await ReviewPanel.update({ReviewPanel.ask_recommendation: True}).where(ReviewPanel.id == world["panel"])
    criteria = await criteria_of(world["program"])
    reviewer = await as_persona("reviewer")
    page = await reviewer.get(f"/reviews/{world['assignment']}")
    assert "Comments for the applicant" in page.text and "Comments for staff only" in page.text
    assert 'value="fund_changes"' in page.text
    form = review_form(criteria, [4, 4], "Staff: budget is padded.", recommendation="fund_changes",
                       applicant_comment="Strong need; tighten the plan.")
    assert (await reviewer.post(f"/reviews/{world['assignment']}/submit", form)).status_code == 303
    row = await assignment_row(world["assignment"])
    assert (row["recommendation"], row["applicant_comment"], row["comment"]) == (
        "fund_changes", "Strong need; tighten the plan.", "Staff: budget is padded.")


async def test_recommendation_not_on_the_list_is_422(as_persona, world):
    await ReviewPanel.update({ReviewPanel.ask_recommendation: True}).where(ReviewPanel.id == world["panel"])
    criteria = await criteria_of(world["program"])
    reviewer = await as_persona("reviewer")
    response = await reviewer.post(f"/reviews/{world['assignment']}",
                                   review_form(criteria, [4, 4], recommendation="<b>fund it all</b>"))
    assert response.status_code == 422
    assert "<b>fund it all</b>" not in response.text
    assert (await assignment_row(world["assignment"]))["recommendation"] == ""


async def test_recommendation_not_asked_is_not_offered_nor_accepted(as_persona, world):
    criteria = await criteria_of(world["program"])
    reviewer = await as_persona("reviewer")
    assert 'data-testid="recommendation"' not in (await reviewer.get(f"/reviews/{world['assignment']}")).text
    response = await reviewer.post(f"/reviews/{world['assignment']}", review_form(criteria, [4, 4], recommendation="fund"))
    assert response.status_code == 422


# --- Autosave with version checks -----------------------------------------------------------------------------

async def test_autosave_saves_and_returns_the_new_version(as_persona, world):
    criteria = await criteria_of(world["program"])
    reviewer = await as_persona("reviewer")
    page = await reviewer.get(f"/reviews/{world['assignment']}")
    assert 'hx-trigger="input changed delay:800ms, change delay:300ms"' in page.text
    assert 'name="version" id="review-version" value="0"' in page.text
    response = await reviewer.htmx("POST", f"/reviews/{world['assignment']}/autosave", review_form(criteria, [3, None]))
    assert response.status_code == 200
    assert response.headers["X-Version"] == "1"
    assert re.search(r"Saved at <time[^>]*>\d\d:\d\d:\d\d [A-Z+0-9-]+</time>", response.text)
    assert 'id="review-version" value="1"' in response.text and 'hx-swap-oob="true"' in response.text
    second = await reviewer.htmx("POST", f"/reviews/{world['assignment']}/autosave",
                                 review_form(criteria, [3, 4], version=1))
    assert second.status_code == 200 and second.headers["X-Version"] == "2"
    values = await Score.select(Score.value).where(Score.assignment == world["assignment"]).order_by(Score.criterion)
    assert [v["value"] for v in values] == [3.0, 4.0]


async def test_autosave_with_a_stale_version_is_409_and_overwrites_nothing(as_persona, world):
    criteria = await criteria_of(world["program"])
    reviewer = await as_persona("reviewer")
    # Tab one saves (version 0 -> 1); tab two, still at version 0, then autosaves.
    assert (await reviewer.htmx("POST", f"/reviews/{world['assignment']}/autosave",
                                review_form(criteria, [5, 5], "Tab one"))).status_code == 200
    stale = await reviewer.htmx("POST", f"/reviews/{world['assignment']}/autosave",
                                review_form(criteria, [1, 1], "Tab two"))
    assert stale.status_code == 409
    assert "Saved version 1; this page has version 0" in stale.text
    assert "Need: saved 5, yours 1" in stale.text
    assert 'data-testid="keep-mine"' in stale.text and '"version": "1"' in stale.text
    assert 'hx-swap-oob' not in stale.text
    row = await assignment_row(world["assignment"])
    assert (row["version"], row["comment"]) == (1, "Tab one")
    values = await Score.select(Score.value).where(Score.assignment == world["assignment"])
    assert sorted(v["value"] for v in values) == [5.0, 5.0]
    # "Keep my version" sends the saved version: tab two's entries are then saved.
    keep = await reviewer.htmx("POST", f"/reviews/{world['assignment']}/autosave",
                               review_form(criteria, [1, 1], "Tab two", version=1))
    assert keep.status_code == 200
    assert (await assignment_row(world["assignment"]))["comment"] == "Tab two"


async def test_autosave_off_the_scale_is_422(as_persona, world):
    criteria = await criteria_of(world["program"])
    reviewer = await as_persona("reviewer")
    response = await reviewer.htmx("POST", f"/reviews/{world['assignment']}/autosave", review_form(criteria, [7, None]))
    assert response.status_code == 422
    assert "Not saved" in response.text
    assert await Score.count() == 0


async def test_autosave_without_version_is_422(as_persona, world):
    criteria = await criteria_of(world["program"])
    reviewer = await as_persona("reviewer")
    response = await reviewer.htmx("POST", f"/reviews/{world['assignment']}/autosave", score_form(criteria, [3, 3]))
    assert response.status_code == 422
    assert (await assignment_row(world["assignment"]))["version"] == 0


async def test_save_button_with_a_stale_version_is_409_page_keeping_both(as_persona, world):
    criteria = await criteria_of(world["program"])
    reviewer = await as_persona("reviewer")
    assert (await reviewer.post(f"/reviews/{world['assignment']}", review_form(criteria, [5, 5], "First"))).status_code == 303
    response = await reviewer.post(f"/reviews/{world['assignment']}", review_form(criteria, [2, 2], "Second"))
    assert response.status_code == 409
    assert 'data-testid="version-conflict"' in response.text
    assert "The saved review is at version 1; this page was at version" in response.text
    assert "Second" in response.text  # their entries are kept in the form
    assert 'name="version" id="review-version" value="1"' in response.text  # saving again keeps theirs
    assert (await assignment_row(world["assignment"]))["comment"] == "First"


# --- Save and go to next --------------------------------------------------------------------------------------

async def test_save_and_next_goes_to_the_next_unsubmitted_in_queue_order(as_persona, world):
    await many_assignments(world, 3)
    criteria = await criteria_of(world["program"])
    reviewer = await as_persona("reviewer")
    order = queue_ids((await reviewer.get("/reviews")).text)
    await write_review(order[1], world["program"], [3, 3])  # the next one is done already: skipped
    order = queue_ids((await reviewer.get("/reviews")).text)
    first, expected = order[0], order[1]
    response = await reviewer.post(f"/reviews/{first}", review_form(criteria, [4, None], go="next"))
    assert response.status_code == 303
    assert response.headers["location"] == f"/reviews/{expected}?saved=1"
    assert (await Score.select(Score.value).where(Score.assignment == first).first())["value"] == 4.0
    htmx = await reviewer.htmx("POST", f"/reviews/{first}", review_form(criteria, [4, 2], version=1, go="next"))
    assert htmx.headers["HX-Location"] == f"/reviews/{expected}?saved=1"


async def test_save_and_next_with_nothing_left_returns_to_the_list(as_persona, world):
    criteria = await criteria_of(world["program"])
    reviewer = await as_persona("reviewer")
    response = await reviewer.post(f"/reviews/{world['assignment']}", review_form(criteria, [4, None], go="next"))
    assert response.status_code == 303
    assert response.headers["location"] == "/reviews?all_done=1"
    assert 'data-testid="queue-done"' in (await reviewer.get("/reviews?all_done=1")).text


# --- Others' scores -------------------------------------------------------------------------------------------

async def _others_reviewed(world) -> tuple[int, int]:
    """idle_reviewer submitted (2, 3) on application A; a third reviewer, conflicted, submitted (1, 1)."""
    other = await assign(world["application_a"], world["idle_reviewer"], world["staff"])
    await write_review(other, world["program"], [2, 3])
    conflicted = await make_user("insider@springfield.gov")
    await add_panel_member(world["panel"], world["program"], conflicted)
    inside = await assign(world["application_a"], conflicted, world["staff"])
    await write_review(inside, world["program"], [1, 1])
    return other, inside


async def test_others_scores_hidden_until_own_review_is_submitted(as_persona, world):
    await _others_reviewed(world)
    criteria = await criteria_of(world["program"])
    reviewer = await as_persona("reviewer")
    page = await reviewer.get(f"/reviews/{world['assignment']}")
    assert 'data-testid="others-hidden"' in page.text
    assert 'data-testid="others-scores"' not in page.text and "Reviewer 1" not in page.text
    # A draft is not enough.
    await reviewer.post(f"/reviews/{world['assignment']}", review_form(criteria, [4, 4]))
    assert "Reviewer 1" not in (await reviewer.get(f"/reviews/{world['assignment']}")).text


async def test_others_scores_shown_anonymised_after_submitting_without_conflicted(as_persona, world):
    await _others_reviewed(world)
    criteria = await criteria_of(world["program"])
    reviewer = await as_persona("reviewer")
    assert (await reviewer.post(f"/reviews/{world['assignment']}/submit", review_form(criteria, [4, 5]))).status_code == 303
    page = await reviewer.get(f"/reviews/{world['assignment']}")
    section = page.text[page.text.index('data-testid="others-scores"'):]
    section = section[:section.index("</section>")]
    assert section.count('data-testid="other-review"') == 1  # the conflicted reviewer's is left out
    assert "Reviewer 1" in section and "Reviewer 2" not in section
    assert "<td>2</td><td>3</td><td>2.60</td>" in section.replace("\n", "").replace("  ", "")
    assert "idle.reviewer" not in page.text and "insider" not in page.text


# --- Revisions and the closed panel ---------------------------------------------------------------------------

async def test_revise_creates_revision_2_and_keeps_revision_1(as_persona, world):
    criteria = await criteria_of(world["program"])
    reviewer = await as_persona("reviewer")
    assert (await reviewer.post(f"/reviews/{world['assignment']}/submit", review_form(criteria, [4, 5]))).status_code == 303
    page = await reviewer.get(f"/reviews/{world['assignment']}")
    assert 'data-testid="submit-revision"' in page.text
    # A draft cannot be saved over a submitted review, even at the right version.
    assert (await reviewer.post(f"/reviews/{world['assignment']}", review_form(criteria, [1, 1], version=1))).status_code == 409
    revised = await reviewer.post(f"/reviews/{world['assignment']}/submit",
                                  review_form(criteria, [2, 3], "Changed my mind", version=1))
    assert revised.status_code == 303
    row = await assignment_row(world["assignment"])
    assert (row["status"], row["revision"], row["version"], row["comment"]) == ("submitted", 2, 2, "Changed my mind")
    revisions = await ReviewRevision.select().where(ReviewRevision.assignment == world["assignment"]).order_by(
        ReviewRevision.revision).output(load_json=True)
    assert [r["revision"] for r in revisions] == [1, 2]
    assert [s["value"] for s in revisions[0]["scores"]] == [4.0, 5.0]
    assert [s["value"] for s in revisions[1]["scores"]] == [2.0, 3.0]
    assert round(revisions[0]["weighted_score"], 2) == 4.6 and round(revisions[1]["weighted_score"], 2) == 2.6
    values = await Score.select(Score.value).where(Score.assignment == world["assignment"]).order_by(Score.criterion)
    assert [v["value"] for v in values] == [2.0, 3.0]
    page = await reviewer.get(f"/reviews/{world['assignment']}")
    assert page.text.count('data-testid="revision"') == 2
    assert "Revision 2 submitted" in page.text and "Revision 1 submitted" in page.text


async def test_revise_with_a_stale_version_is_409(as_persona, world):
    criteria = await criteria_of(world["program"])
    reviewer = await as_persona("reviewer")
    await reviewer.post(f"/reviews/{world['assignment']}/submit", review_form(criteria, [4, 5]))
    response = await reviewer.post(f"/reviews/{world['assignment']}/submit", review_form(criteria, [1, 1], version=0))
    assert response.status_code == 409
    assert await ReviewRevision.count() == 1


async def test_closed_panel_is_read_only_and_refuses_changes(as_persona, world):
    criteria = await criteria_of(world["program"])
    reviewer = await as_persona("reviewer")
    await reviewer.post(f"/reviews/{world['assignment']}/submit", review_form(criteria, [4, 5]))
    await ReviewPanel.update({ReviewPanel.status: "closed", ReviewPanel.closed_at: clock.now()}).where(
        ReviewPanel.id == world["panel"])
    page = await reviewer.get(f"/reviews/{world['assignment']}")
    assert 'data-testid="panel-closed"' in page.text and "reviews can no longer be changed" in page.text
    assert 'data-testid="review-form"' not in page.text
    for url in (f"/reviews/{world['assignment']}/submit", f"/reviews/{world['assignment']}"):
        response = await reviewer.post(url, review_form(criteria, [1, 1], version=1))
        assert response.status_code == 409, url
        assert "panel closed" in response.text
    auto = await reviewer.htmx("POST", f"/reviews/{world['assignment']}/autosave", review_form(criteria, [1, 1], version=1))
    assert auto.status_code == 409
    assert await ReviewRevision.count() == 1
    assert (await assignment_row(world["assignment"]))["revision"] == 1


async def test_closed_panel_draft_cannot_be_saved(as_persona, world):
    criteria = await criteria_of(world["program"])
    await ReviewPanel.update({ReviewPanel.status: "closed"}).where(ReviewPanel.id == world["panel"])
    reviewer = await as_persona("reviewer")
    assert 'data-testid="review-form"' not in (await reviewer.get(f"/reviews/{world['assignment']}")).text
    response = await reviewer.post(f"/reviews/{world['assignment']}", review_form(criteria, [3, None]))
    assert response.status_code == 409
    assert await Score.count() == 0


async def test_hostile_version_and_go_values_are_handled(as_persona, world):
    criteria = await criteria_of(world["program"])
    reviewer = await as_persona("reviewer")
    for version in ("abc", "-1", "9" * 40, ""):
        form = score_form(criteria, [3, 3]) | {"version": version, "go": "x" * 5000}
        response = await reviewer.post(f"/reviews/{world['assignment']}", form)
        assert response.status_code in (409, 422), version
    assert await Score.count() == 0


async def test_concurrent_autosaves_at_one_version_one_wins_one_409(as_persona, world):
    import asyncio

    criteria = await criteria_of(world["program"])
    first, second = await as_persona("reviewer"), await as_persona("reviewer")
    url = f"/reviews/{world['assignment']}/autosave"
    responses = await asyncio.gather(*[client.htmx("POST", url, review_form(criteria, [v, v], f"Tab {v}"))
                                       for client, v in ((first, 2), (second, 4)) for _ in range(3)])
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 409, 409, 409, 409, 409]
    row = await assignment_row(world["assignment"])
    assert row["version"] == 1
    winner = next(r for r in responses if r.status_code == 200)
    assert winner.headers["X-Version"] == "1"
    values = {v["value"] for v in await Score.select(Score.value).where(Score.assignment == world["assignment"])}
    assert len(values) == 1 and row["comment"] == f"Tab {int(values.pop())}"
