"""Finding 5 (first half): common and trivially guessable passwords are refused wherever a password is set
(registration, reset, `portal create-staff`), not only short ones."""

from __future__ import annotations

import re

import pytest

from portal.accounts.passwords import weakness
from portal.accounts.services import create_user
from portal.core.actor import Actor
from tests.support import body_of

WEAK = ["1234567890", "passwordpassword", "qwertyuiop", "aaaaaaaaaaaa", "Password2026"]


@pytest.mark.parametrize("password", WEAK)
def test_password_weakness_names_common_and_repeated_passwords(password):
    assert weakness(password) is not None


def test_password_weakness_names_the_persons_own_email_and_name():
    own = ["olive.owner@springfield.gov", "Olive Owner"]
    assert weakness("olive.owner@springfield.gov", own) is not None
    assert weakness("OliveOwner-rocks", own) is not None
    assert weakness("correct horse battery", own) is None


@pytest.mark.parametrize("password", ["1234567890", "passwordpassword", "Olive Owner 1"])
async def test_password_registration_refuses_a_guessable_password(client, password):
    await client.get("/register")
    response = await client.post("/register", {"name": "Olive Owner", "email": "olive@springfield.gov",
                                               "password": password, "password_confirm": password})
    assert response.status_code == 422
    assert 'id="error-password"' in response.text
    assert "portal_session" not in response.headers.get("set-cookie", "")


async def test_password_registration_accepts_a_phrase(client):
    await client.get("/register")
    response = await client.post("/register", {"name": "Olive Owner", "email": "olive@springfield.gov",
                                               "password": "correct horse battery",
                                               "password_confirm": "correct horse battery"})
    assert response.status_code == 303


@pytest.mark.parametrize("password", ["1234567890", "passwordpassword", "olive@springfield.gov"])
async def test_password_reset_refuses_a_guessable_password(client, mailbox, password):
    await create_user(Actor(user=None), "Olive Owner", "olive@springfield.gov", "correct horse battery")
    await client.get("/reset")
    await client.post("/reset", {"email": "olive@springfield.gov"})
    message = await mailbox.wait_for("olive@springfield.gov", "reset")
    link = re.search(r"http://testserver(/reset/\S+)", body_of(message)).group(1)
    response = await client.post(link, {"password": password, "password_confirm": password})
    assert response.status_code == 422
    assert 'id="error-password"' in response.text
