"""Tranches follow their payments (issue 5): bring every released tranche's stored status in step with its
payment once, for rows that Stripe's webhooks moved before the payments hook existed (the tranche stayed
`released` while its payment was paid, failed or reversed). From here on portal/payments/hooks.py keeps them in
step. A reversed payment now makes the tranche `reversed` (it used to be shown as failed).

Data only, the same SQL on SQLite and PostgreSQL. Backwards: `reversed` tranches become `failed` again.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-30T05:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "tranche status in step with its payment"

FORWARDS = """
UPDATE tranche SET status = (
    SELECT CASE p.status WHEN 'paid' THEN 'paid' WHEN 'failed' THEN 'failed' WHEN 'reversed' THEN 'reversed'
                         ELSE 'released' END
    FROM payment p WHERE p.id = tranche.payment)
WHERE payment IS NOT NULL
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def sync():
        await engine_finder().run_ddl(FORWARDS)

    async def undo():
        await engine_finder().run_ddl("UPDATE tranche SET status = 'failed' WHERE status = 'reversed'")

    manager.add_raw(sync)
    manager.add_raw_backwards(undo)
    return manager
