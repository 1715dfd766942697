"""The panel ranking, reviewer statistics and panel meeting pages through HTTP, on both engines.

The worked example (`scored`): the world's rubric is Need (weight 40) and Plan (weight 60), 1–5, so a review's
weighted score is 0.4 × Need + 0.6 × Plan.

| application | reviewer       | idle_reviewer        | third       | counted mean |
|-------------|----------------|----------------------|-------------|--------------|
| A (city A)  | 4, 5 → 4.6     | 3, 3 → 3.0           | 5, 5 → 5.0  | 4.20         |
| C (Capital)  | 2, 2 → 2.0     | 2, 3 → 2.6           |             | 2.30         |
| D (Decatur)  | 5, 5 → 5.0     | 1, 1 → 1.0 CONFLICT  | 4, 4 → 4.0  | 4.50         |
| E (Evanston)  | (none)         |                      |             | unscored     |

idle_reviewer declared a conflict on D, so their review of D counts nowhere: D ranks 1, A 2, C 3, E unranked.
"""

from __future__ import annotations

import re

from portal.core import clock
from portal.core.tables import AuditEvent
from portal.programs.tables import Criterion
from portal.reviews.meetings.queries import final_ranking
from portal.reviews.tables import PanelOutcome, ReviewConflict, ReviewPanel
from tests.factories import assign, make_application, make_org, make_user
from tests.factories.reviews import add_panel_member, write_review
from tests.support import counting_queries


async def scored(world) -> dict[str, int]:
    ids = {"a": world["application_a"]}
    city_c = await make_org("city", "Capital City", state="IL", domain="capital.gov")
    ids["c"] = await make_application(world["program"], city_c, world["applicant"], status="submitted",
                                      answers={"project_title": "Clinic vans"})
    city_d = await make_org("city", "Decatur", state="IL", domain="decatur.gov")
    city_e = await make_org("city", "Evanston", state="IL", domain="evanston.gov")
    ids["d"] = await make_application(world["program"], city_d, world["applicant"], status="submitted",
                                      answers={"project_title": "Doula network"})
    ids["e"] = await make_application(world["program"], city_e, world["applicant"], status="submitted",
                                      answers={"project_title": "Evening classes"})
    ids["third"] = await make_user("third.reviewer@experts.org", "Theo Third")
    await add_panel_member(world["panel"], world["program"], ids["third"])
    program, staff = world["program"], world["staff"]
    await write_review(world["assignment"], program, [4, 5])
    for app, reviewer, values in (("a", "idle_reviewer", [3, 3]), ("c", "reviewer", [2, 2]),
                                  ("c", "idle_reviewer", [2, 3]), ("d", "reviewer", [5, 5]),
                                  ("d", "idle_reviewer", [1, 1])):
        await write_review(await assign(ids[app], world[reviewer], staff), program, values)
    for app, values in (("a", [5, 5]), ("d", [4, 4])):
        await write_review(await assign(ids[app], ids["third"], staff), program, values)
    await assign(ids["e"], world["reviewer"], staff)  # assigned, not submitted
    await ReviewConflict.insert(ReviewConflict(application=ids["d"], reviewer=world["idle_reviewer"], source="staff",
                                               reason="Former employee", declared_by=staff, declared_at=clock.now()))
    return ids


def rows_of(html: str, testid: str) -> list[str]:
    return re.findall(rf'<tr data-testid="{testid}".*?</tr>', html, re.S)


def cell(row: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</td>', row, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)).strip() if match else ""


def cells(row: str) -> list[str]:
    """The texts of a ranking row's cells, in column order: rank, application, city, n, mean, median, SD,
    calibrated, [impact, percentile on a lower-is-better scale], agreement, [threshold]."""
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]


def app_id(row: str) -> int:
    return int(re.search(r'data-application-id="(\d+)"', row).group(1))


