"""Data for bench/bench_autosave.py: an open program whose application form has 60 fields, and drafts to edit.

Run in the portal's environment (DATABASE_URL, PORTAL_DATA_DIR) after `portal migrate`, as
`python -m bench.seed_forms EDITORS`. Prints one JSON line: the drafts (id, owner's email), the password, and the
field keys of the form. Every field type the form engine knows (but files, which autosave does not carry) is
used in turn; each city has one draft, so the editors of one draft are two sessions of its owner.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import timedelta

os.environ.setdefault("PICCOLO_CONF", "portal.piccolo_conf")

PASSWORD = "bench-password-2026"
FIELD_COUNT = 60
TEXT_TYPES = ("short_text", "long_text")


def field(index: int, kind: str) -> dict:
    key = f"q{index:02d}"
    base = {"key": key, "type": kind, "label": f"Question {index} ({kind.replace('_', ' ')})",
            "help": "Answer as fully as you can; this helps the panel compare cities fairly.", "required": index % 3 == 0}
    if kind == "long_text":
        base["max_words"] = 500
    elif kind == "select":
        base["options"] = [{"value": v, "label": v.title()} for v in ("alpha", "beta", "gamma", "delta")]
    elif kind == "number":
        base |= {"min": 0, "max": 1_000_000, "integer": True}
    return base


def schema(kinds: list[str]) -> dict:
    usable = [k for k in kinds if k not in {"file", "instructions"} and k in {
        "short_text", "long_text", "number", "currency", "date", "select", "checkbox"}] or list(TEXT_TYPES)
    fields = [field(i, usable[i % len(usable)]) for i in range(FIELD_COUNT)]
    # One step holding all 60: the page the issue asks to time shows every field at once.
    return {"sections": [{"key": "all", "title": "All questions", "fields": fields}]}


async def main(editors: int) -> dict:
    from portal import db
    from portal.accounts import services as accounts
    from portal.applications.tables import Application
    from portal.core import clock
    from portal.core.actor import Actor
    from portal.programs import formdef
    from portal.programs.tables import FormVersion, Program
    from portal.settings import load_settings

    settings = load_settings()
    engine = db.engine_for(settings.database)
    db.use_engine(engine)
    await db.open_engine(engine, 2)
    try:
        system = Actor(user=None)
        now = clock.now()
        network = await accounts.create_organisation(system, "network", "Bench Network", "bench-network")
        program = (await Program.insert(Program(
            network=network, slug="bench-sixty", title="Sixty questions", summary="A long form for benchmarks.",
            offer_kind="cash", budget_cents=10_000_000, max_award_cents=1_000_000, status="open",
            opens_at=now - timedelta(days=1), deadline_at=now + timedelta(days=30), created_at=now,
        )).returning(Program.id))[0]["id"]
        form = schema(sorted(formdef.FIELD_TYPES))
        form_id = (await FormVersion.insert(FormVersion(program=program, kind="application", version=1,
                                                        title="Application", schema=form, created_at=now)
                                            ).returning(FormVersion.id))[0]["id"]
        drafts = []
        for n in range(editors):
            city = await accounts.create_organisation(system, "city", f"Bench City {n}", f"bench-city-{n}",
                                                      state="WI", population=50_000 + n)
            email = f"owner{n}@bench-city-{n}.example"
            user = await accounts.create_user(system, f"Owner {n}", email, PASSWORD)
            await accounts.add_membership(system, user, city, "owner")
            app_id = (await Application.insert(Application(
                program=program, organisation=city, form_version=form_id, status="draft", title="", answers={},
                version=1, requested_cents=0, created_by=user, created_at=now, updated_at=now,
            )).returning(Application.id))[0]["id"]
            drafts.append({"id": app_id, "email": email})
        keys = [f["key"] for f in formdef.iter_fields(form)]
        kinds = {f["key"]: f["type"] for f in formdef.iter_fields(form)}
        return {"drafts": drafts, "password": PASSWORD, "keys": keys, "kinds": kinds}
    finally:
        await db.close_engine(engine)


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10))))
