"""Deadlines around submission: a grace period per program, an extension per application, the count of
submissions (for one receipt per submission), the reason of a withdrawal or reopening, and the deadline
reminders already sent (one per application and kind).

Raw DDL, the same on SQLite and PostgreSQL: new columns with defaults, a new table, a unique index.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-11-30T00:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "grace period, extensions, reopen and withdraw reasons, deadline reminders"

COLUMNS = [
    ("program", "grace_minutes", "INTEGER NOT NULL DEFAULT 0"),
    ("application", "extended_deadline_at", "TIMESTAMPTZ NULL DEFAULT NULL"),
    ("application", "extension_reason", "TEXT NOT NULL DEFAULT ''"),
    ("application", "submission_count", "INTEGER NOT NULL DEFAULT 0"),
    ("application", "status_reason", "TEXT NOT NULL DEFAULT ''"),
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def create():
        engine = engine_finder()
        serial = "SERIAL PRIMARY KEY" if isinstance(engine, PostgresEngine) else "INTEGER PRIMARY KEY"
        for table, column, ddl in COLUMNS:
            await engine.run_ddl(f'ALTER TABLE {table} ADD COLUMN "{column}" {ddl}')
        # Submitted applications so far were each submitted once.
        await engine.run_ddl("UPDATE application SET submission_count = 1 WHERE receipt_number IS NOT NULL")
        await engine.run_ddl(
            "CREATE TABLE deadline_reminder ("
            f"id {serial}, "
            "application INTEGER NOT NULL REFERENCES application (id) ON DELETE CASCADE, "
            "kind VARCHAR(8) NOT NULL, "
            "deadline_at TIMESTAMPTZ NOT NULL, "
            "sent_at TIMESTAMPTZ NOT NULL)"
        )
        await engine.run_ddl(
            "CREATE UNIQUE INDEX unique_deadline_reminder_application_kind ON deadline_reminder (application, kind)")

    async def drop():
        engine = engine_finder()
        await engine.run_ddl("DROP TABLE IF EXISTS deadline_reminder")
        for table, column, _ddl in reversed(COLUMNS):
            await engine.run_ddl(f'ALTER TABLE {table} DROP COLUMN "{column}"')

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
