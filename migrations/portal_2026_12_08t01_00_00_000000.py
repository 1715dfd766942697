"""What an outbox email concerns (issue 11: a failed receipt or invitation is visible to the program's staff):
`kind` (the email template's name), `program_id` and `application_id` (none for account mail such as a password
reset or a staff invitation), with an index on `program_id` for the program's staff page.

Raw DDL, the same on SQLite and PostgreSQL (columns added, none altered). Rows already there keep an empty kind
and no program: they stay the administrators' (the outbox page). Backwards drops the index and the columns.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-08T01:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "outbox: what each email concerns (kind, program, application)"

FORWARDS = [
    "ALTER TABLE outbound_email ADD COLUMN kind VARCHAR(40) NOT NULL DEFAULT ''",
    "ALTER TABLE outbound_email ADD COLUMN program_id INTEGER NULL DEFAULT NULL",
    "ALTER TABLE outbound_email ADD COLUMN application_id INTEGER NULL DEFAULT NULL",
    "CREATE INDEX outbound_email_program_id ON outbound_email (program_id)",
]

BACKWARDS = [
    "DROP INDEX IF EXISTS outbound_email_program_id",
    "ALTER TABLE outbound_email DROP COLUMN application_id",
    "ALTER TABLE outbound_email DROP COLUMN program_id",
    "ALTER TABLE outbound_email DROP COLUMN kind",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def add():
        engine = engine_finder()
        for ddl in FORWARDS:
            await engine.run_ddl(ddl)

    async def drop():
        engine = engine_finder()
        for ddl in BACKWARDS:
            await engine.run_ddl(ddl)

    manager.add_raw(add)
    manager.add_raw_backwards(drop)
    return manager
