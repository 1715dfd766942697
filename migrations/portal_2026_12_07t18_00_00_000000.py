"""Mail that survives an outage (issue 11): a queued email waits for `next_attempt_at` (backoff by time, not by
wake-ups), a `sending` row records when it was claimed (`claimed_at`, so a row left by a dead worker is taken
back), and `retry_since` starts the retry period again when an administrator requeues a failed email.

Three nullable columns added: the same on SQLite and PostgreSQL. Rows already there keep NULL, which means "due
now", "claimed long ago" and "since it was created"; a row left `sending` by the old code, which never took one
back, is queued again (delivery is at least once). Backwards drops the columns.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.indexes import IndexMethod
from piccolo.engine import engine_finder

ID = "2026-12-07T18:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "outbox: next attempt, claim time and retry period per email"

COLUMNS = ["next_attempt_at", "claimed_at", "retry_since"]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)
    for name in COLUMNS:
        manager.add_column(
            table_class_name="OutboundEmail",
            tablename="outbound_email",
            column_name=name,
            db_column_name=name,
            column_class_name="Timestamptz",
            column_class=Timestamptz,
            params={
                "default": None,
                "null": True,
                "primary_key": False,
                "unique": False,
                "index": False,
                "index_method": IndexMethod.btree,
                "choices": None,
                "db_column_name": None,
                "secret": False,
            },
            schema=None,
        )

    async def take_back_stuck_rows():
        await engine_finder().run_ddl("UPDATE outbound_email SET status = 'queued' WHERE status = 'sending'")

    manager.add_raw(take_back_stuck_rows)
    return manager
