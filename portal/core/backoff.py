"""Retry delays for background work that waits for another system (the mail server, Stripe): exponential
backoff with jitter, decided by time, so a crowd of jobs that failed together does not retry together."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Callable


def retry_delay(attempt: int, first_seconds: int, max_seconds: int,
                draw: Callable[[], float] = random.random) -> timedelta:
    """The wait after failed attempt number `attempt` (from 1): `first_seconds` doubled for each attempt
    before, at most `max_seconds`, of which a random half is taken off ("equal jitter": a crowd of jobs that
    failed together does not retry together, and no wait is shorter than half its step)."""
    step = min(max_seconds, first_seconds * 2 ** min(max(attempt - 1, 0), 30))
    return timedelta(seconds=step / 2 + step / 2 * draw())
