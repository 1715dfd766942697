"""Security finding 8 on pages: bidi controls (U+202A–202E, U+2066–2069, U+200E/F, U+061C) in names, answers and
comments reordered the page text after them. Every value a template outputs is isolated (portal/core/bidi.py):
no control from user text may stand outside an isolate, nor leave one open."""

from __future__ import annotations

from portal.accounts.tables import Organisation, User
from portal.applications.tables import Application
from portal.core import bidi
from portal.core.bidi import isolate
from portal.reviews.tables import Assignment

RLO, LRE, PDF, RLI, RLM = "\u202e", "\u202a", "\u202c", "\u2067", "\u200f"


def controls_outside_isolates(html: str) -> list[str]:
    """The bidi controls of `html` that could reach the page's own text: any outside an isolate, and any
    isolate or embedding left open at the end."""
    outside, depth, stack = [], 0, []
    for char in html:
        if char in bidi.ISOLATES:
            depth += 1
            stack.append(char)
        elif char == bidi.POP_ISOLATE:
            depth -= 1
            while stack and stack.pop() not in bidi.ISOLATES:
                pass
        elif depth <= 0 and (char in bidi.EMBEDDINGS or char in bidi.MARKS or char == bidi.POP_EMBEDDING):
            outside.append(f"U+{ord(char):04X}")
        elif char in bidi.EMBEDDINGS:
            stack.append(char)
        elif char == bidi.POP_EMBEDDING and stack and stack[-1] in bidi.EMBEDDINGS:
            stack.pop()
    return outside + [f"open U+{ord(c):04X}" for c in stack] + (["unbalanced PDI"] if depth < 0 else [])


async def laced_with_controls(world) -> None:
    """Springfield's name, its owner's name, its application's title and answer, and a review comment, each
    with a control that was never closed (or closes what it did not open)."""
    await Organisation.update({Organisation.name: f"{RLO}Springfield"}).where(Organisation.id == world["city_a"])
    await User.update({User.name: f"Ann {RLI}Applicant{RLM}"}).where(User.id == world["applicant"])
    await Application.update({Application.title: f"Screenings {LRE}for every{PDF}{PDF} toddler{RLO}"}).where(
        Application.id == world["application_a"])
    await Assignment.update({Assignment.status: "submitted", Assignment.comment: f"{RLO}Strong plan",
                             Assignment.applicant_comment: f"{RLO}Say more"}).where(
        Assignment.id == world["assignment"])


async def test_bidi_controls_in_user_text_stay_isolated_on_staff_pages(world, as_persona):
    await laced_with_controls(world)
    staff = await as_persona("staff")
    program, app = world["program"], world["application_a"]
    for url in [f"/staff/programs/{program}", f"/staff/programs/{program}/panel",
                f"/staff/programs/{program}/panel/ranking", f"/applications/{app}", "/dashboard"]:
        response = await staff.get(url)
        assert (url, response.status_code) == (url, 200)
        assert (url, controls_outside_isolates(response.text)) == (url, [])
        if "Springfield" in response.text:
            assert f"\u2068{RLO}Springfield{PDF}\u2069" in response.text


async def test_bidi_controls_in_user_text_stay_isolated_on_applicant_pages(world, as_persona):
    await laced_with_controls(world)
    applicant = await as_persona("applicant")
    for url in ["/dashboard", f"/applications/{world['application_a']}"]:
        response = await applicant.get(url)
        assert (url, response.status_code) == (url, 200)
        assert (url, controls_outside_isolates(response.text)) == (url, [])


def test_bidi_isolate_wraps_a_value_once_and_leaves_plain_text_alone():
    assert isolate("Springfield") == "Springfield"
    once = isolate(f"{RLO}Springfield")
    assert once == f"\u2068{RLO}Springfield{PDF}\u2069"
    assert isolate(once) == once  # shown in a form field and saved again: not wrapped twice
    assert isolate(f"a{PDF}b") == "\u2068ab\u2069"  # a closer of nothing it opened would close the page's own
