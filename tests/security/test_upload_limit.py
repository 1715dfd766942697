"""Finding 6: an upload over the request size limit answered 403 "Your form expired" (the CSRF check could not read
the token from a body it refused to read). Now any form over the limit answers 413 with a page (or, for htmx, a
fragment for the page's alert region) that says the limit, that nothing was saved, and what to do."""

from __future__ import annotations

from portal.app import MAX_BODY_BYTES
from tests.factories.applications import application_row

OVER_THE_LIMIT = b"%PDF-1.4\n" + b"0" * MAX_BODY_BYTES


async def upload_too_much(client, application_id: int, headers: dict | None = None):
    await client.get(f"/applications/{application_id}")
    return await client.post(f"/applications/{application_id}/files", {"field_key": "budget_file"},
                             files={"file": ("budget.pdf", OVER_THE_LIMIT, "application/pdf")}, headers=headers)


async def test_an_upload_over_the_size_limit_answers_413_saying_the_limit(world, as_persona):
    city = await as_persona("stranger")  # the owner of application B, a draft
    before = await application_row(world["application_b"])
    response = await upload_too_much(city, world["application_b"])
    assert response.status_code == 413
    assert "Your form expired" not in response.text
    assert 'data-testid="error-413"' in response.text
    assert "60 MB" in response.text and "Nothing from this form was saved" in response.text
    assert "smaller file" in response.text
    assert await application_row(world["application_b"]) == before


async def test_an_htmx_upload_over_the_size_limit_gets_a_413_fragment(world, as_persona):
    city = await as_persona("stranger")
    response = await upload_too_much(city, world["application_b"], headers={"HX-Request": "true"})
    assert response.status_code == 413
    assert response.headers["hx-retarget"] == "#page-alerts"
    assert "<html" not in response.text and "60 MB" in response.text


async def test_an_upload_over_the_limit_with_the_token_in_a_header_also_answers_413(world, as_persona):
    city = await as_persona("stranger")
    await city.get(f"/applications/{world['application_b']}")
    response = await city.http.post(f"/applications/{world['application_b']}/files", data={"field_key": "budget_file"},
                                    files={"file": ("budget.pdf", OVER_THE_LIMIT, "application/pdf")},
                                    headers={"X-CSRF-Token": city.csrf})
    assert response.status_code == 413
    assert "60 MB" in response.text


async def test_any_form_over_the_size_limit_answers_413(world, as_persona):
    city = await as_persona("stranger")
    await city.get(f"/applications/{world['application_b']}")
    response = await city.post(f"/applications/{world['application_b']}", {"title": "x" * (MAX_BODY_BYTES + 1)})
    assert response.status_code == 413
    assert "60 MB" in response.text
