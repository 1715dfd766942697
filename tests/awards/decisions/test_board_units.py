"""The decision board in the program's own unit (issue 10): seats for a cohort program (never "$0"), cash with
hours of technical assistance beside it, declines and waitlists on neither side of the line, and no release
without drafts."""

from __future__ import annotations

import json

from portal.awards.decisions.tables import Decision
from portal.awards.tables import Award
from portal.core.tables import AuditEvent
from portal.programs.tables import Program
from tests.awards.decisions.test_decisions import STANDARD, board_url, make_round, row_url, rows_of


def board_html(html: str) -> str:
    """The board block alone (the page's header and footer are not the board's)."""
    return html[html.index('id="decision-board"'):html.index('id="bulk"')]


async def released_detail() -> dict:
    row = await AuditEvent.select(AuditEvent.detail).where(AuditEvent.action == "decisions.released").first()
    return row["detail"] if isinstance(row["detail"], dict) else json.loads(row["detail"])


async def set_program(world, **values) -> None:
    await Program.update({getattr(Program, k): v for k, v in values.items()}).where(Program.id == world["program"])


async def test_cohort_board_counts_seats_and_shows_no_dollars(world, as_persona):
    ids = await make_round(world, [("C", 0, 2), ("D", 0, 3)], budget=0, offer_kind="cohort_seat")
    await set_program(world, seats=2)
    staff = await as_persona("staff")
    html = board_html((await staff.get(board_url(world))).text)
    assert rows_of(html) == [(ids["A"], "above", "1 seat"), (ids["C"], "above", "2 seats"),
                             (ids["D"], "below", "3 seats")]
    assert 'Seats in the cohort: <strong data-testid="budget">2</strong>' in html
    assert "the cohort's 2 seats run out here" in html and "The seat line falls after 2 applications: 1 below it." in html
    assert "$" not in html  # no amount, budget or running total in dollars where a seat is the point
    assert 'name="amount"' not in html and "An award is one seat in the cohort." in html


async def test_cohort_board_without_a_seat_count_counts_the_seats(world, as_persona):
    await make_round(world, [("C", 0, 2)], budget=0, offer_kind="cohort_seat")
    staff = await as_persona("staff")
    html = board_html((await staff.get(board_url(world))).text)
    assert "not set by the program" in html and "No seat line: the program sets no number of seats." in html
    assert "the board counts 2 seats" in html and "$" not in html


async def test_cohort_release_over_the_seats_needs_confirmation(world, as_persona):
    ids = await make_round(world, [("C", 0, 2)], budget=0, offer_kind="cohort_seat")
    await set_program(world, seats=1)
    staff = await as_persona("staff")
    for app_id in (ids["A"], ids["C"]):
        assert (await staff.post(row_url(world, app_id), {"outcome": "award"})).status_code == 303
    html = board_html((await staff.get(board_url(world))).text)
    assert "awards take 1 seat more than the cohort has" in html and "$" not in html
    response = await staff.post(f"{board_url(world)}/release", {})
    assert response.status_code == 422
    assert "The awards take 2 seats, 1 seat more than the cohort&#39;s 1 seat." in response.text
    assert await Award.count() == 0
    response = await staff.post(f"{board_url(world)}/release", {"confirm_over_budget": "yes"})
    assert response.status_code == 303
    assert sorted(r["amount_cents"] for r in await Award.select(Award.amount_cents)) == [0, 0]
    assert (await released_detail())["over_seats"] == 1


