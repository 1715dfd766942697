"""The decision board (issue 5, i5-decisions): order, running total and funding line, drafts with their 422s,
bulk decisions, tie-breaks, the release (awards, one email per applicant, idempotent), over-budget
confirmation and access."""

from __future__ import annotations

import json
from datetime import timedelta

from portal.applications.tables import Application
from portal.awards.decisions.tables import Decision
from portal.awards.tables import Award
from portal.core import clock
from portal.core.tables import AuditEvent, OutboundEmail
from portal.programs.tables import Program
from portal.reviews.tables import PanelOutcome, ReviewPanel
from tests.factories import VALID_ANSWERS, add_member, assign, make_application, make_org, make_user
from tests.factories.reviews import write_review

BUDGET = 10_000_000  # $100,000


def board_url(world) -> str:
    return f"/staff/programs/{world['program']}/decisions"


def row_url(world, application_id: int) -> str:
    return f"{board_url(world)}/applications/{application_id}"


async def make_round(world, entries: list[tuple[str, int, int | None]], *, budget: int = BUDGET,
                     offer_kind: str = "cash", reviewed: bool = True) -> dict[str, int]:
    """Applications of new cities (title, requested cents, final rank or None), plus city A's application
    (requested $25,000) ranked 1; the program's budget set to `budget`, its deadline passed yesterday. With
    `reviewed`, the panel asks for one review per application and each has one, submitted. Returns title ->
    application id."""
    await Program.update({Program.budget_cents: budget, Program.offer_kind: offer_kind,
                          Program.deadline_at: clock.now() - timedelta(days=1)}).where(Program.id == world["program"])
    ids = {"A": world["application_a"]}
    await PanelOutcome.insert(PanelOutcome(panel=world["panel"], application=world["application_a"],
                                           status="discussed", final_rank=1, updated_at=clock.now()))
    for title, cents, rank in entries:
        city = await make_org("city", f"Town {title}", state="OH", domain=f"town{title.lower()}.gov")
        owner = await make_user(f"owner@town{title.lower()}.gov")
        await add_member(owner, city, "owner")
        app_id = await make_application(world["program"], city, owner, status="submitted",
                                        answers=VALID_ANSWERS | {"project_title": f"Project {title}", "amount": cents})
        ids[title] = app_id
        if rank is not None:
            await PanelOutcome.insert(PanelOutcome(panel=world["panel"], application=app_id, status="discussed",
                                                   final_rank=rank, updated_at=clock.now()))
    if reviewed:
        await ReviewPanel.update({ReviewPanel.reviews_per_application: 1}).where(ReviewPanel.id == world["panel"])
        await write_review(world["assignment"], world["program"], [4, 4])
        for title, app_id in ids.items():
            if title != "A":
                await write_review(await assign(app_id, world["reviewer"], world["staff"]), world["program"], [3, 4])
    return ids


STANDARD = [("C", 4_000_000, 2), ("D", 3_000_000, 3), ("E", 2_000_000, 4), ("F", 6_000_000, 5)]


def rows_of(html: str) -> list[tuple[int, str, str]]:
    """(application id, side, running total text) of each board row, in page order."""
    import re

    found = re.findall(r'data-testid="decision-row" data-application-id="(\d+)" data-side="(\w+)".*?'
                       r'data-testid="running">([^<]*)<', html, re.S)
    return [(int(a), side, running) for a, side, running in found]


async def test_board_order_running_total_and_funding_line(world, as_persona):
    ids = await make_round(world, STANDARD)
    staff = await as_persona("staff")
    response = await staff.get(board_url(world))
    assert response.status_code == 200
    html = response.text
    assert rows_of(html) == [
        (ids["A"], "above", "$25,000"), (ids["C"], "above", "$65,000"), (ids["D"], "above", "$95,000"),
        (ids["E"], "below", "$115,000"), (ids["F"], "below", "$165,000"),  # F asked $60,000: capped at $50,000
    ]
    # The line is text, between D and E, with the budget.
    line = html.index('data-testid="funding-line"')
    assert html.index(f'data-application-id="{ids["D"]}"') < line < html.index(f'data-application-id="{ids["E"]}"')
    assert "the budget of $100,000 runs out here" in html
    assert "<caption>" in html and 'scope="col"' in html and 'scope="row"' in html
    assert "The funding line falls after 3 applications: 2 below it." in html


