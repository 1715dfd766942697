"""The unique index of application team members: one row per (application, user).

SQLite cannot add constraints to a table, so, as in migrations/portal_2026_11_22t03_40_00_000000.py, a unique
index does it on both engines.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-29T23:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique index for application team members"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def create_index():
        await engine_finder().run_ddl(
            'CREATE UNIQUE INDEX unique_application_member ON application_member ("application", "user")')

    async def drop_index():
        await engine_finder().run_ddl("DROP INDEX IF EXISTS unique_application_member")

    manager.add_raw(create_index)
    manager.add_raw_backwards(drop_index)
    return manager
