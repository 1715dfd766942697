"""Decision board (issue 5, i5-decisions): one decision per application."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-30T04:05:18:000000"
VERSION = "1.38.0"
DESCRIPTION = "i5-decisions: unique decision per application"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def create():
        await engine_finder().run_ddl("CREATE UNIQUE INDEX unique_decision_application ON decision (application)")

    async def drop():
        await engine_finder().run_ddl("DROP INDEX IF EXISTS unique_decision_application")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
