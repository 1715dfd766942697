"""The audit trail: one append-only row per state change. Rows are never updated or deleted.

Each row carries the hash of the row before it (`prev_hash`) and its own (`row_hash`, SHA-256 of `prev_hash`
and the row's content), so a row edited, removed or slipped in breaks the chain where it happened;
`verify_chain` (the `portal audit verify` command) walks it. On PostgreSQL a trigger also refuses UPDATE,
DELETE and TRUNCATE of the table (migration 2026-12-07T16:00).

The chain needs appends in one order: rows are collected during the write transaction and appended just
before it commits, under a lock that serialises appenders across app processes on PostgreSQL (a transaction
advisory lock, held until commit; taken last, so no transaction waits for it while holding a lock another
appender needs). SQLite's write transactions are serialised already.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from piccolo.utils.encoding import dump_json

from portal import db
from portal.core import clock
from portal.core.actor import Actor
from portal.core.tables import AuditEvent

GENESIS = "0" * 64
"""The `prev_hash` of the first row."""

CHAIN_LOCK = 7_246_001_817
"""The PostgreSQL advisory lock key that serialises appends to the chain (any constant no other code uses)."""

_VERIFY_BATCH = 1000


async def record(actor: Actor, action: str, object_type: str, object_id: int | None, **detail: Any) -> None:
    """Write one audit row. Call inside the transaction of the change it records (the row is appended as that
    transaction commits, and not at all if it rolls back); outside one, the row is written at once."""
    await _add(AuditEvent(at=clock.now(), actor_id=actor.user_id, action=action, object_type=object_type,
                          object_id=object_id, ip_address=actor.ip[:64], detail=dump_json(detail)))


async def record_dated(at: datetime, actor_id: int | None, ip_address: str, action: str, object_type: str,
                       object_id: int | None, **detail: Any) -> None:
    """An audit row dated `at` instead of now (the demo's story, told by its seeder); chained like every row."""
    await _add(AuditEvent(at=clock.as_utc(at), actor_id=actor_id, action=action, object_type=object_type,
                          object_id=object_id, ip_address=ip_address[:64], detail=dump_json(detail)))


async def _add(row: AuditEvent) -> None:
    pending = db.collect_before_commit("audit", _append)
    if pending is not None:
        pending.append(row)
    elif db.current_engine().current_transaction.get() is not None:
        await _append([row])  # a transaction opened without write_transaction: append now, locked until commit
    else:
        async with db.write_transaction():
            await _append([row])


async def _append(rows: list[AuditEvent]) -> None:
    if db.current_engine().engine_type == "postgres":
        await AuditEvent.raw("SELECT pg_advisory_xact_lock({})", CHAIN_LOCK)
    head = await AuditEvent.raw("SELECT row_hash FROM audit_event ORDER BY id DESC LIMIT 1")
    prev = head[0]["row_hash"] if head else GENESIS
    for row in rows:
        row.prev_hash = prev
        row.row_hash = chain_hash(prev, row.at, row.actor_id, row.action, row.object_type, row.object_id,
                                  row.ip_address, row.detail)
        prev = row.row_hash
        await AuditEvent.insert(row)  # one at a time: the ids follow the chain's order


def chain_hash(prev_hash: str, at: Any, actor_id: int | None, action: str, object_type: str,
               object_id: int | None, ip_address: str, detail: str) -> str:
    """SHA-256 of the previous row's hash and this row's content; `detail` is the JSON text as stored, `at` a
    datetime or its stored text (SQLite's raw rows)."""
    moment = db.to_datetime(at)
    assert moment is not None, "an audit row always has its time"
    instant = clock.as_utc(moment).isoformat(timespec="microseconds")
    content = [prev_hash, instant, actor_id, action, object_type, object_id, ip_address, detail]
    return hashlib.sha256(json.dumps(content, separators=(",", ":")).encode()).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    rows: int
    """How many rows were checked (up to the first broken link)."""
    head: str
    """The last good row's hash: note it elsewhere, and a later check can show that no row was cut off the end."""
    broken_at: int | None = None
    """The id of the first row whose link or content does not match; None if the chain holds."""
    reason: str = ""


async def verify_chain() -> ChainReport:
    """Walk the chain in id order and report the first row that does not follow from the one before."""
    prev, checked, last_id = GENESIS, 0, 0
    while True:
        rows = await AuditEvent.raw(
            "SELECT id, at, actor_id, action, object_type, object_id, ip_address, detail, prev_hash, row_hash "
            "FROM audit_event WHERE id > {} ORDER BY id LIMIT {}", last_id, _VERIFY_BATCH)
        if not rows:
            return ChainReport(rows=checked, head=prev)
        for row in rows:
            if row["prev_hash"] != prev:
                return ChainReport(checked, prev, row["id"], "it does not carry the previous row's hash "
                                   "(a row before it was removed, added or its hash changed)")
            expected = chain_hash(prev, row["at"], row["actor_id"], row["action"], row["object_type"],
                                  row["object_id"], row["ip_address"], _text(row["detail"]))
            if row["row_hash"] != expected:
                return ChainReport(checked, prev, row["id"], "its content does not match its hash (the row was edited)")
            prev, checked, last_id = expected, checked + 1, row["id"]


def _text(detail: Any) -> str:
    return detail if isinstance(detail, str) else dump_json(detail)


async def list_for(object_type: str, object_id: int) -> list[dict[str, Any]]:
    return (
        await AuditEvent.select()
        .where((AuditEvent.object_type == object_type) & (AuditEvent.object_id == object_id))
        .order_by(AuditEvent.id)
        .output(load_json=True)
    )