async def test_ranking_page_ranks_counted_reviews_best_first(as_persona, world):
    ids = await scored(world)
    staff = await as_persona("staff")
    response = await staff.get(f"/staff/programs/{world['program']}/panel/ranking")
    assert response.status_code == 200
    rows = rows_of(response.text, "ranking-row")
    assert [app_id(r) for r in rows] == [ids["d"], ids["a"], ids["c"]]
    assert [cells(r)[:7] for r in rows] == [
        ["1", "Doula network", "Decatur, IL", "2", "4.50", "4.50", "0.71"],
        ["2", "Screenings for every toddler", "Springfield, IL", "3", "4.20", "4.60", "1.06"],  # SD of 4.6, 3.0, 5.0
        ["3", "Clinic vans", "Capital City, IL", "2", "2.30", "2.30", "0.42"]]
    assert "1 submitted review left out for a conflict of interest" in response.text
    unscored = re.search(r'<ul class="usa-list" data-testid="unscored">(.*?)</ul>', response.text, re.S).group(1)
    assert f'href="/staff/applications/{ids["e"]}"' in unscored
    assert f'href="/staff/applications/{ids["d"]}"' in rows[0]
    methods = re.search(r'data-testid="methods">(.*?)</section>', response.text, re.S).group(1)
    assert "Σ score × weight / Σ weights" in methods and "z-scored" in methods and "conflicted" in methods
    assert "Impact" not in response.text  # not a lower-is-better scale


async def test_ranking_page_shows_thresholds_and_disagreement(as_persona, world):
    ids = await scored(world)
    await ReviewPanel.update({ReviewPanel.overall_threshold: 3.0}).where(ReviewPanel.id == world["panel"])
    await Criterion.update({Criterion.threshold: 4.5}).where(
        (Criterion.program == world["program"]) & (Criterion.name == "Plan"))
    staff = await as_persona("staff")
    html = (await staff.get(f"/staff/programs/{world['program']}/panel/ranking")).text
    verdicts = {app_id(r): cells(r)[9] for r in rows_of(html, "ranking-row")}
    # Plan means: D (5 + 4) / 2 = 4.5 passes; A (5 + 3 + 5) / 3 = 4.33 fails Plan; C fails both.
    assert verdicts == {ids["d"]: "Passes", ids["a"]: "Fails: Plan", ids["c"]: "Fails: Overall, Plan"}
    agreement = {app_id(r): cells(r)[8] for r in rows_of(html, "ranking-row")}
    # Disputed when SD > 25 % of the range (1.0): A's 1.06 is, D's 0.71 and C's 0.42 are not.
    assert agreement == {ids["d"]: "Agreed", ids["a"]: "Disputed", ids["c"]: "Agreed"}


async def test_ranking_on_a_lower_is_better_scale_shows_impact_and_percentile(as_persona, world):
    ids = await scored(world)
    await Criterion.update({Criterion.scale_max: 9, Criterion.lower_is_better: True}).where(
        Criterion.program == world["program"])
    staff = await as_persona("staff")
    html = (await staff.get(f"/staff/programs/{world['program']}/panel/ranking")).text
    rows = rows_of(html, "ranking-row")
    assert [app_id(r) for r in rows] == [ids["c"], ids["a"], ids["d"]]  # lowest mean first
    assert [(cells(r)[8], cells(r)[9]) for r in rows] == [
        ("23", "16.7"), ("42", "50.0"), ("45", "83.3")]


async def test_ranking_page_empty_state(as_persona, world):
    staff = await as_persona("staff")
    html = (await staff.get(f"/staff/programs/{world['program']}/panel/ranking")).text
    assert 'data-testid="ranking-empty"' in html
    assert f'href="/staff/applications/{world["application_a"]}"' in html  # unscored, listed
    html = (await staff.get(f"/staff/programs/{world['program']}/panel/reviewers")).text
    assert 'data-testid="reviewers-empty"' in html


