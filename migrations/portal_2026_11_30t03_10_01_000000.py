"""Payments (issue 5, i5-stripe): the unique indexes that make Stripe idempotent on our side: one payment per
Stripe object, one per idempotency key (hence per tranche and attempt), one row per Stripe event id."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-30T03:10:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique stripe ids, idempotency keys and event ids"

INDEXES = [
    ("unique_payment_stripe_id", "payment", "stripe_id"),
    ("unique_payment_idempotency_key", "payment", "idempotency_key"),
    ("unique_stripe_event_event_id", "stripe_event", "event_id"),
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def create():
        engine = engine_finder()
        for name, table, column in INDEXES:
            await engine.run_ddl(f"CREATE UNIQUE INDEX {name} ON {table} ({column})")

    async def drop():
        engine = engine_finder()
        for name, _table, _column in INDEXES:
            await engine.run_ddl(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
