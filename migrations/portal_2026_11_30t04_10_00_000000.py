"""Letters (issue 5, i5-letters): letter templates per program, letter batches and the stored letters.

Raw DDL, the same on SQLite and PostgreSQL. The unique index on (program, kind) is in the next migration.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-11-30T04:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "letter templates, letter batches and letters"

USER = "portal_user"


def tables(serial: str) -> list[str]:
    return [
        "CREATE TABLE letter_template ("
        f"id {serial}, "
        "program INTEGER NOT NULL REFERENCES program (id) ON DELETE CASCADE, "
        "kind VARCHAR(16) NOT NULL, "
        "subject VARCHAR(200) NOT NULL DEFAULT '', "
        "body TEXT NOT NULL DEFAULT '', "
        "updated_at TIMESTAMPTZ NOT NULL, "
        f"updated_by INTEGER NULL DEFAULT NULL REFERENCES {USER} (id) ON DELETE SET NULL)",
        "CREATE INDEX letter_template_program ON letter_template (program)",
        "CREATE TABLE letter_batch ("
        f"id {serial}, "
        "program INTEGER NOT NULL REFERENCES program (id) ON DELETE CASCADE, "
        "kinds VARCHAR(64) NOT NULL, "
        "total INTEGER NOT NULL DEFAULT 0, "
        "done INTEGER NOT NULL DEFAULT 0, "
        "failed INTEGER NOT NULL DEFAULT 0, "
        "status VARCHAR(16) NOT NULL DEFAULT 'queued', "
        "error TEXT NOT NULL DEFAULT '', "
        f"requested_by INTEGER NOT NULL REFERENCES {USER} (id) ON DELETE RESTRICT, "
        "requested_at TIMESTAMPTZ NOT NULL, "
        "started_at TIMESTAMPTZ NULL DEFAULT NULL, "
        "heartbeat_at TIMESTAMPTZ NULL DEFAULT NULL, "
        "finished_at TIMESTAMPTZ NULL DEFAULT NULL)",
        "CREATE INDEX letter_batch_program ON letter_batch (program)",
        "CREATE INDEX letter_batch_status ON letter_batch (status)",
        "CREATE TABLE letter ("
        f"id {serial}, "
        "application INTEGER NOT NULL REFERENCES application (id) ON DELETE CASCADE, "
        "kind VARCHAR(16) NOT NULL, "
        "file VARCHAR(80) NOT NULL, "
        "sha256 VARCHAR(64) NOT NULL, "
        "created_at TIMESTAMPTZ NOT NULL, "
        "batch INTEGER NULL DEFAULT NULL REFERENCES letter_batch (id) ON DELETE SET NULL)",
        "CREATE INDEX letter_application ON letter (application)",
        "CREATE INDEX letter_in_batch ON letter (batch)",
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
        for table in ("letter", "letter_batch", "letter_template"):
            await engine.run_ddl(f"DROP TABLE IF EXISTS {table}")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
