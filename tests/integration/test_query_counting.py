"""The query counter used by the query-count tests counts the code under test, not the app's background work."""

from __future__ import annotations

import asyncio

from portal.core.tables import OutboundEmail
from tests.support import counting_queries


async def test_query_counter_ignores_queries_of_other_tasks(portal):
    """The letter and outbox workers poll the same engine while a test counts: a query of a task started
    outside the block (as theirs are) is not counted, one made inside the block is."""
    go, done = asyncio.Event(), asyncio.Event()

    async def background() -> None:
        await go.wait()
        await OutboundEmail.count()
        done.set()

    worker = asyncio.create_task(background())
    with counting_queries(portal.state.engine) as ran:
        go.set()
        await done.wait()
        await OutboundEmail.exists()
    await worker
    assert len(ran) == 1
