"""services.fetcher.schedule: adaptive intervals, server hints, backoff, jitter."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from services.fetcher.schedule import (
    failure_interval,
    items_per_day,
    success_interval,
    with_jitter,
)
from shared.config import FetcherConfig

NOW = datetime(2024, 5, 15, 12, 0, tzinfo=UTC)
CONFIG = FetcherConfig()


def test_rate_from_entry_dates() -> None:
    hourly = [NOW - timedelta(hours=h) for h in range(1, 49)]
    assert round(items_per_day(hourly, NOW) or 0) == 24
    assert items_per_day([None, None], NOW) is None
    assert items_per_day([NOW - timedelta(days=90)], NOW) is None  # too old to say anything
    burst = [NOW - timedelta(seconds=s) for s in range(10)]
    assert (items_per_day(burst, NOW) or 0) <= 40  # a burst is not a thousand a day


def test_busy_feeds_often_quiet_feeds_rarely_within_bounds() -> None:
    busy = success_interval(CONFIG, rate=24 * 12)  # every five minutes
    hourly = success_interval(CONFIG, rate=24)
    weekly = success_interval(CONFIG, rate=1 / 7)
    assert busy == CONFIG.min_interval
    assert hourly == timedelta(minutes=30)
    assert weekly == CONFIG.max_interval
    assert success_interval(CONFIG, rate=None) == CONFIG.default_interval


def test_config_interval_overrides_the_estimate() -> None:
    assert success_interval(CONFIG, rate=1000, override=timedelta(minutes=2)) == timedelta(
        minutes=2
    )


def test_server_hints_are_floors_capped_at_the_maximum() -> None:
    assert success_interval(CONFIG, rate=24, server_hints=[3600.0, None]) == timedelta(hours=1)
    assert success_interval(CONFIG, rate=24, server_hints=[60.0]) == timedelta(minutes=30)
    year = 365 * 86400.0
    assert success_interval(CONFIG, rate=24, server_hints=[year]) == CONFIG.max_interval


def test_backoff_is_exponential_capped_and_honours_retry_after() -> None:
    delays = [failure_interval(CONFIG, error_count=n) for n in range(1, 12)]
    assert delays[:3] == [timedelta(minutes=5), timedelta(minutes=10), timedelta(minutes=20)]
    assert delays[-1] == CONFIG.max_backoff
    assert failure_interval(CONFIG, error_count=1, retry_after=7200) == timedelta(hours=2)
    assert failure_interval(CONFIG, error_count=500) == CONFIG.max_backoff


def test_jitter_spreads_but_never_polls_early() -> None:
    rng = random.Random(7)
    samples = {with_jitter(timedelta(hours=1), rng) for _ in range(50)}
    assert len(samples) > 40
    assert all(timedelta(hours=1) <= s <= timedelta(hours=1, minutes=5) for s in samples)
