"""Make sure the live portal under test has something to show, and name an applicant to sign in as.

Run by e2e/conftest.py after `portal migrate` and `portal seed-demo`, in a process of its own (with the same
environment as the server), as `python -m e2e.seed`. It prints one JSON line:
`{"source": "demo" | "factories", "applicant": {"email": ..., "password": ...} | null}`.

With the demo loaded, the applicant is the first demo account whose role names an applicant or a city. With an
empty database (the demo data not written yet), it builds the test personas' world (tests/factories) instead.
"""

from __future__ import annotations

import asyncio
import json
import os

os.environ.setdefault("PICCOLO_CONF", "portal.piccolo_conf")


def demo_applicant() -> dict | None:
    from portal.demo import DEMO_ACCOUNTS, DEMO_PASSWORD

    for role, email, _name in DEMO_ACCOUNTS:
        if any(word in role.lower() for word in ("applicant", "city")):
            return {"email": email, "password": DEMO_PASSWORD}
    return None


async def main() -> dict:
    from portal import db
    from portal.programs.tables import Program
    from portal.settings import load_settings

    settings = load_settings()
    engine = db.engine_for(settings.database)
    db.use_engine(engine)
    await db.open_engine(engine, 2)
    try:
        await add_mail_trouble()
        if await Program.count() > 0:
            return {"source": "demo", "applicant": demo_applicant()}
        from tests.factories import PASSWORD, PERSONAS, build_world

        await build_world()
        return {"source": "factories", "applicant": {"email": PERSONAS["applicant"], "password": PASSWORD}}
    finally:
        await db.close_engine(engine)


async def add_mail_trouble() -> None:
    """A failed and a delayed email, so that the outbox page's "Needs attention" part is in the browser sweeps
    (the worker leaves a failed row alone, and the delayed one is not due for a day). Both concern the program
    the staff home lists first (and the failed one an application of it), so that the program page's notice and
    its undelivered email page are in the staff sweep too."""
    from datetime import timedelta

    from portal.applications.tables import Application
    from portal.core import clock
    from portal.core.tables import OutboundEmail
    from portal.programs.tables import Program

    now = clock.now()
    program = await Program.select(Program.id).order_by(Program.deadline_at).first()  # as on /staff
    program_id = program["id"] if program else None
    application = await Application.select(Application.id).where(Application.program == program_id).first()
    trouble = [("failed", 9, "[Errno 111] Connection refused", None, "application_submitted",
                application["id"] if application else None),
               ("queued", 2, "451 4.3.0 Mail server temporarily rejected message", now + timedelta(days=1),
                "invitation", None)]
    for status, attempts, error, due, kind, application_id in trouble:
        await OutboundEmail.insert(OutboundEmail(
            created_at=now, to_address="someone@city.example", subject=f"An email {status} for the e2e sweep",
            body_text="Body\n", status=status, attempts=attempts, error=error, next_attempt_at=due, kind=kind,
            program_id=program_id, application_id=application_id))


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main())))
