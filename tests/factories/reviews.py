"""Review factories: reviews written directly, scored in rubric order."""

from __future__ import annotations

from portal.core import clock
from portal.programs.tables import Criterion
from portal.reviews.tables import Assignment, Score


async def criteria_of(program_id: int) -> list[dict]:
    return await Criterion.select().where(Criterion.program == program_id).order_by(Criterion.position)


async def write_review(assignment_id: int, program_id: int, values: list[float], *, submitted: bool = True,
                       comment: str = "A sound proposal.") -> None:
    """Scores in the rubric's position order (the world's rubric: Need weight 40, Plan weight 60)."""
    criteria = await criteria_of(program_id)
    await Score.insert(*[Score(assignment=assignment_id, criterion=c["id"], value=v, comment=f"On {c['name']}")
                         for c, v in zip(criteria, values)])
    await Assignment.update({Assignment.comment: comment, Assignment.status: "submitted" if submitted else "assigned",
                             Assignment.submitted_at: clock.now() if submitted else None}).where(
        Assignment.id == assignment_id)


def score_form(criteria: list[dict], values: list, comment: str = "Overall fine.") -> dict:
    """The scoring form as a browser sends it."""
    form = {"comment": comment}
    for c, v in zip(criteria, values):
        form[f"score_{c['id']}"] = "" if v is None else str(v)
        form[f"comment_{c['id']}"] = f"About {c['name']}" if v is not None else ""
    return form


async def other_network_staff(email: str = "staff@othernetwork.org") -> int:
    """A staff member of a second network, which runs no program of the world."""
    from tests.factories import add_member, make_org, make_user

    user_id = await make_user(email)
    network_id = await make_org("network", "National Resource Network")
    await add_member(user_id, network_id, "staff")
    return user_id
