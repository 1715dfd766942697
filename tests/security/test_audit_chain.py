"""Security finding 7: the audit log could be edited. Each row now carries the hash of the row before it,
`portal audit verify` names the first broken link, and on PostgreSQL a trigger refuses UPDATE, DELETE and
TRUNCATE of the table.

A tamperer is simulated with raw SQL; on PostgreSQL as a superuser who switches the trigger off for the session
(`session_replication_role = replica`), which the chain must still show.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import subprocess
import sys

import pytest

from portal import db
from portal.core import audit
from portal.core.actor import Actor
from portal.core.tables import AuditEvent

SYSTEM = Actor(user=None, ip="203.0.113.9")


async def record_rows(count: int) -> list[int]:
    for n in range(count):
        async with db.write_transaction():
            await audit.record(SYSTEM, "test.happened", "thing", n, n=n)
    return [row["id"] for row in await AuditEvent.select(AuditEvent.id).order_by(AuditEvent.id)]


async def tamper(portal, sql: str, *args) -> None:
    """Change the table behind the app's back, as someone with the database's password could."""
    engine = db.current_engine()
    async with engine.transaction():
        if portal.state.engine_name == "postgres":
            await AuditEvent.raw("SET LOCAL session_replication_role = replica")
        await AuditEvent.raw(sql, *args)


async def test_audit_chain_holds_for_rows_written_by_the_app(portal):
    ids = await record_rows(3)
    report = await audit.verify_chain()
    head = await AuditEvent.select(AuditEvent.row_hash).where(AuditEvent.id == ids[-1]).first()
    assert (report.rows, report.broken_at, report.head) == (3, None, head["row_hash"])


async def test_audit_row_carries_the_hash_of_the_row_before(portal):
    ids = await record_rows(2)
    rows = await AuditEvent.select(AuditEvent.prev_hash, AuditEvent.row_hash).order_by(AuditEvent.id)
    assert rows[0]["prev_hash"] == audit.GENESIS
    assert rows[1]["prev_hash"] == rows[0]["row_hash"]
    assert len(ids) == 2


async def test_audit_verify_names_an_edited_row(portal):
    ids = await record_rows(4)
    await tamper(portal, "UPDATE audit_event SET actor_id = 42 WHERE id = {}", ids[2])
    report = await audit.verify_chain()
    assert (report.rows, report.broken_at) == (2, ids[2])


async def test_audit_verify_names_the_row_after_a_removed_one(portal):
    ids = await record_rows(4)
    await tamper(portal, "DELETE FROM audit_event WHERE id = {}", ids[1])
    report = await audit.verify_chain()
    assert (report.rows, report.broken_at) == (1, ids[2])


async def test_audit_verify_names_an_edited_detail_even_with_its_hash_recomputed_alone(portal):
    """Editing a row and recomputing its own hash breaks the next row's link."""
    ids = await record_rows(3)
    rows = await AuditEvent.select().where(AuditEvent.id == ids[1]).first()
    forged = audit.chain_hash(rows["prev_hash"], rows["at"], rows["actor_id"], rows["action"], rows["object_type"],
                              rows["object_id"], rows["ip_address"], '{"n":99}')
    await tamper(portal, "UPDATE audit_event SET detail = {}, row_hash = {} WHERE id = {}", '{"n":99}', forged,
                 ids[1])
    report = await audit.verify_chain()
    assert (report.rows, report.broken_at) == (2, ids[2])


async def test_audit_rows_of_a_rolled_back_change_are_not_written(portal):
    with pytest.raises(RuntimeError):
        async with db.write_transaction():
            await audit.record(SYSTEM, "test.rolled_back", "thing", 1)
            raise RuntimeError("the change failed")
    await record_rows(1)
    assert await AuditEvent.count().where(AuditEvent.action == "test.rolled_back") == 0
    assert (await audit.verify_chain()).broken_at is None


async def test_audit_row_written_outside_a_transaction_is_chained(portal):
    await record_rows(1)
    await audit.record(SYSTEM, "test.alone", "thing", None)
    report = await audit.verify_chain()
    assert (report.rows, report.broken_at) == (2, None)


async def test_audit_chain_holds_with_concurrent_writers(portal):
    """Twenty write transactions at once (on PostgreSQL each on its own pooled connection, as several app
    processes would be) append one chain, not forks of it."""

    async def change(n: int) -> None:
        async with db.write_transaction():
            await AuditEvent.raw("SELECT 1")
            await audit.record(SYSTEM, "test.concurrent", "thing", n)

    await asyncio.gather(*(change(n) for n in range(20)))
    report = await audit.verify_chain()
    assert (report.rows, report.broken_at) == (20, None)


async def test_audit_table_edits_are_refused_on_postgres_and_shown_by_verify_on_sqlite(portal):
    """PostgreSQL's trigger refuses every edit; SQLite has no trigger that a writer of the file could not drop,
    so there the edit goes through and the chain shows it."""
    ids = await record_rows(1)
    if portal.state.engine_name == "postgres":
        for sql in ("UPDATE audit_event SET action = 'x' WHERE id = {}", "DELETE FROM audit_event WHERE id = {}",
                    "TRUNCATE audit_event"):
            with pytest.raises(Exception, match="append-only"):
                await AuditEvent.raw(sql, ids[0]) if "{}" in sql else await AuditEvent.raw(sql)
        assert await AuditEvent.count() == 1
    else:
        await AuditEvent.raw("UPDATE audit_event SET action = 'x' WHERE id = {}", ids[0])
        assert (await audit.verify_chain()).broken_at == ids[0]


async def test_audit_migration_chains_rows_written_before_it(portal):
    """Rows from before the chain (no hashes) are chained in id order by the migration's own function."""
    migration = importlib.import_module("migrations.portal_2026_12_07t16_00_00_000000")
    await record_rows(3)
    await tamper(portal, "UPDATE audit_event SET prev_hash = '', row_hash = ''")
    assert (await audit.verify_chain()).broken_at is not None
    engine = db.current_engine()
    async with engine.transaction():
        if portal.state.engine_name == "postgres":
            await AuditEvent.raw("SET LOCAL session_replication_role = replica")
        await migration.chain_existing_rows(engine)
    report = await audit.verify_chain()
    assert (report.rows, report.broken_at) == (3, None)


def portal_command(data_dir, *args: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "DATABASE_"))}
    environ["PORTAL_DATA_DIR"] = str(data_dir)
    return subprocess.run([sys.executable, "-m", "portal.cli", *args], env=environ, capture_output=True, text=True,
                          timeout=120)


def test_audit_verify_command_reports_the_first_broken_link_and_exits_non_zero(tmp_path):
    import sqlite3

    assert portal_command(tmp_path, "migrate").returncode == 0
    assert portal_command(tmp_path, "seed-demo").returncode == 0
    holds = portal_command(tmp_path, "audit", "verify")
    assert (holds.returncode, holds.stdout.startswith("The audit chain holds: ")) == (0, True)
    with sqlite3.connect(tmp_path / "portal.sqlite3") as conn:
        (row_id,) = conn.execute("SELECT id FROM audit_event ORDER BY id LIMIT 1 OFFSET 5").fetchone()
        conn.execute("UPDATE audit_event SET action = 'user.nothing' WHERE id = ?", (row_id,))
    broken = portal_command(tmp_path, "audit", "verify")
    assert broken.returncode == 1
    assert f"The audit chain is broken at row {row_id}: its content does not match its hash" in broken.stderr
