"""The audit trail: one append-only row per state change. Rows are never updated or deleted."""

from __future__ import annotations

from typing import Any

from portal.core import clock
from portal.core.actor import Actor
from portal.core.tables import AuditEvent


async def record(actor: Actor, action: str, object_type: str, object_id: int | None, **detail: Any) -> None:
    """Write one audit row. Call inside the transaction of the change it records."""
    await AuditEvent.insert(
        AuditEvent(
            at=clock.now(),
            actor_id=actor.user_id,
            action=action,
            object_type=object_type,
            object_id=object_id,
            ip_address=actor.ip[:64],
            detail=detail,
        )
    )


async def list_for(object_type: str, object_id: int) -> list[dict[str, Any]]:
    return (
        await AuditEvent.select()
        .where((AuditEvent.object_type == object_type) & (AuditEvent.object_id == object_id))
        .order_by(AuditEvent.id)
        .output(load_json=True)
    )
