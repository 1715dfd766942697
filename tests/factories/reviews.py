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


async def make_panel(program_id: int, *, blind: bool = False, k: int = 3, name: str = "Review panel",
                     members: list[int] = (), due_at=None, **columns) -> int:
    """A review panel for the program, with `members` on it (each also gets the program's reviewer role)."""
    from portal.programs.tables import ProgramRole
    from portal.reviews.tables import PanelMember, ReviewPanel

    rows = await ReviewPanel.insert(ReviewPanel(program=program_id, name=name, blind=blind,
                                                reviews_per_application=k, due_at=due_at, created_at=clock.now(),
                                                **columns)).returning(ReviewPanel.id)
    panel_id = rows[0]["id"]
    for user_id in members:
        await add_panel_member(panel_id, program_id, user_id)
    return panel_id


async def add_panel_member(panel_id: int, program_id: int, user_id: int, *, capacity: int = 10,
                           expertise: str = "", home_city: str = "") -> None:
    from portal.programs.tables import ProgramRole
    from portal.reviews.tables import PanelMember

    await PanelMember.insert(PanelMember(panel=panel_id, user=user_id, capacity=capacity, expertise=expertise,
                                         home_city=home_city, joined_at=clock.now()))
    if not await ProgramRole.exists().where((ProgramRole.program == program_id) & (ProgramRole.user == user_id)
                                            & (ProgramRole.role == "reviewer")):
        await ProgramRole.insert(ProgramRole(program=program_id, user=user_id, role="reviewer",
                                             created_at=clock.now()))
