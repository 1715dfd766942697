"""A Stripe transfer already left released without a Stripe id (a crash between the release and Stripe's answer,
or Stripe unreachable, under the old code that never sent it again) is due for the payment retry worker at once,
its retry period starting now (columns of the previous migration). Backwards changes nothing."""

from datetime import datetime, timezone

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-08T04:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "payment: transfers left without an answer are due for the retry worker"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def retry_stuck_transfers():
        now = datetime.now(timezone.utc)  # as Piccolo writes a Timestamptz on SQLite; PostgreSQL reads it too
        await engine_finder().run_ddl(
            f"UPDATE payment SET retry_at = '{now}', retry_since = '{now}', send_attempts = 0 "
            "WHERE kind = 'transfer' AND rail = 'stripe' AND status = 'released' AND stripe_id IS NULL")

    manager.add_raw(retry_stuck_transfers)
    return manager
