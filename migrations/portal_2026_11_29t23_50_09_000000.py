"""One row per person and application in application_presence (a unique index: see the previous migration;
Piccolo runs raw SQL before it creates tables, so the index comes in a migration of its own)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-29T23:50:09:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique index on application_presence (application, user)"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def create_index():
        await engine_finder().run_ddl(
            'CREATE UNIQUE INDEX unique_application_presence ON application_presence ("application", "user")')

    async def drop_index():
        await engine_finder().run_ddl("DROP INDEX IF EXISTS unique_application_presence")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager
