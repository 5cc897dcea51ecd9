"""Timing rules: backoff, quiet hours, rate holds, digest slots."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from services.notifier import policy
from shared.config import DigestConfig, NotifierConfig, QuietHours


def test_backoff_grows_with_jitter_and_is_capped() -> None:
    config = NotifierConfig(retry_base="10s", retry_max_interval="5m")
    rng = random.Random(1)
    delays = [policy.retry_delay(n, None, config, rng).total_seconds() for n in range(1, 12)]
    assert 5 <= delays[0] <= 10 and 10 <= delays[1] <= 20
    assert max(delays) <= 300 and delays[-1] >= 150
    assert policy.retry_delay(3, 42.0, config) == timedelta(seconds=42)


def test_default_retry_budget_is_hours() -> None:
    assert NotifierConfig().retry_for >= timedelta(hours=1)


def test_quiet_hours_over_midnight_in_a_time_zone() -> None:
    quiet = QuietHours(start="22:00", end="07:00", tz="Europe/London")
    winter_night = datetime(2026, 1, 10, 23, 30, tzinfo=UTC)  # London = UTC in January
    assert policy.quiet_until(quiet, winter_night) == datetime(2026, 1, 11, 7, 0, tzinfo=UTC)
    early = datetime(2026, 1, 11, 6, 0, tzinfo=UTC)
    assert policy.quiet_until(quiet, early) == datetime(2026, 1, 11, 7, 0, tzinfo=UTC)
    assert policy.quiet_until(quiet, datetime(2026, 1, 11, 12, 0, tzinfo=UTC)) is None
    summer = datetime(2026, 7, 1, 5, 30, tzinfo=UTC)  # 06:30 BST: still quiet, ends 06:00 UTC
    assert policy.quiet_until(quiet, summer) == datetime(2026, 7, 1, 6, 0, tzinfo=UTC)


def test_rate_hold_until_the_oldest_message_leaves_the_window() -> None:
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    sent = [now - timedelta(minutes=m) for m in (50, 20, 5)]
    assert policy.rate_hold_until(4, sent, now) is None
    assert policy.rate_hold_until(3, sent, now) == now + timedelta(minutes=10)
    assert policy.rate_hold_until(2, sent, now) == now + timedelta(minutes=40)


def test_digest_slots_fire_once_per_period() -> None:
    hourly = DigestConfig(every="1h")
    a = policy.digest_slot(hourly, datetime(2026, 1, 1, 10, 5, tzinfo=UTC))
    b = policy.digest_slot(hourly, datetime(2026, 1, 1, 10, 59, tzinfo=UTC))
    c = policy.digest_slot(hourly, datetime(2026, 1, 1, 11, 0, tzinfo=UTC))
    assert a == b != c
    morning = DigestConfig(at="08:00", tz="Europe/London")
    before = policy.digest_slot(morning, datetime(2026, 7, 2, 6, 59, tzinfo=UTC))  # 07:59 BST
    after = policy.digest_slot(morning, datetime(2026, 7, 2, 7, 0, tzinfo=UTC))  # 08:00 BST
    assert before.endswith("2026-07-01") and after.endswith("2026-07-02")