async def test_reviewer_statistics_name_harsh_reviewers_in_words(as_persona, world):
    ids = await scored(world)
    staff = await as_persona("staff")
    html = (await staff.get(f"/staff/programs/{world['program']}/panel/reviewers")).text
    rows = rows_of(html, "reviewer-row")
    found = [(int(re.search(r'data-reviewer-id="(\d+)"', r).group(1)), cell(r, "count"), cell(r, "offset"),
              cell(r, "verdict")) for r in rows]
    # Offsets: idle (3 − 4.8 + 2.6 − 2) / 2 = −0.60; third (1.2 − 1.0) / 2 = +0.10; reviewer (0.6 − 0.6 + 1) / 3.
    assert found == [
        (world["idle_reviewer"], "2", "-0.60", "Harsh: scores worse than the others"),
        (ids["third"], "2", "+0.10", "In line with the panel"),
        (world["reviewer"], "3", "+0.33", "In line with the panel"),
    ]
    assert "a negative offset means harsher than the panel" in " ".join(re.sub(r"<[^>]+>", "", html).split())


async def test_panel_pages_refuse_other_networks_staff(portal, world, make_client):
    from tests.factories import PASSWORD
    from tests.factories.reviews import other_network_staff

    await other_network_staff()
    other = await make_client()
    await other.login("staff@othernetwork.org", PASSWORD)
    for page in ("ranking", "reviewers", "meeting"):
        assert (await other.get(f"/staff/programs/{world['program']}/panel/{page}")).status_code == 404


# --- meeting ------------------------------------------------------------------------------------------------

def meeting_url(world, tail: str = "") -> str:
    return f"/staff/programs/{world['program']}/panel/meeting{tail}"


def items_of(html: str) -> list[str]:
    return re.findall(r'<section id="outcome-\d+".*?</section>', html, re.S)


async def statuses(panel_id: int) -> dict[int, str]:
    rows = await PanelOutcome.select(PanelOutcome.application, PanelOutcome.status).where(
        PanelOutcome.panel == panel_id)
    return {r["application"]: r["status"] for r in rows}


async def test_meeting_orders_disputed_top_half_first_and_marks_conflicted_members_out(as_persona, world):
    ids = await scored(world)
    staff = await as_persona("staff")
    html = (await staff.get(meeting_url(world))).text
    items = items_of(html)
    # Ranked D, A, C; the top half is D and A; A is disputed, so A comes first, then D and C, then unscored E.
    assert [app_id(i) for i in items] == [ids["a"], ids["d"], ids["c"], ids["e"]]
    out = {app_id(i): re.sub(r"<[^>]+>", "", re.search(r'data-testid="out-of-room">(.*?)</p>', i, re.S).group(1))
           for i in items}
    assert out[ids["d"]] == "Out of the room (conflict of interest): Idle.Reviewer"
    assert out[ids["a"]] == "No panel member is conflicted on it."


async def test_meeting_not_discussed_share_marks_the_bottom_and_respects_pull_back(as_persona, world):
    ids = await scored(world)
    staff = await as_persona("staff")
    response = await staff.post(meeting_url(world, "/share"), {"not_discussed_percent": "34"})
    assert response.status_code == 303
    assert await statuses(world["panel"]) == {ids["c"]: "not_discussed"}  # ⌊3 × 34 %⌋ = 1: the last, C
    html = (await staff.get(meeting_url(world))).text
    c_item = [i for i in items_of(html) if app_id(i) == ids["c"]][0]
    assert 'data-status="not_discussed"' in c_item and "Not discussed" in c_item
    assert (await staff.post(meeting_url(world, f"/applications/{ids['c']}/pull-back"), {})).status_code == 303
    assert await statuses(world["panel"]) == {ids["c"]: "pulled_back"}
    await staff.post(meeting_url(world, "/share"), {"not_discussed_percent": "67"})  # ⌊3 × 67 %⌋ = 2: A and C
    assert await statuses(world["panel"]) == {ids["c"]: "pulled_back", ids["a"]: "not_discussed"}
    await staff.post(meeting_url(world, "/share"), {"not_discussed_percent": "0"})
    assert await statuses(world["panel"]) == {ids["c"]: "pulled_back", ids["a"]: "pending"}
    panel = await ReviewPanel.select(ReviewPanel.not_discussed_percent).where(ReviewPanel.id == world["panel"]).first()
    assert panel["not_discussed_percent"] == 0


