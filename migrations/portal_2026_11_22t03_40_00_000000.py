"""Composite unique constraints, as unique indexes.

SQLite cannot ALTER TABLE ADD CONSTRAINT, so Piccolo's Unique constraints fail there; CREATE UNIQUE INDEX
works the same on both engines. The tables name these in comments beside the columns they cover.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-22T03:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique indexes for composite keys"

UNIQUE_INDEXES = [
    ("unique_membership_user_organisation", "membership", ("user", "organisation")),
    ("unique_report_award_kind", "report", ("award", "kind")),
    ("unique_score_assignment_criterion", "review_score", ("assignment", "criterion")),
    ("unique_program_role", "program_role", ("program", "user", "role")),
    ("unique_application_program_organisation", "application", ("program", "organisation")),
    ("unique_criterion_program_position", "criterion", ("program", "position")),
    ("unique_assignment_application_reviewer", "review_assignment", ("application", "reviewer")),
    ("unique_program_funder", "program_funder", ("program", "funder")),
    ("unique_form_version", "form_version", ("program", "kind", "version")),
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def create_indexes():
        for name, table, columns in UNIQUE_INDEXES:
            quoted = ", ".join(f'"{c}"' for c in columns)
            await engine_finder().run_ddl(f"CREATE UNIQUE INDEX {name} ON {table} ({quoted})")

    async def drop_indexes():
        for name, _table, _columns in UNIQUE_INDEXES:
            await engine_finder().run_ddl(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
