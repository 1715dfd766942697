"""The audit trail as a hash chain, append-only on PostgreSQL (issue 10, security finding 7).

Adds `prev_hash` and `row_hash` to audit_event and chains the rows already there in id order, with the same
hash as portal/core/audit.py. On PostgreSQL a trigger then refuses UPDATE, DELETE and TRUNCATE of the table
(SQLite has no such guard that a writer of the file could not drop: the chain is what shows an edit there).

Raw DDL, the same columns on SQLite and PostgreSQL. Backwards: the trigger and the columns go.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine
from piccolo.querystring import QueryString

ID = "2026-12-07T16:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "audit trail: hash chain; append-only on PostgreSQL"

COLUMNS = [
    "ALTER TABLE audit_event ADD COLUMN prev_hash VARCHAR(64) NOT NULL DEFAULT ''",
    "ALTER TABLE audit_event ADD COLUMN row_hash VARCHAR(64) NOT NULL DEFAULT ''",
]

APPEND_ONLY = [
    """CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_event is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$""",
    "CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event "
    "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()",
    "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()",
]


async def chain_existing_rows(engine) -> None:
    from portal.core.audit import GENESIS, chain_hash

    rows = await engine.run_querystring(QueryString(
        "SELECT id, at, actor_id, action, object_type, object_id, ip_address, detail FROM audit_event ORDER BY id"))
    prev = GENESIS
    for row in rows:
        digest = chain_hash(prev, row["at"], row["actor_id"], row["action"], row["object_type"], row["object_id"],
                            row["ip_address"], row["detail"])
        await engine.run_querystring(QueryString(
            "UPDATE audit_event SET prev_hash = {}, row_hash = {} WHERE id = {}", prev, digest, row["id"]))
        prev = digest


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def chain():
        engine = engine_finder()
        for ddl in COLUMNS:
            await engine.run_ddl(ddl)
        await chain_existing_rows(engine)
        if isinstance(engine, PostgresEngine):
            for ddl in APPEND_ONLY:
                await engine.run_ddl(ddl)

    async def unchain():
        engine = engine_finder()
        if isinstance(engine, PostgresEngine):
            await engine.run_ddl("DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event")
            await engine.run_ddl("DROP TRIGGER IF EXISTS audit_event_no_change ON audit_event")
            await engine.run_ddl("DROP FUNCTION IF EXISTS audit_event_append_only()")
        for column in ("row_hash", "prev_hash"):
            await engine.run_ddl(f"ALTER TABLE audit_event DROP COLUMN {column}")

    manager.add_raw(chain)
    manager.add_raw_backwards(unchain)
    return manager
