"""Write drill 6's data into its database (tests/drills/test_stripe_drill.py), before its server starts.

Run by the drill as `python -m tests.drills.stripe_seed AWARDS` with the server's environment (DATABASE_URL,
STRIPE_API_BASE of the Stripe harness, which must be running), in a process of its own, for the reason
tests/drills/seed.py gives: the test process must not point Piccolo's tables at the drill's database. Migrates
the database, then writes the personas' world, the city's Stripe account (made in the harness and onboarded
there, so the harness keeps it in its state file) and AWARDS programs, each with the city's submitted
application and an offered award of AMOUNT in one tranche paid on acceptance (each drill its own tranche,
payment and idempotency key). Prints one JSON line: the world's ids, the account's id
and the awards as [{"award": id, "tranche": id}, ...].
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

os.environ.setdefault("PICCOLO_CONF", "portal.piccolo_conf")

AMOUNT = 1_000_000


async def seed(awards: int, public_url: str) -> dict:
    import httpx

    from portal.awards.tranches.tables import Tranche
    from portal.core import clock
    from portal.db import write_transaction
    from portal.payments.gateway import gateway_for
    from portal.payments.onboarding.tables import OrganisationPayout
    from portal.settings import StripeSettings, load_settings
    from tests.factories import build_world, make_application, make_program
    from tests.factories.awards import make_award

    async with write_transaction():
        ids = dict((await build_world()).ids)
    stripe = load_settings().stripe
    gateway = gateway_for(StripeSettings(secret_key=stripe.secret_key, api_base=stripe.api_base))  # default timeout
    account = await gateway.create_account(email="finance@springfield.gov", organisation_id=ids["city_a"])
    link = await gateway.onboarding_link(account.id, refresh_url=f"{public_url}/r", return_url=f"{public_url}/r")
    async with httpx.AsyncClient() as http:  # the city finishes Stripe's hosted onboarding
        response = await http.post(link)
        assert response.status_code == 303, response.text
    made = []
    async with write_transaction():
        await OrganisationPayout.insert(OrganisationPayout(
            organisation=ids["city_a"], stripe_account_id=account.id, charges_enabled=True, payouts_enabled=True,
            updated_at=clock.now()))
        for n in range(1, awards + 1):
            program = await make_program(ids["network"], f"drill-{n}")
            application = await make_application(program, ids["city_a"], ids["applicant"], status="submitted")
            award = await make_award(application, ids["staff"], amount_cents=AMOUNT)
            rows = await Tranche.insert(Tranche(award=award, position=1, amount_cents=AMOUNT,
                                                trigger="on_acceptance")).returning(Tranche.id)
            made.append({"award": award, "tranche": rows[0]["id"]})
    return {"ids": ids, "account": account.id, "awards": made}


async def main(awards: int) -> dict:
    from portal import db
    from portal.settings import load_settings

    settings = load_settings()
    engine = db.engine_for(settings.database)
    db.use_engine(engine)  # this process's own engine: nothing else runs here
    await db.open_engine(engine, 2)
    try:
        await db.migrate()
        return await seed(awards, settings.public_url)
    finally:
        await db.close_engine(engine)


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(int(sys.argv[1])))))
