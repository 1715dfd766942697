"""Payments (issue 5, i5-stripe): Stripe transfers, pledges and manual payments, and the Stripe events applied.

Raw DDL, the same on SQLite and PostgreSQL. The unique indexes are in the next migration.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-11-30T03:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "payments and stripe events"


def tables(serial: str) -> list[str]:
    return [
        "CREATE TABLE payment ("
        f"id {serial}, "
        "kind VARCHAR(16) NOT NULL, "
        "rail VARCHAR(8) NOT NULL DEFAULT 'stripe', "
        "status VARCHAR(16) NOT NULL DEFAULT 'scheduled', "
        "program INTEGER NOT NULL REFERENCES program (id) ON DELETE RESTRICT, "
        "funder INTEGER NULL DEFAULT NULL REFERENCES organisation (id) ON DELETE RESTRICT, "
        "award_id INTEGER NULL DEFAULT NULL, "
        "tranche_id INTEGER NULL DEFAULT NULL, "
        "amount_cents BIGINT NOT NULL, "
        "amount_reversed_cents BIGINT NOT NULL DEFAULT 0, "
        "currency VARCHAR(3) NOT NULL DEFAULT 'usd', "
        "destination VARCHAR(64) NOT NULL DEFAULT '', "
        "stripe_id VARCHAR(64) NULL DEFAULT NULL, "
        "idempotency_key VARCHAR(80) NULL DEFAULT NULL, "
        "attempt INTEGER NOT NULL DEFAULT 0, "
        "stripe_created BIGINT NULL DEFAULT NULL, "
        "reference VARCHAR(200) NOT NULL DEFAULT '', "
        "failure_message TEXT NOT NULL DEFAULT '', "
        "created_at TIMESTAMPTZ NOT NULL, "
        "updated_at TIMESTAMPTZ NOT NULL, "
        "paid_at TIMESTAMPTZ NULL DEFAULT NULL)",
        "CREATE INDEX payment_program ON payment (program)",
        "CREATE INDEX payment_funder ON payment (funder)",
        "CREATE INDEX payment_award_id ON payment (award_id)",
        "CREATE TABLE stripe_event ("
        f"id {serial}, "
        "event_id VARCHAR(255) NOT NULL, "
        "type VARCHAR(100) NOT NULL, "
        "object_id VARCHAR(255) NOT NULL DEFAULT '', "
        "outcome VARCHAR(32) NOT NULL DEFAULT '', "
        "received_at TIMESTAMPTZ NOT NULL, "
        "processed_at TIMESTAMPTZ NOT NULL)",
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
        await engine.run_ddl("DROP TABLE IF EXISTS stripe_event")
        await engine.run_ddl("DROP TABLE IF EXISTS payment")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
