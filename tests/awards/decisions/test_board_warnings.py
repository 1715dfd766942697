"""The decision board warns before the program's deadline (except for a program that decides as applications
arrive) and for applications with fewer reviews than the panel asks for; the release asks staff to confirm each
and records it in the audit (issue 10)."""

from __future__ import annotations

from datetime import timedelta

from portal.awards.tables import Award
from portal.core import clock
from tests.awards.decisions.test_board_units import board_html, released_detail, set_program
from tests.awards.decisions.test_decisions import board_url, make_round, row_url


async def decide_all(staff, world, ids: dict[str, int]) -> None:
    for app_id in ids.values():
        assert (await staff.post(row_url(world, app_id), {"outcome": "award", "amount": "20000"})).status_code == 303


async def test_board_warns_before_the_deadline_and_the_release_needs_confirmation(world, as_persona):
    ids = await make_round(world, [("C", 4_000_000, 2)])
    await set_program(world, deadline_at=clock.now() + timedelta(days=3))
    staff = await as_persona("staff")
    html = board_html((await staff.get(board_url(world))).text)
    assert 'data-testid="warning-deadline"' in html and "The program's deadline has not passed" in html
    await decide_all(staff, world, ids)
    assert 'name="confirm_before_deadline"' in (await staff.get(board_url(world))).text
    response = await staff.post(f"{board_url(world)}/release", {})
    assert response.status_code == 422 and "Tick the confirmation to release before the deadline." in response.text
    assert await Award.count() == 0
    response = await staff.post(f"{board_url(world)}/release", {"confirm_before_deadline": "yes"})
    assert response.status_code == 303 and await Award.count() == 2
    assert (await released_detail())["before_deadline"] is True


async def test_board_warns_within_the_grace_minutes_after_the_deadline(world, as_persona):
    await make_round(world, [("C", 4_000_000, 2)])
    await set_program(world, deadline_at=clock.now() - timedelta(minutes=5), grace_minutes=30)
    staff = await as_persona("staff")
    assert 'data-testid="warning-deadline"' in (await staff.get(board_url(world))).text


async def test_board_after_the_deadline_with_enough_reviews_warns_of_nothing(world, as_persona):
    ids = await make_round(world, [("C", 4_000_000, 2)])
    staff = await as_persona("staff")
    assert 'data-testid="decision-warnings"' not in (await staff.get(board_url(world))).text
    await decide_all(staff, world, ids)
    assert (await staff.post(f"{board_url(world)}/release", {})).status_code == 303
    detail = await released_detail()
    assert (detail["before_deadline"], detail["few_reviews"]) == (False, [])


async def test_rolling_program_is_not_warned_before_the_deadline(world, as_persona):
    ids = await make_round(world, [("C", 4_000_000, 2)])
    await set_program(world, deadline_at=clock.now() + timedelta(days=45), rolling_decisions=True)
    staff = await as_persona("staff")
    html = board_html((await staff.get(board_url(world))).text)
    assert 'data-testid="warning-deadline"' not in html and "decides applications as they arrive" in html
    await decide_all(staff, world, ids)
    assert (await staff.post(f"{board_url(world)}/release", {})).status_code == 303
    assert (await released_detail())["before_deadline"] is False


async def test_board_warns_of_applications_with_too_few_reviews_and_the_release_needs_confirmation(world, as_persona):
    ids = await make_round(world, [("C", 4_000_000, 2)], reviewed=False)  # the panel asks for 3 reviews each
    await set_program(world, rolling_decisions=True, deadline_at=clock.now() + timedelta(days=45))
    staff = await as_persona("staff")
    html = board_html((await staff.get(board_url(world))).text)
    assert 'data-testid="warning-reviews"' in html
    assert "2 applications without a final decision have fewer than the 3 reviews the panel asks for each" in html
    assert html.count('data-testid="few-reviews">0 of 3 reviews<') == 2
    await decide_all(staff, world, ids)
    response = await staff.post(f"{board_url(world)}/release", {})
    assert response.status_code == 422
    assert "2 decisions to release are on fewer than 3 reviews" in response.text and await Award.count() == 0
    response = await staff.post(f"{board_url(world)}/release", {"confirm_few_reviews": "yes"})
    assert response.status_code == 303 and await Award.count() == 2
    assert sorted((await released_detail())["few_reviews"]) == sorted(ids.values())
    # Decided: nothing is left to warn about.
    assert 'data-testid="warning-reviews"' not in (await staff.get(board_url(world))).text