async def test_cash_award_carries_hours_of_technical_assistance_where_the_program_offers_them(world, as_persona):
    ids = await make_round(world, [("C", 4_000_000, 2)])
    staff = await as_persona("staff")
    # A cash program without technical assistance asks for no hours.
    assert 'name="hours"' not in (await staff.get(board_url(world))).text
    await set_program(world, max_ta_hours=100)
    response = await staff.post(row_url(world, ids["A"]), {"outcome": "award", "amount": "25000", "hours": "101"})
    assert response.status_code == 422 and "Enter the hours as a whole number from 1 to 100, or none." in response.text
    response = await staff.post(row_url(world, ids["A"]), {"outcome": "award", "amount": "25000", "hours": "40"})
    assert response.status_code == 303
    response = await staff.post(row_url(world, ids["C"]), {"outcome": "award", "amount": "40000", "hours": ""})
    assert response.status_code == 303  # the hours are optional beside cash
    drafts = {r["application"]: (r["amount_cents"], r["quantity"]) for r in await Decision.select()}
    assert drafts == {ids["A"]: (2_500_000, 40), ids["C"]: (4_000_000, 0)}
    html = board_html((await staff.get(board_url(world))).text)
    assert "$25,000<br>40 hours of technical assistance</td>" in html
    assert 'Hours of technical assistance in award decisions: <span data-testid="hours">40</span>' in html


async def test_declined_and_waitlisted_applications_are_on_neither_side_of_the_line(world, as_persona):
    ids = await make_round(world, STANDARD, budget=6_000_000)  # $60,000
    staff = await as_persona("staff")
    await staff.post(row_url(world, ids["C"]), {"outcome": "waitlist"})
    await staff.post(row_url(world, ids["E"]), {"outcome": "decline"})
    html = board_html((await staff.get(board_url(world))).text)
    # A $25,000 and D $30,000 fit; F (capped at $50,000) does not; C and E count nothing, on neither side.
    assert rows_of(html) == [(ids["A"], "above", "$25,000"), (ids["C"], "none", "—"), (ids["D"], "above", "$55,000"),
                             (ids["E"], "none", "—"), (ids["F"], "below", "$105,000")]
    assert "Not counted (waitlisted)" in html and "Not counted (declined)" in html
    assert ("The funding line falls after 2 applications: 1 below it. 2 declined or waitlisted applications count "
            "nothing and are on neither side.") in " ".join(html.split())
    # The line is drawn before F, the first counted application past the budget.
    line = html.index('data-testid="funding-line"')
    assert html.index(f'data-application-id="{ids["E"]}"') < line < html.index(f'data-application-id="{ids["F"]}"')


async def test_release_with_no_drafts_is_not_offered_and_is_refused(world, as_persona):
    await make_round(world, [("C", 4_000_000, 2)])
    staff = await as_persona("staff")
    html = (await staff.get(board_url(world))).text
    assert 'data-testid="release-submit"' not in html
    assert "No draft decisions to release: 2 applications are still without a decision." in html
    response = await staff.post(f"{board_url(world)}/release", {})
    assert response.status_code == 422
    assert "There are no draft decisions to release" in response.text
    assert await AuditEvent.count().where(AuditEvent.action == "decisions.released") == 0


async def test_demo_boards_speak_in_each_program_unit(demo, make_client):
    from portal.demo import DEMO_PASSWORD

    programs = {r["slug"]: r["id"] for r in await Program.select(Program.slug, Program.id)}
    staff = await make_client()
    await staff.login("staff@mayorsinnovation.example", DEMO_PASSWORD)
    seats = board_html((await staff.get(f"/staff/programs/{programs['pedestrian-safety']}/decisions")).text)
    assert 'Seats in the cohort: <strong data-testid="budget">3</strong>' in seats and "$" not in seats
    assert seats.count("Not counted (declined)") == 2 and 'data-testid="decision-warnings"' not in seats
    convening = await make_client()
    await convening.login("staff@nationalresourcenetwork.example", DEMO_PASSWORD)
    html = board_html((await convening.get(f"/staff/programs/{programs['national-convening-team']}/decisions")).text)
    assert "decides applications as they arrive" in html and 'data-testid="warning-deadline"' not in html
    assert 'data-testid="warning-reviews"' in html  # Providence: one of the two reviews the panel asks for
    nlc = await make_client()
    await nlc.login("staff@nlc.example", DEMO_PASSWORD)
    html = board_html((await nlc.get(f"/staff/programs/{programs['city-innovation-ecosystems']}/decisions")).text)
    assert "hours of technical assistance, at most 100; optional." in html
    assert 'data-testid="warning-deadline"' in html  # it closes in 20 days and decides in one round