async def test_meeting_share_rejects_bad_values_with_422(as_persona, world):
    await scored(world)
    staff = await as_persona("staff")
    for value in ("91", "-1", "abc", "", "5" * 400, "2.5"):
        response = await staff.post(meeting_url(world, "/share"), {"not_discussed_percent": value})
        assert response.status_code == 422, value
        assert "Enter a whole number of percent from 0 to 90." in response.text
    assert (await staff.post(meeting_url(world, "/share"), {})).status_code == 422


async def test_meeting_consensus_saves_and_refuses_off_scale_values(as_persona, world):
    ids = await scored(world)
    staff = await as_persona("staff")
    url = meeting_url(world, f"/applications/{ids['a']}")
    for value, message in (("6", "must be from 1 to 5 in whole points"), ("4.5", "must be from 1 to 5 in whole points"),
                           ("0", "must be from 1 to 5"), ("abc", "Enter the consensus score as a number"),
                           ("nan", "Enter the consensus score as a number")):
        response = await staff.post(url, {"consensus_score": value, "consensus_note": "Strong."})
        assert response.status_code == 422, value
        assert message in response.text and 'id="error-summary"' in response.text
        assert 'value="' + value + '"' in response.text
    response = await staff.post(url, {"consensus_score": "3", "consensus_note": "x" * 5001})
    assert response.status_code == 422 and "Shorten the consensus note" in response.text
    response = await staff.post(url, {"consensus_score": "4", "consensus_note": "Strong plan.",
                                      "minority_view": "One member doubts the budget.", "discussed": "yes"})
    assert response.status_code == 303
    row = await PanelOutcome.select().where(PanelOutcome.application == ids["a"]).first()
    assert (row["consensus_score"], row["consensus_note"], row["minority_view"], row["status"]) == (
        4.0, "Strong plan.", "One member doubts the budget.", "discussed")
    assert await AuditEvent.exists().where((AuditEvent.action == "panel.consensus") & (AuditEvent.object_id == ids["a"]))


async def test_meeting_consensus_steps_follow_the_rubric(as_persona, world):
    ids = await scored(world)
    await Criterion.update({Criterion.scale_step: 0.5, Criterion.scale_min: 0}).where(
        Criterion.program == world["program"])
    staff = await as_persona("staff")
    url = meeting_url(world, f"/applications/{ids['a']}")
    assert (await staff.post(url, {"consensus_score": "4.5"})).status_code == 303
    response = await staff.post(url, {"consensus_score": "4.25"})
    assert response.status_code == 422 and "from 0 to 5 in steps of 0.5" in response.text


