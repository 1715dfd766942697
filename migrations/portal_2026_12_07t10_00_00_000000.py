"""Awards carry hours of technical assistance (issue 10): `award.ta_hours`, 0 for none.

A technical-assistance award released from the decision board kept its hours only in the conditions text; they
are brought over from the released decision (`decision.quantity`) of programs whose offer kind is `ta_hours`.

Raw DDL, the same on SQLite and PostgreSQL (adding a column with a default works on both).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-07T10:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "award.ta_hours"

BACKFILL = """
UPDATE award SET ta_hours = (
    SELECT d.quantity FROM decision d WHERE d.award_id = award.id AND d.outcome = 'award')
WHERE id IN (
    SELECT d.award_id FROM decision d JOIN program p ON p.id = d.program
    WHERE d.award_id IS NOT NULL AND d.outcome = 'award' AND d.quantity > 0 AND p.offer_kind = 'ta_hours')
"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def add():
        engine = engine_finder()
        await engine.run_ddl("ALTER TABLE award ADD COLUMN ta_hours INTEGER NOT NULL DEFAULT 0")
        await engine.run_ddl(BACKFILL)

    async def drop():
        await engine_finder().run_ddl("ALTER TABLE award DROP COLUMN ta_hours")

    manager.add_raw(add)
    manager.add_raw_backwards(drop)
    return manager
