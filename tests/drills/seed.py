"""Migrate a drill site's database and write every drill's data into it, before its server starts.

Run by tests/drills/conftest.py as `python -m tests.drills.seed` with the server's environment, in a process of
its own: the test process must not point Piccolo's tables at the drill's database (the in-process app of
tests/integration, if the session has started it, runs its background workers on whatever engine the tables
name). Prints one JSON line with the ids and addresses each drill needs (see `main`). Every drill has its own
program, cities and people, so that one drill's rows never count in another's checks.
"""

from __future__ import annotations

import asyncio
import json
import os

os.environ.setdefault("PICCOLO_CONF", "portal.piccolo_conf")

LETTERS = 16
"""Declined applications of the letter drill: one decline letter each, enough that the kill lands mid-round."""
OUTAGE_EMAILS = 6
AUTOSAVE_DRAFTS = 6
SUBMISSIONS = 12


async def owners_with_drafts(program_id: int, prefix: str, count: int) -> list[dict]:
    """`count` complete drafts of `program_id`, each of its own city with its own owner (password
    tests.factories.PASSWORD, named as tests.burst.signer_name expects, so that the owner can sign)."""
    from tests.burst import signer_name
    from tests.factories import add_member, make_application, make_org, make_user

    made = []
    for i in range(count):
        city = await make_org("city", f"{prefix.title()} City {i}", state="WI")
        email = f"mayor{i}@{prefix}{i}.gov"
        user = await make_user(email, signer_name(email))
        await add_member(user, city, "owner")
        made.append({"email": email, "application": await make_application(program_id, city, user)})
    return made


async def seed() -> dict:
    from portal.db import write_transaction
    from tests.factories import PASSWORD, add_member, make_application, make_org, make_program, make_user

    async with write_transaction():
        network = await make_org("network", "Drill Network")
        staff = "staff@drill-network.org"
        await add_member(await make_user(staff), network, "staff", two_factor=False)
        letters_program = await make_program(network, "drill-letters")
        applicant = await make_user("applicant@drill-letters.gov")
        for i in range(LETTERS):
            city = await make_org("city", f"Letter City {i}", state="OH")
            await make_application(letters_program, city, applicant, status="declined")
        outage = [f"person{i}@outage.example" for i in range(OUTAGE_EMAILS)]
        for email in outage:
            await make_user(email)
        stalled = "person@stalled.example"
        await make_user(stalled)
        autosave = await owners_with_drafts(await make_program(network, "drill-autosave"), "autosave",
                                            AUTOSAVE_DRAFTS)
        submit = await owners_with_drafts(await make_program(network, "drill-submit"), "submit", SUBMISSIONS)
    return {"password": PASSWORD, "staff": staff, "letters_program": letters_program, "outage": outage,
            "stalled": stalled, "autosave": autosave, "submit": submit}


async def main() -> dict:
    from portal import db
    from portal.settings import load_settings

    settings = load_settings()
    engine = db.engine_for(settings.database)
    db.use_engine(engine)
    await db.open_engine(engine, 2)
    try:
        await db.migrate()
        return await seed()
    finally:
        await db.close_engine(engine)


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main())))
