"""One live application per program and city: the unique index of (program, organisation) leaves out withdrawn
applications, so a city can start again after a withdrawal while the withdrawn one is kept (issue 10, finding 2).

A partial index (CREATE UNIQUE INDEX ... WHERE) works the same on SQLite and PostgreSQL. Backwards restores the
full index, which fails if a city has started again after a withdrawal.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-07T15:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique live application per program and city (withdrawn ones left out)"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def live_only():
        await engine_finder().run_ddl("DROP INDEX IF EXISTS unique_application_program_organisation")
        await engine_finder().run_ddl(
            'CREATE UNIQUE INDEX unique_application_program_organisation ON application ("program", "organisation") '
            "WHERE status <> 'withdrawn'")

    async def all_of_them():
        await engine_finder().run_ddl("DROP INDEX IF EXISTS unique_application_program_organisation")
        await engine_finder().run_ddl(
            'CREATE UNIQUE INDEX unique_application_program_organisation ON application ("program", "organisation")')

    manager.add_raw(live_only)
    manager.add_raw_backwards(all_of_them)
    return manager
