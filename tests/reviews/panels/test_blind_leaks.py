"""Blind review: the panel page warns staff when an application's identifying values (the city's name, its
people's names and email domains, its identifying answers) stand where a blind reviewer reads them, and the
demo's own blind program (City Innovation Ecosystems) marks the fields that name the city."""

from __future__ import annotations

import re

import pytest

from portal.applications import blind as blinding
from portal.applications.tables import Application
from portal.demo import CIE_TITLES, seed
from portal.programs.tables import Program
from portal.reviews.tables import ReviewPanel
from tests.factories.blind import BLIND_ANSWERS, CONTACT, OWNER, TEAM_MEMBER, build_review_cases


@pytest.fixture
async def cases(portal, world):
    return await build_review_cases(world, portal.state.settings.files_dir)


async def leak_into_answers(cases) -> None:
    answers = {**BLIND_ANSWERS, "need": f"Quillbrook Falls has few parks; {OWNER} and {CONTACT} lead the work.",
               "partners": [{"name": "Marchetti Wetland Trust", "role": "Mails quillbrook-falls.gov staff"}]}
    await Application.update({Application.answers: answers,
                              Application.title: f"Rain gardens with {TEAM_MEMBER}"}).where(
        Application.id == cases["blind_application"])


def warning_items(html: str) -> list[str]:
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", item)).strip()
            for item in re.findall(r'<li data-testid="blind-leak">(.*?)</ul></li>', html, re.S)]


async def test_panel_page_warns_of_identifying_values_in_blind_answers_and_title(cases, as_persona):
    await leak_into_answers(cases)
    staff = await as_persona("staff")
    html = (await staff.get(f"/staff/programs/{cases['blind_program']}/panel")).text
    assert "reviewers will see identifying values in 1 application" in html
    assert f'href="/applications/{cases["blind_application"]}"' in html
    assert warning_items(html) == [
        f"Rain gardens with {TEAM_MEMBER} (Quillbrook Falls): Title: “{TEAM_MEMBER}” "
        f"The need: “Zephyrine Okonkwo-Blackwood” The need: “Ottoline Fairweather” The need: “Quillbrook Falls” "
        "Partners: Role: “quillbrook-falls.gov”"]


async def test_panel_page_has_no_warning_when_blind_answers_name_no_one(cases, as_persona):
    staff = await as_persona("staff")
    html = (await staff.get(f"/staff/programs/{cases['blind_program']}/panel")).text
    assert (await blinding.list_identity_leaks(cases["blind_program"]), 'data-testid="blind-leaks"' in html) == (
        [], False)


async def test_panel_page_does_not_warn_when_the_panel_is_not_blind(cases, as_persona):
    await leak_into_answers(cases)
    await ReviewPanel.update({ReviewPanel.blind: False}).where(ReviewPanel.id == cases["blind_panel"])
    staff = await as_persona("staff")
    html = (await staff.get(f"/staff/programs/{cases['blind_program']}/panel")).text
    assert 'data-testid="blind-leaks"' not in html


async def test_demo_blind_program_shows_its_reviewers_no_city_name(portal, make_client):
    await seed(portal.state.settings)
    program = await Program.select(Program.id).where(Program.slug == "city-innovation-ecosystems").first()
    assert await blinding.list_identity_leaks(program["id"]) == []
    titles = await Application.select(Application.title).where(Application.program == program["id"]).output(
        as_list=True)
    assert (len(titles), set(titles) <= set(CIE_TITLES.values())) == (3, True)  # named, and not by the city
    panel = await ReviewPanel.select(ReviewPanel.id).where(ReviewPanel.program == program["id"]).first()
    reviewer = await make_client()
    await reviewer.login("reviewer.banks@experts.example", "demo-password-2026")
    page = await reviewer.get(f"/panels/{panel['id']}/applications")
    assert (page.status_code, "Boise" in page.text) == (200, False)
