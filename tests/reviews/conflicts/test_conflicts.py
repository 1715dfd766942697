"""Conflicts of interest found from the data and declared, in one query set (portal/reviews/conflicts/queries.py)."""

from portal.core import clock
from portal.reviews.conflicts import queries as conflicts
from portal.reviews.tables import PanelMember, ReviewConflict
from tests.factories import add_member, make_application, make_org, make_user


async def test_found_and_declared_conflicts(world):
    w = world
    member = await make_user("council@springfield.gov")  # same email domain as city A
    resident = await make_user("resident@experts.org")
    outsider = await make_user("outsider@experts.org")
    insider = await make_user("insider@experts.org")
    await add_member(insider, w["city_b"], "member")
    for user_id, home in ((member, ""), (resident, "springfield ,  il"), (outsider, "Chicago, IL"), (insider, "")):
        await PanelMember.insert(PanelMember(panel=w["panel"], user=user_id, home_city=home, joined_at=clock.now()))
    await ReviewConflict.insert(ReviewConflict(application=w["application_b"], reviewer=w["reviewer"], source="reviewer",
                                               reason="I advised their council", declared_at=clock.now()))
    reviewers = [member, resident, outsider, insider, w["reviewer"]]
    found = await conflicts.conflicts([w["application_a"], w["application_b"]], reviewers)
    assert found == {
        (w["application_a"], member): conflicts.DOMAIN,
        (w["application_a"], resident): conflicts.HOME_CITY,
        (w["application_b"], insider): conflicts.MEMBER,
        (w["application_b"], w["reviewer"]): "Declared by the reviewer: I advised their council",
    }
    assert await conflicts.is_conflicted(resident, w["application_a"])
    assert not await conflicts.is_conflicted(outsider, w["application_a"])
    assert not await conflicts.is_conflicted(w["reviewer"], w["application_a"])


async def test_membership_of_any_applicant_organisation_counts(world):
    w = world
    county = await make_org("city", "Sangamon County", state="IL")
    app_id = await make_application(w["program"], county, w["applicant"], status="submitted")
    await add_member(w["idle_reviewer"], county, "member")
    assert await conflicts.conflict_reason(w["idle_reviewer"], app_id) == conflicts.MEMBER
