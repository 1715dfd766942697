"""Finding 4 (registration): registering with an email that has an account does not say so (which would tell
anyone who has an account); it answers as for a new account, changes nothing, and emails the owner instead."""

from __future__ import annotations

from portal.accounts.services import create_user
from portal.core.actor import Actor
from portal.core.tables import AuditEvent, OutboundEmail

OWNER = "olive@springfield.gov"


async def register(client, email: str, password: str = "a brand new phrase"):
    await client.get("/register")
    return await client.post("/register", {"name": "Someone Else", "email": email, "password": password,
                                           "password_confirm": password})


async def test_registration_for_an_existing_email_answers_as_for_a_new_account(portal, client, make_client):
    await create_user(Actor(user=None), "Olive Owner", OWNER, "correct horse battery")
    taken = await register(client, OWNER)
    newcomer = await make_client()
    fresh = await register(newcomer, "newcomer@springfield.gov")
    assert (taken.status_code, taken.headers["location"]) == (fresh.status_code, fresh.headers["location"])
    assert "already" not in taken.text


async def test_registration_for_an_existing_email_changes_nothing_and_emails_the_owner(portal, client, make_client):
    owner_id = await create_user(Actor(user=None), "Olive Owner", OWNER, "correct horse battery")
    response = await register(client, OWNER)
    assert "portal_session=" not in response.headers.get("set-cookie", "")
    mails = await OutboundEmail.select(OutboundEmail.subject, OutboundEmail.body_text).where(
        OutboundEmail.to_address == OWNER)
    assert [m["subject"] for m in mails] == ["You already have a City Grants Portal account"]
    assert "http://testserver/reset" in mails[0]["body_text"]
    audit = await AuditEvent.select(AuditEvent.action, AuditEvent.object_id).where(
        AuditEvent.action.like("user.regist%"))
    assert audit == [{"action": "user.registration_for_existing", "object_id": owner_id}]
    owner = await make_client()
    await owner.login(OWNER, "correct horse battery")  # the password is the owner's still