async def test_board_falls_back_to_the_panel_ranking(world, as_persona):
    await Program.update({Program.budget_cents: BUDGET}).where(Program.id == world["program"])
    ids = {}
    for title in ("Zeta", "Beta"):
        city = await make_org("city", f"Town {title}", state="OH")
        owner = await make_user(f"owner@{title.lower()}.gov")
        ids[title] = await make_application(world["program"], city, owner, status="submitted",
                                            answers=VALID_ANSWERS | {"project_title": title})
    staff = await as_persona("staff")
    html = (await staff.get(board_url(world))).text
    # No final ranking saved and nothing scored: every application unranked, by title.
    order = [a for a, _, _ in rows_of(html)]
    assert order == [ids["Beta"], world["application_a"], ids["Zeta"]]
    assert "the panel ranking (no final ranking saved)" in html


async def test_draft_edit_saves_and_moves_the_line(world, as_persona):
    ids = await make_round(world, STANDARD)
    staff = await as_persona("staff")
    # Declining C takes its $40,000 out of the running total: E now fits above the line.
    response = await staff.post(row_url(world, ids["C"]), {"outcome": "decline", "note": "Not this round."})
    assert response.status_code == 303
    draft = await Decision.select().where(Decision.application == ids["C"]).first()
    assert draft["outcome"] == "decline" and draft["note"] == "Not this round." and draft["released_at"] is None
    # A smaller award than requested for A.
    response = await staff.post(row_url(world, ids["A"]), {"outcome": "award", "amount": "20,000"})
    assert response.status_code == 303
    html = (await staff.get(board_url(world))).text
    # The declined C counts nothing and is on neither side of the line.
    assert rows_of(html) == [
        (ids["A"], "above", "$20,000"), (ids["C"], "none", "—"), (ids["D"], "above", "$50,000"),
        (ids["E"], "above", "$70,000"), (ids["F"], "below", "$120,000"),
    ]
    # Drafts change no application and make no award.
    assert await Award.count() == 0
    statuses = await Application.select(Application.status).where(Application.id.is_in([ids["A"], ids["C"]]))
    assert {r["status"] for r in statuses} == {"submitted"}
    # Clearing a draft.
    assert (await staff.post(row_url(world, ids["C"]), {"outcome": "clear"})).status_code == 303
    assert await Decision.count().where(Decision.application == ids["C"]) == 0


async def test_draft_edit_422_shows_every_error_and_htmx_gets_the_board(world, as_persona):
    ids = await make_round(world, STANDARD)
    staff = await as_persona("staff")
    response = await staff.post(row_url(world, ids["C"]), {"outcome": "award", "amount": "60000",
                                                           "note": "x" * 5000})
    assert response.status_code == 422
    assert "largest award ($50,000)" in response.text and "Keep the note under 4,000 characters." in response.text
    assert "There are 2 problems to fix" in response.text
    assert 'value="60000"' in response.text  # what was typed is kept
    for bad in ({"outcome": "maybe"}, {"outcome": "award", "amount": "lots"}, {"outcome": "award", "amount": "0"},
                {"outcome": "award"}, {}):
        assert (await staff.post(row_url(world, ids["C"]), bad)).status_code == 422, bad
    assert await Decision.count() == 0
    # HTMX: the board block alone, at 422 with the errors, then at 200 with "Draft saved."
    response = await staff.htmx("POST", row_url(world, ids["C"]), {"outcome": "award", "amount": "abc"})
    assert response.status_code == 422 and "<html" not in response.text
    assert 'id="decision-board"' in response.text and "Enter the amount in dollars" in response.text
    response = await staff.htmx("POST", row_url(world, ids["C"]), {"outcome": "award", "amount": "35000"})
    assert response.status_code == 200 and "Draft saved." in response.text and "<html" not in response.text
    assert (await Decision.select(Decision.amount_cents).first())["amount_cents"] == 3_500_000
    # An application of another program, or none at all: 404.
    other = await make_application(world["other_program"], world["city_a"], world["applicant"], status="submitted")
    assert (await staff.post(row_url(world, other), {"outcome": "decline"})).status_code == 404
    assert (await staff.post(row_url(world, 99_999_999), {"outcome": "decline"})).status_code == 404
    assert (await staff.post(f"{board_url(world)}/applications/abc", {"outcome": "decline"})).status_code in (400, 404)


