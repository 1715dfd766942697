"""What other domains hang on an accepted invitation: one hook, "a reviewer took up a program's invitation",
called inside the transaction that accepts it.

Why a hook and not a call: reviews builds on accounts (a panel's invitations are accounts' invitations, sent
through `accounts.services.invite`), so accounts must not import reviews. Yet a reviewer who accepts has to
join the program's review panel in the same transaction. So accounts announces the acceptance here, and the
module that owns panels (`portal.reviews.panels.services`) registers its listener when it is imported; the app
imports it with its routes (`portal/app.py`), before any invitation can be accepted.

The listener runs in the invitation's write transaction: what it writes commits or rolls back with the
acceptance. It answers the id of the panel the reviewer joined, or None if the program has no panel.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from portal.core.actor import Actor

ReviewerJoined = Callable[[Actor, int, int], Awaitable[int | None]]
"""(actor, program id, user id) -> the id of the panel joined, or None."""

_listeners: dict[str, ReviewerJoined] = {}
"""The registered listener by `module.qualname`: importing a module twice (or registering again) keeps one."""


class NoListener(RuntimeError):
    """A reviewer accepted while nothing seats reviewers on panels: the reviewer would silently miss the panel."""


def on_reviewer_joined(listener: ReviewerJoined) -> ReviewerJoined:
    """Register `listener` as the one that seats a new reviewer (usable as a decorator); returns it."""
    _listeners.clear()
    _listeners[f"{listener.__module__}.{listener.__qualname__}"] = listener
    return listener


async def reviewer_joined(actor: Actor, program_id: int, user_id: int) -> int | None:
    """Call the registered listener inside the caller's write transaction (accounts.services.accept_invitation
    calls this for a reviewer invitation). Without one, NoListener (the transaction rolls back) rather than a
    reviewer left off the panel: import portal.reviews.panels.services."""
    if not _listeners:
        raise NoListener(f"user {user_id} accepted a reviewer invitation to program {program_id}, but nothing "
                         "seats reviewers on panels: import portal.reviews.panels.services first")
    (listener,) = _listeners.values()
    return await listener(actor, program_id, user_id)
