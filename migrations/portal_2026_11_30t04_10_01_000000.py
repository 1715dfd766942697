"""Letters (issue 5, i5-letters): one template per program and kind, so seeding defaults twice (two app
processes, or the demo and a page) keeps one row."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-30T04:10:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique letter template per program and kind"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def create():
        await engine_finder().run_ddl(
            "CREATE UNIQUE INDEX unique_letter_template_program_kind ON letter_template (program, kind)")

    async def drop():
        await engine_finder().run_ddl("DROP INDEX IF EXISTS unique_letter_template_program_kind")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