async def test_bulk_award_above_and_decline_below_the_line(world, as_persona):
    ids = await make_round(world, STANDARD)
    staff = await as_persona("staff")
    await staff.post(row_url(world, ids["C"]), {"outcome": "waitlist"})  # a draft already there is left alone
    assert (await staff.post(f"{board_url(world)}/bulk", {"action": "nonsense"})).status_code == 422
    response = await staff.post(f"{board_url(world)}/bulk", {"action": "award_above"})
    assert response.status_code == 303
    drafts = {r["application"]: r for r in await Decision.select()}
    assert drafts[ids["C"]]["outcome"] == "waitlist"
    # With C waitlisted the line moved: A, D and E fit ($75,000); F (capped at $50,000) does not.
    assert {app: (d["outcome"], d["amount_cents"]) for app, d in drafts.items() if d["outcome"] == "award"} == {
        ids["A"]: ("award", 2_500_000), ids["D"]: ("award", 3_000_000), ids["E"]: ("award", 2_000_000)}
    assert (await staff.post(f"{board_url(world)}/bulk", {"action": "decline_below"})).status_code == 303
    drafts = {r["application"]: r for r in await Decision.select()}
    assert drafts[ids["F"]]["outcome"] == "decline"
    assert len(drafts) == 5
    assert await AuditEvent.count().where(AuditEvent.action == "decision.bulk") == 2


async def test_tie_break_is_required_when_a_tie_straddles_the_line(world, as_persona):
    # C and D share rank 2: $25,000 + $40,000 fits, + $40,000 does not.
    ids = await make_round(world, [("C", 4_000_000, 2), ("D", 4_000_000, 2)])
    staff = await as_persona("staff")
    html = (await staff.get(board_url(world))).text
    assert rows_of(html) == [(ids["A"], "above", "$25,000"), (ids["C"], "above", "$65,000"),
                             (ids["D"], "below", "$105,000")]
    assert "(tied)" in html and "Tie-break rule (required)" in html
    response = await staff.post(row_url(world, ids["C"]), {"outcome": "award", "amount": "40000"})
    assert response.status_code == 422 and "record the tie-break rule" in response.text
    response = await staff.post(f"{board_url(world)}/bulk", {"action": "award_above"})
    assert response.status_code == 422 and "record the tie-break rule" in response.text
    assert await Decision.count() == 0
    rule = "Tie broken by the smaller city first (rule fixed before the meeting)."
    response = await staff.post(f"{board_url(world)}/bulk", {"action": "award_above", "tie_break_note": rule})
    assert response.status_code == 303
    drafts = {r["application"]: r for r in await Decision.select()}
    assert drafts[ids["C"]]["tie_break_note"] == rule and drafts[ids["A"]]["tie_break_note"] == ""
    # A row decision in the tie needs it too; the release checks every draft of the tie has one.
    await staff.post(row_url(world, ids["D"]), {"outcome": "waitlist", "tie_break_note": rule})
    assert (await Decision.select().where(Decision.application == ids["D"]).first())["tie_break_note"] == rule


