"""Stripe transfers that survive a crash or an outage (issue 11): a released transfer without a Stripe id is sent
again by the payment retry worker (portal/payments/services.py) at `retry_at`, with the same idempotency key,
counting `send_attempts` since `retry_since` and keeping the last `send_error`; past the retry period it gets
`attention_at` (staff look; it is never marked failed, as Stripe may have made the transfer).

Nullable columns and an index added: the same on SQLite and PostgreSQL (the transfers already left without an
answer are made due by the next migration: Piccolo runs a migration's raw SQL before its new columns exist).
Backwards drops the columns.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer, Text, Timestamptz
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-08T04:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "payment: retry of released Stripe transfers left without an answer"

COLUMNS = [("retry_at", Timestamptz, True), ("retry_since", Timestamptz, False), ("send_attempts", Integer, False),
           ("send_error", Text, False), ("attention_at", Timestamptz, False)]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)
    for name, column_class, index in COLUMNS:
        manager.add_column(
            table_class_name="Payment",
            tablename="payment",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params={
                "default": None,
                "null": True,
                "primary_key": False,
                "unique": False,
                "index": index,
                "index_method": IndexMethod.btree,
                "choices": None,
                "db_column_name": None,
                "secret": False,
            },
            schema=None,
        )

    return manager
