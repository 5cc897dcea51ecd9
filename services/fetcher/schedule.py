"""When to poll a feed next: adaptive, polite, jittered, backing off on errors.

Pure functions of what we observed, so the policy is testable without a clock:

* success: poll about twice per average gap between the feed's posts (busy feeds often,
  quiet feeds rarely), clamped to ``[min_interval, max_interval]``; a configured per-feed
  ``interval`` replaces the estimate; the server's own hints (RSS ``ttl``, ``Cache-Control:
  max-age``, ``Expires``) are floors, capped at ``max_interval`` so a typo such as a
  one-year ttl cannot silence a feed;
* failure: ``min_interval * 2**(errors-1)`` up to ``max_backoff``, never stopping;
  ``Retry-After`` is a floor (up to ``RETRY_AFTER_LIMIT``);
* jitter on both, so feeds of one host added together drift apart instead of being hit in
  the same second forever.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import datetime, timedelta

from shared.config import FetcherConfig

RATE_WINDOW = timedelta(days=30)  # posts older than this say little about today's pace
MIN_RATE_SPAN = timedelta(hours=6)  # a burst of posts in one minute is not "1000 a day"
POLLS_PER_GAP = 2.0
JITTER_FRACTION = 0.1
MAX_JITTER = timedelta(minutes=5)
RETRY_AFTER_LIMIT = timedelta(days=7)


def items_per_day(published: Iterable[datetime | None], now: datetime) -> float | None:
    """Posting rate from entry dates in the window; None when the feed gives no dates."""
    recent = [p for p in published if p is not None and now - RATE_WINDOW <= p <= now]
    if not recent:
        return None
    span = max(now - min(recent), MIN_RATE_SPAN)
    return len(recent) / (span / timedelta(days=1))


def success_interval(
    config: FetcherConfig,
    *,
    rate: float | None,
    override: timedelta | None = None,
    server_hints: Iterable[float | None] = (),
) -> timedelta:
    """The interval until the next poll after a successful fetch (before jitter)."""
    if override is not None:
        interval = override
    elif rate:
        interval = timedelta(days=1) / (rate * POLLS_PER_GAP)
    else:
        interval = config.default_interval
    if override is None:
        interval = min(max(interval, config.min_interval), config.max_interval)
    for hint in server_hints:
        if hint:
            interval = max(interval, min(timedelta(seconds=hint), config.max_interval))
    return interval


def failure_interval(
    config: FetcherConfig, *, error_count: int, retry_after: float | None = None
) -> timedelta:
    """Exponential backoff by consecutive errors, floored by the server's Retry-After."""
    exponent = min(max(error_count - 1, 0), 30)
    interval = min(config.min_interval * (1 << exponent), config.max_backoff)
    if retry_after:
        interval = max(interval, min(timedelta(seconds=retry_after), RETRY_AFTER_LIMIT))
    return interval


def with_jitter(interval: timedelta, rng: random.Random | None = None) -> timedelta:
    """Adds up to 10% (at most five minutes): spreads polls, never polls earlier."""
    spread = min(interval * JITTER_FRACTION, MAX_JITTER)
    fraction: float = (rng or random).random()
    return interval + spread * fraction
