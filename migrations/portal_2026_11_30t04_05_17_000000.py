"""Decision board (issue 5, i5-decisions): draft decisions of a program round until staff release it.

Raw DDL, the same on SQLite and PostgreSQL. The unique index is in the next migration.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-11-30T04:05:17:000000"
VERSION = "1.38.0"
DESCRIPTION = "i5-decisions: draft decisions"


def tables(serial: str) -> list[str]:
    return [
        "CREATE TABLE decision ("
        f"id {serial}, "
        "program INTEGER NOT NULL REFERENCES program (id) ON DELETE RESTRICT, "
        "application INTEGER NOT NULL REFERENCES application (id) ON DELETE RESTRICT, "
        "outcome VARCHAR(16) NOT NULL, "
        "amount_cents BIGINT NOT NULL DEFAULT 0, "
        "quantity INTEGER NOT NULL DEFAULT 0, "
        "tie_break_note TEXT NOT NULL DEFAULT '', "
        "note TEXT NOT NULL DEFAULT '', "
        "decided_by INTEGER NOT NULL REFERENCES portal_user (id) ON DELETE RESTRICT, "
        "updated_at TIMESTAMPTZ NOT NULL, "
        "released_at TIMESTAMPTZ NULL DEFAULT NULL, "
        "award_id INTEGER NULL DEFAULT NULL)",
        "CREATE INDEX decision_program ON decision (program)",
    ]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def create():
        engine = engine_finder()
        serial = "SERIAL PRIMARY KEY" if isinstance(engine, PostgresEngine) else "INTEGER PRIMARY KEY"
        for ddl in tables(serial):
            await engine.run_ddl(ddl)

    async def drop():
        engine = engine_finder()
        await engine.run_ddl("DROP TABLE IF EXISTS decision")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