async def test_meeting_consensus_over_htmx_answers_the_item_alone(as_persona, world):
    ids = await scored(world)
    staff = await as_persona("staff")
    url = meeting_url(world, f"/applications/{ids['a']}")
    response = await staff.post(url, {"consensus_score": "9"}, headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert response.text.lstrip().startswith("<section id=\"outcome-") or "<html" not in response.text
    assert "<html" not in response.text and f'id="outcome-{ids["a"]}"' in response.text
    response = await staff.post(url, {"consensus_score": "5"}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "Saved." in response.text and "<html" not in response.text


async def test_meeting_finalise_saves_the_final_ranking(as_persona, world):
    ids = await scored(world)
    staff = await as_persona("staff")
    assert await final_ranking(world["program"]) == []
    await staff.post(meeting_url(world, f"/applications/{ids['c']}"), {"consensus_score": "5", "discussed": "yes"})
    response = await staff.post(meeting_url(world, "/finalise"), {})
    assert response.status_code == 303
    final = await final_ranking(world["program"])
    # C's consensus 5 beats every calibrated mean; then A (0.85 z) and D (−0.07 z) by calibrated mean: A's low score
    # came from the harsh idle_reviewer. E has no score and no rank.
    assert [(f.application, f.final_rank) for f in final] == [(ids["c"], 1), (ids["a"], 2), (ids["d"], 3)]
    assert await AuditEvent.exists().where(AuditEvent.action == "panel.ranking_finalised")
    html = (await staff.get(meeting_url(world))).text
    saved = {app_id(r): cells(r)[1] for r in rows_of(html, "final-row")}
    assert saved == {ids["c"]: "1", ids["a"]: "2", ids["d"]: "3"}
    # Not discussed goes after everything else: the bottom two by raw mean are A and C, and C was discussed.
    await staff.post(meeting_url(world, "/share"), {"not_discussed_percent": "67"})
    await staff.post(meeting_url(world, "/finalise"), {})
    assert [f.application for f in await final_ranking(world["program"])] == [ids["c"], ids["d"], ids["a"]]


async def test_meeting_pages_through_the_discussion_order(as_persona, world, monkeypatch):
    from portal.reviews.meetings import controllers as meeting_controllers

    ids = await scored(world)
    monkeypatch.setattr(meeting_controllers, "PAGE_SIZE", 3)
    staff = await as_persona("staff")
    first = (await staff.get(meeting_url(world))).text
    assert [app_id(i) for i in items_of(first)] == [ids["a"], ids["d"], ids["c"]]
    assert 'href="?page=2"' in first
    second = (await staff.get(meeting_url(world, "?page=2"))).text
    assert [app_id(i) for i in items_of(second)] == [ids["e"]]
    assert [app_id(i) for i in items_of((await staff.get(meeting_url(world, "?page=99"))).text)] == [ids["e"]]
    assert [app_id(i) for i in items_of((await staff.get(meeting_url(world, "?page=x"))).text)] == [
        ids["a"], ids["d"], ids["c"]]
    # After saving, staff land on the page of the application they saved.
    response = await staff.post(meeting_url(world, f"/applications/{ids['e']}"), {"consensus_score": "3"})
    assert response.headers["location"] == meeting_url(world, f"?focus={ids['e']}#outcome-{ids['e']}")
    focused = (await staff.get(meeting_url(world, f"?focus={ids['e']}"))).text
    assert [app_id(i) for i in items_of(focused)] == [ids["e"]]


async def test_meeting_actions_404_for_applications_of_other_programs(as_persona, world):
    await scored(world)
    staff = await as_persona("staff")
    other = await make_application(world["other_program"], world["city_a"], world["applicant"], status="submitted")
    for tail in (f"/applications/{other}", f"/applications/{other}/pull-back",
                 f"/applications/{world['application_b']}"):  # a draft
        assert (await staff.post(meeting_url(world, tail), {"consensus_score": "3"})).status_code == 404, tail
    assert (await staff.post(meeting_url(world, "/applications/abc"), {})).status_code in (404, 405)


async def test_meeting_without_a_panel(as_persona, world):
    await ReviewPanel.delete().where(ReviewPanel.id == world["panel"])
    staff = await as_persona("staff")
    html = (await staff.get(meeting_url(world))).text
    assert 'data-testid="meeting-no-panel"' in html
    assert (await staff.post(meeting_url(world, "/finalise"), {})).status_code == 404
    assert (await staff.get(f"/staff/programs/{world['program']}/panel/ranking")).status_code == 200


async def test_ranking_needs_the_same_few_queries_whatever_the_panel_size(portal, world):
    from portal.reviews.ranking.queries import panel_ranking

    ids = await scored(world)
    with counting_queries(portal.state.engine) as ran:
        await panel_ranking(world["program"])
    few = len(ran)
    for n in range(6):
        city = await make_org("city", f"Town {n}", state="WI")
        app = await make_application(world["program"], city, world["applicant"], status="submitted")
        for reviewer in ("reviewer", "idle_reviewer"):
            await write_review(await assign(app, world[reviewer], world["staff"]), world["program"], [n % 5 + 1, 3])
    await write_review(await assign(ids["e"], ids["third"], world["staff"]), world["program"], [2, 2])
    with counting_queries(portal.state.engine) as ran:
        result = await panel_ranking(world["program"])
    assert len(result.scored) == 10
    assert 5 <= len(ran) == few <= 10
