"""The persona world every access test starts from builds on both engines and everyone can sign in."""

from tests.factories import PERSONAS


async def test_every_persona_signs_in(as_persona):
    for key in PERSONAS:
        client = await as_persona(key)
        response = await client.get("/dashboard")
        assert response.status_code == 200, key