async def test_release_awards_declines_waitlists_and_tells_each_applicant_once(world, as_persona, mailbox):
    ids = await make_round(world, [("C", 4_000_000, 2), ("D", 3_000_000, 3), ("E", 2_000_000, 4)])
    staff = await as_persona("staff")
    await staff.post(row_url(world, ids["A"]), {"outcome": "award", "amount": "20000"})
    await staff.post(row_url(world, ids["C"]), {"outcome": "award", "amount": "40000"})
    await staff.post(row_url(world, ids["D"]), {"outcome": "decline", "note": "The budget ran out."})
    # Not everything is decided yet: 422, nothing released.
    response = await staff.post(f"{board_url(world)}/release", {})
    assert response.status_code == 422 and "1 application still has no decision" in response.text
    assert await Award.count() == 0 and await OutboundEmail.count() == 0
    await staff.post(row_url(world, ids["E"]), {"outcome": "waitlist", "note": "First in line if funds free up."})
    response = await staff.post(f"{board_url(world)}/release", {})
    assert response.status_code == 303 and response.headers["location"].endswith("?done=released#release")
    awards = {r["application"]: r for r in await Award.select()}
    assert {app: (a["amount_cents"], a["status"]) for app, a in awards.items()} == {
        ids["A"]: (2_000_000, "offered"), ids["C"]: (4_000_000, "offered")}
    statuses = {r["id"]: r["status"] for r in await Application.select(Application.id, Application.status).where(
        Application.id.is_in(list(ids.values())))}
    assert statuses == {ids["A"]: "awarded", ids["C"]: "awarded", ids["D"]: "declined", ids["E"]: "submitted"}
    drafts = {r["application"]: r for r in await Decision.select()}
    assert all(d["released_at"] is not None for d in drafts.values())
    assert drafts[ids["A"]]["award_id"] == awards[ids["A"]]["id"]
    # One email to each member of each city (city A has two members), queued in the release.
    recipients = ["applicant@springfield.gov", "colleague@springfield.gov", "owner@townc.gov", "owner@townd.gov",
                  "owner@towne.gov"]
    queued = await OutboundEmail.select(OutboundEmail.to_address, OutboundEmail.subject)
    assert sorted(r["to_address"] for r in queued) == recipients
    assert "waiting list" in (await mailbox.wait_for("owner@towne.gov", "waiting list"))["Subject"]
    await mailbox.wait_for("owner@townd.gov", "Decision")
    await mailbox.wait_for("owner@townc.gov", "Award")
    await mailbox.wait_for("colleague@springfield.gov", "Award")
    assert await AuditEvent.count().where(AuditEvent.action == "decisions.released") == 1
    # Released rows are final on the board; releasing again is refused, says why, and sends nothing.
    html = (await staff.get(board_url(world))).text
    assert "Released: waitlist" in html and 'data-testid="decision-form"' not in html
    assert (await staff.post(row_url(world, ids["E"]), {"outcome": "award", "amount": "1"})).status_code == 409
    response = await staff.post(f"{board_url(world)}/release", {})
    assert response.status_code == 422 and "There are no draft decisions to release" in response.text
    assert await Award.count() == 2 and await OutboundEmail.count() == len(recipients)
    assert await AuditEvent.count().where(AuditEvent.action == "decisions.released") == 1


async def test_release_over_budget_needs_confirmation(world, as_persona):
    ids = await make_round(world, [("C", 4_000_000, 2)], budget=5_000_000)  # $50,000: A + C is $65,000
    staff = await as_persona("staff")
    await staff.post(row_url(world, ids["A"]), {"outcome": "award", "amount": "25000"})
    await staff.post(row_url(world, ids["C"]), {"outcome": "award", "amount": "40000"})
    html = (await staff.get(board_url(world))).text
    assert "awards exceed the budget by $15,000" in html and 'name="confirm_over_budget"' in html
    response = await staff.post(f"{board_url(world)}/release", {})
    assert response.status_code == 422
    assert "$15,000 more than the budget of $50,000" in response.text and "Tick the confirmation" in response.text
    assert await Award.count() == 0 and await OutboundEmail.count() == 0
    # Confirmed: released over the budget, the excess recorded on the audit rows.
    response = await staff.post(f"{board_url(world)}/release", {"confirm_over_budget": "yes"})
    assert response.status_code == 303
    assert await Award.count() == 2
    assert await Decision.count().where(Decision.released_at.is_not_null()) == 2
    released = await AuditEvent.select(AuditEvent.detail).where(AuditEvent.action == "decisions.released").first()
    detail = released["detail"] if isinstance(released["detail"], dict) else json.loads(released["detail"])
    assert detail["over_budget_cents"] == 1_500_000
    # The letters were made after the release committed.
    assert await Award.count().where(Award.letter_sha256 != "") == 2


async def test_release_within_budget_needs_no_confirmation(world, as_persona):
    ids = await make_round(world, [("C", 4_000_000, 2)], budget=5_000_000)
    staff = await as_persona("staff")
    await staff.post(row_url(world, ids["A"]), {"outcome": "award", "amount": "25000"})
    await staff.post(row_url(world, ids["C"]), {"outcome": "award", "amount": "25000"})
    assert (await staff.post(f"{board_url(world)}/release", {})).status_code == 303
    assert await Award.count() == 2


