"""Award acceptance, tranches and grantees' payout accounts (issue 5, i5-tranches).

Raw DDL, the same on SQLite and PostgreSQL. The unique indexes are in the next migration.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-11-30T04:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "award acceptance, tranches, organisation payout accounts"


def tables(serial: str) -> list[str]:
    return [
        "CREATE TABLE award_acceptance ("
        f"id {serial}, "
        "award INTEGER NOT NULL REFERENCES award (id) ON DELETE RESTRICT, "
        "\"user\" INTEGER NOT NULL REFERENCES portal_user (id) ON DELETE RESTRICT, "
        "typed_name VARCHAR(200) NOT NULL DEFAULT '', "
        "title VARCHAR(200) NOT NULL DEFAULT '', "
        "decision VARCHAR(16) NOT NULL, "
        "reason TEXT NOT NULL DEFAULT '', "
        "at TIMESTAMPTZ NOT NULL, "
        "ip_address VARCHAR(64) NOT NULL DEFAULT '', "
        "letter_sha256 VARCHAR(64) NOT NULL DEFAULT '', "
        "countersigned_file VARCHAR(80) NOT NULL DEFAULT '', "
        "countersigned_sha256 VARCHAR(64) NOT NULL DEFAULT '')",
        "CREATE TABLE tranche ("
        f"id {serial}, "
        "award INTEGER NOT NULL REFERENCES award (id) ON DELETE RESTRICT, "
        "position INTEGER NOT NULL, "
        "amount_cents BIGINT NOT NULL, "
        "\"trigger\" VARCHAR(24) NOT NULL, "
        "report_kind VARCHAR(16) NOT NULL DEFAULT '', "
        "due_date DATE NULL DEFAULT NULL, "
        "status VARCHAR(16) NOT NULL DEFAULT 'scheduled', "
        "payment INTEGER NULL DEFAULT NULL REFERENCES payment (id) ON DELETE RESTRICT, "
        "released_at TIMESTAMPTZ NULL DEFAULT NULL)",
        "CREATE INDEX tranche_award ON tranche (award)",
        "CREATE TABLE organisation_payout ("
        f"id {serial}, "
        "organisation INTEGER NOT NULL REFERENCES organisation (id) ON DELETE RESTRICT, "
        "stripe_account_id VARCHAR(64) NOT NULL, "
        "charges_enabled BOOLEAN NOT NULL DEFAULT false, "
        "payouts_enabled BOOLEAN NOT NULL DEFAULT false, "
        "updated_at TIMESTAMPTZ NOT NULL)",
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
        for name in ("organisation_payout", "tranche", "award_acceptance"):
            await engine.run_ddl(f"DROP TABLE IF EXISTS {name}")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
