"""Finding 3: letter templates could stall the server or answer 500.

`{{ city * 100000000 }}` and `{{ 3 ** 6000000 }}` took seconds of CPU and gigabytes on the request loop; `'{{'` x 500
and `{{ 10 ** 5000 }}` answered 500. Now the sandbox refuses big repetitions, powers, products and huge numbers,
loops and imports; the rendered text has a size limit; the save and preview render in a separate process with a
time and memory limit; and every template it refuses answers 422 with a message saying what is wrong."""

from __future__ import annotations

import pytest

from portal.letters import rendering
from portal.letters.rendering import LetterTemplateError, run_isolated

HOSTILE: list[tuple[str, str]] = [  # (body, a word of the message staff see)
    ("{{ city * 100000000 }}", "too long"),
    ("{{ 3 ** 6000000 }}", "too large"),
    ("{{ 10 ** 5000 }}", "too large"),
    ("{{" * 500, "nested too deeply"),
    ("{{ " + "(" * 2000 + "1" + ")" * 2000 + " }}", "nested too deeply"),
    ("{{ " + "9" * 5000 + " }}", "too large"),
    ("{{ 10 ** 300 * 10 ** 300 * 10 ** 300 * 10 ** 300 * 10 ** 300 }}", "too large"),
    ("{{ [city] * 100000000 }}", "only numbers and text"),
    ("{{ city|center(1000000000) }}", "too large"),
    ("{{ city.center(1000000000) }}", "cannot be called"),
    ("{{ '%0999999999d' % 1 }}", "%"),
    ("{{ city|replace('', city * 5000) }}", "too long"),
    ("{% for a in city %}{% for b in city %}{{ a }}{% endfor %}{% endfor %}", "loops"),
    ("{% set a = city * 6000 %}{% set b = a ~ a ~ a ~ a ~ a ~ a ~ a ~ a %}{{ b ~ b ~ b ~ b }}", "too long"),
    ("{{ city * 6000 }}{{ city * 6000 }}", "longer than"),
    ("{% include 'base.html' %}", "include"),
    ("{% extends 'base.html' %}", "extends"),
    ("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", "macros"),
    ("{{ 1 / 0 }}", "cannot be rendered"),
    ("{{ 2.0 ** 5000 }}", "too large"),
    ("{{ city|safe }}", "filter"),
    ("{{ city|format }}", "filter"),
]


async def post_template(staff, program_id: int, body: str, preview: bool):
    path = "preview" if preview else "templates"
    return await staff.post(f"/staff/programs/{program_id}/letters/{path}",
                            {"kind": "award", "subject": "Award for {{ city }}", "body": body})


@pytest.mark.parametrize("preview", [False, True], ids=["save", "preview"])
async def test_hostile_letter_templates_are_refused_with_a_422_and_a_message(world, as_persona, preview):
    staff = await as_persona("staff")
    await staff.get(f"/staff/programs/{world['program']}/letters")
    outcomes = []
    for body, word in HOSTILE:
        response = await post_template(staff, world["program"], body, preview)
        said = word.lower() in response.text.lower()
        outcomes.append((body[:60], response.status_code, said))
    assert outcomes == [(body[:60], 422, True) for body, _word in HOSTILE]


async def test_a_template_within_the_limits_still_renders(world, as_persona):
    staff = await as_persona("staff")
    await staff.get(f"/staff/programs/{world['program']}/letters")
    body = "{{ city|upper }} {{ 'x' * 3 }} {{ 2 ** 10 }} {{ city ~ '!' }} {% if amount %}{{ amount }}{% endif %}"
    response = await post_template(staff, world["program"], body, preview=True)
    assert response.status_code == 200
    assert "SPRINGFIELD, IL xxx 1024 Springfield, IL!" in response.text


async def test_a_runaway_render_is_stopped_by_the_watchdog():
    with pytest.raises(LetterTemplateError) as caught:
        await run_isolated("tests.security.child_that_never_ends", {}, timeout=0.5)
    assert "took longer than" in str(caught.value)
    assert rendering.running_children() == []


async def test_a_render_that_eats_memory_is_stopped_by_the_memory_limit():
    with pytest.raises(LetterTemplateError) as caught:
        await run_isolated("tests.security.child_that_eats_memory", {}, timeout=120)
    assert "memory" in str(caught.value)
    assert rendering.running_children() == []
