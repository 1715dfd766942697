"""Award acceptance and tranches (issue 5, i5-tranches): one acceptance record per award, one tranche per
award and position, one payout account per organisation."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-30T04:20:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique award acceptance, tranche positions, organisation payout"

INDEXES = [
    ("unique_award_acceptance_award", "award_acceptance", "award"),
    ("unique_tranche_award_position", "tranche", "award, position"),
    ("unique_organisation_payout_organisation", "organisation_payout", "organisation"),
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def create():
        engine = engine_finder()
        for name, table, columns in INDEXES:
            await engine.run_ddl(f"CREATE UNIQUE INDEX {name} ON {table} ({columns})")

    async def drop():
        engine = engine_finder()
        for name, _table, _columns in INDEXES:
            await engine.run_ddl(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
