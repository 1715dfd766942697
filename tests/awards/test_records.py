"""The award records (portal/awards/records.py, tranches/records.py, decisions/records.py) hold what they declare,
on both engines: built from Piccolo's rows and from the plain-SQL reads. msgspec does not check a record's fields as
`of(row)` builds it, so a record that declares a column's type wrongly, or a raw read left unconverted, would reach
the pages with the wrong type: `typed` checks each field against its annotation."""

from __future__ import annotations

import types
import typing
from datetime import date, datetime

import msgspec

from portal.applications.tables import Application
from portal.awards import queries
from portal.awards.acceptance import services as acceptance
from portal.awards.decisions import queries as decision_queries
from portal.awards.decisions.tables import Decision
from portal.awards.tranches import services as tranches
from portal.core import clock
from portal.dashboards import queries as funder_queries
from tests.factories.awards import make_award

ACCEPT = {"decision": "accept", "typed_name": "Applicant", "title": "Mayor", "agree": "yes"}
SCHEDULE = {"amount_1": "6,000", "trigger_1": "on_acceptance", "amount_2": "4000", "trigger_2": "on_date",
            "due_date_2": "2027-06-01"}


def _holds(value: object, hint: object) -> bool:
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        return any(_holds(value, arm) for arm in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if hint is object:
        return True
    if hint is date:  # a datetime is a date to isinstance, not to a page that formats a date
        return isinstance(value, date) and not isinstance(value, datetime)
    if isinstance(value, msgspec.Struct):
        return isinstance(value, origin or hint) and typed(value)
    return isinstance(value, origin or hint)


def typed(record: msgspec.Struct) -> bool:
    """Every field of `record` holds a value of its declared type (nested records and list items included)."""
    hints = typing.get_type_hints(type(record))
    for field in msgspec.structs.fields(record):
        value, hint = getattr(record, field.name), hints[field.name]
        assert _holds(value, hint), (type(record).__name__, field.name, value, hint)
        if typing.get_origin(hint) is list:
            [item_hint] = typing.get_args(hint)
            assert all(_holds(item, item_hint) for item in value), (type(record).__name__, field.name)
    return True


async def test_award_records_hold_their_types_on_both_engines(world, as_persona):
    award_id = await make_award(world["application_a"], world["staff"], amount_cents=1_000_000)
    award = await queries.get_award(award_id)
    assert award is not None and typed(award)
    assert (award.city_id, award.program_id, award.status, award.terms.cash_cents) == (
        world["city_a"], world["program"], "offered", 1_000_000)
    assert await queries.award_for_application(world["application_a"]) == award
    [city_award] = await queries.list_awards_for_cities([world["city_a"]])  # plain SQL
    assert typed(city_award) and (city_award.id, city_award.start_date) == (award_id, date(2027, 1, 1))
    [funder_award] = await funder_queries.list_awards([world["program"]])
    assert typed(funder_award) and (funder_award.id, funder_award.terms.summary) == (award_id, "$10,000")
    recipients = await queries.city_member_emails(world["city_a"])
    assert all(typed(r) for r in recipients)
    assert [r.email for r in recipients] == ["applicant@springfield.gov", "colleague@springfield.gov"]

    staff = await as_persona("staff")
    assert (await staff.post(f"/awards/{award_id}/tranches", SCHEDULE)).status_code == 303
    assert (await (await as_persona("applicant")).post(f"/awards/{award_id}/acceptance", ACCEPT)).status_code == 303
    answer = await acceptance.get_acceptance(award_id)
    assert answer is not None and typed(answer) and (answer.decision, answer.typed_name) == ("accepted", "Applicant")
    schedule = await tranches.list_tranches(award_id)
    assert all(typed(t) for t in schedule)
    assert [(t.status, t.due_date, t.payment is not None) for t in schedule] == [
        ("released", None, True), ("scheduled", date(2027, 6, 1), False)]
    locked = await tranches._locked_tranche(schedule[0].id)  # SELECT * through raw SQL
    assert typed(locked) and isinstance(locked.released_at, datetime)


async def test_decision_board_records_hold_their_types_on_both_engines(world):
    await make_award(world["application_a"], world["staff"], amount_cents=1_000_000)
    other = world["application_b"]
    await Application.update({Application.status: "submitted"}).where(Application.id == other)
    await Decision.insert(Decision(program=world["program"], application=other, outcome="award", amount_cents=500_000,
                                   quantity=0, decided_by=world["staff"], updated_at=clock.now()))
    drafts = await decision_queries.drafts_of(world["program"])
    assert typed(drafts[other]) and (drafts[other].outcome, drafts[other].released_at) == ("award", None)
    board = await decision_queries.board(world["program"])
    assert typed(board)
    assert sorted((r.state, r.draft is not None, r.award is not None) for r in board.rows) == [
        ("awarded", False, True), ("draft", True, False)]