async def test_the_per_application_decision_page_still_works_beside_the_board(world, as_persona):
    ids = await make_round(world, [("C", 4_000_000, 2)])
    staff = await as_persona("staff")
    await staff.post(row_url(world, ids["C"]), {"outcome": "award", "amount": "40000"})
    response = await staff.post(f"/staff/applications/{ids['A']}/decision", {
        "decision": "award", "amount": "25000", "conditions": "", "start_date": "2027-01-01",
        "end_date": "2027-12-31"})
    assert response.status_code == 303
    html = (await staff.get(board_url(world))).text
    assert "Awarded ($25,000, offered)" in html
    award_id = (await Award.select(Award.id).first())["id"]
    assert f'href="/awards/{award_id}" data-testid="award-link"' in html  # the board leads to the award
    assert rows_of(html)[0] == (ids["A"], "above", "$25,000")
    assert (await staff.post(row_url(world, ids["A"]), {"outcome": "decline"})).status_code == 409
    # The release leaves the award made on its own page alone and releases C.
    assert (await staff.post(f"{board_url(world)}/release", {})).status_code == 303
    assert await Award.count() == 2


async def test_technical_assistance_hours_and_cohort_seats(world, as_persona):
    ids = await make_round(world, [("C", 4_000_000, 2)], offer_kind="ta_hours")
    staff = await as_persona("staff")
    response = await staff.post(row_url(world, ids["A"]), {"outcome": "award", "amount": "25000", "hours": "ten"})
    assert response.status_code == 422 and "whole number" in response.text
    response = await staff.post(row_url(world, ids["A"]), {"outcome": "award", "amount": "25000", "hours": "120"})
    assert response.status_code == 303
    html = (await staff.get(board_url(world))).text
    assert "120 hours" in html and "Value of the hours" in html
    await staff.post(row_url(world, ids["C"]), {"outcome": "decline"})
    assert (await staff.post(f"{board_url(world)}/release", {})).status_code == 303
    award = await Award.select(Award.ta_hours, Award.conditions).where(Award.application == ids["A"]).first()
    assert award["ta_hours"] == 120  # stored on the award, not written into its conditions
    assert "120" not in award["conditions"]
    await Program.update({Program.offer_kind: "cohort_seat"}).where(Program.id == world["program"])
    late = world["application_b"]  # city B's draft, submitted now: an open row again
    await Application.update({Application.status: "submitted"}).where(Application.id == late)
    response = await staff.post(row_url(world, late), {"outcome": "award"})  # a seat has no amount
    assert response.status_code == 303
    draft = await Decision.select(Decision.quantity, Decision.amount_cents).where(Decision.application == late).first()
    assert (draft["quantity"], draft["amount_cents"]) == (1, 0)
    html = (await staff.get(board_url(world))).text
    assert "1 seat" in html and "An award is one seat in the cohort." in html and "Value of the seat" not in html


async def test_board_access(world, as_persona):
    await make_round(world, STANDARD)
    for persona, status in (("staff", 200), ("admin", 200), ("applicant", 403), ("reviewer", 403),
                            ("funder", 403)):
        client = await as_persona(persona)
        assert (await client.get(board_url(world))).status_code == status, persona
    anonymous = await as_persona("anonymous")
    assert (await anonymous.get(board_url(world))).status_code == 303
    staff = await as_persona("staff")
    assert (await staff.get("/staff/programs/99999999/decisions")).status_code == 404
    # No CSRF token: refused, nothing written.
    response = await staff.post(f"{board_url(world)}/bulk", {"action": "award_above"}, csrf=False)
    assert response.status_code == 403 and await Decision.count() == 0
    program_page = (await staff.get(f"/staff/programs/{world['program']}")).text
    assert f'href="/staff/programs/{world["program"]}/decisions"' in program_page


async def test_two_releases_at_once_release_once(world, as_persona):
    import asyncio

    ids = await make_round(world, [("C", 4_000_000, 2)])
    staff, again = await as_persona("staff"), await as_persona("staff")
    await staff.post(row_url(world, ids["A"]), {"outcome": "award", "amount": "25000"})
    await staff.post(row_url(world, ids["C"]), {"outcome": "waitlist"})
    await again.get(board_url(world))
    first, second = await asyncio.gather(staff.post(f"{board_url(world)}/release", {}),
                                         again.post(f"{board_url(world)}/release", {}))
    # One releases; the other finds nothing left to release and says so.
    assert sorted([first.status_code, second.status_code]) == [303, 422]
    released = first if first.status_code == 303 else second
    assert released.headers["location"] == f"{board_url(world)}?done=released#release"
    assert "There are no draft decisions to release" in (second if released is first else first).text
    assert await Award.count() == 1
    assert await OutboundEmail.count() == 3  # city A's two members and C's owner, once each
    assert await AuditEvent.count().where(AuditEvent.action == "decisions.released") == 1
