"""When to send: retry backoff, quiet hours, max_per_hour holds and digest slots.

Pure functions of (config, now, history) so the timing rules are tested without clocks.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared.config import DigestConfig, NotifierConfig, QuietHours

RATE_WINDOW = timedelta(hours=1)
JITTER_FLOOR = 0.5  # "equal jitter": wait between half and all of the exponential delay


def retry_delay(
    attempt: int,
    retry_after: float | None,
    config: NotifierConfig,
    rng: random.Random | None = None,
) -> timedelta:
    """The receiver's Retry-After when given; else exponential backoff with jitter, capped."""
    if retry_after is not None:
        return timedelta(seconds=max(retry_after, 0.0))
    base = config.retry_base.total_seconds()
    cap = config.retry_max_interval.total_seconds()
    delay = min(cap, base * 2 ** max(attempt - 1, 0))
    fraction = JITTER_FLOOR + (1 - JITTER_FLOOR) * (rng or random).random()
    return timedelta(seconds=delay * fraction)


def budget_spent(first_attempt_at: datetime, next_attempt_at: datetime,
                 config: NotifierConfig) -> bool:
    """Retry for a bounded time (``retry_for``, hours by default), then give up loudly."""
    return next_attempt_at - first_attempt_at > config.retry_for


def _parse_hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def quiet_until(quiet: QuietHours | None, now: datetime) -> datetime | None:
    """The end of the quiet period ``now`` falls in (UTC), or None outside quiet hours."""
    if quiet is None:
        return None
    zone = ZoneInfo(quiet.tz)
    local = now.astimezone(zone)
    start, end = _parse_hhmm(quiet.start), _parse_hhmm(quiet.end)
    clock = local.time().replace(tzinfo=None)
    if start == end:
        return None
    if start < end:
        inside = start <= clock < end
        end_day = local.date()
    else:  # over midnight, e.g. 22:00-07:00
        inside = clock >= start or clock < end
        end_day = local.date() + timedelta(days=1) if clock >= start else local.date()
    if not inside:
        return None
    return datetime.combine(end_day, end, tzinfo=zone).astimezone(UTC)


def rate_hold_until(
    max_per_hour: int | None, sent_times: Sequence[datetime], now: datetime
) -> datetime | None:
    """When one more message fits under ``max_per_hour``; None if it fits now."""
    if max_per_hour is None:
        return None
    recent = sorted(t for t in sent_times if t > now - RATE_WINDOW)
    if len(recent) < max_per_hour:
        return None
    return recent[len(recent) - max_per_hour] + RATE_WINDOW


def digest_slot(digest: DigestConfig, now: datetime) -> str:
    """The latest scheduled slot at or before ``now``; each slot fires once per subscription."""
    if digest.every is not None:
        size = max(int(digest.every.total_seconds()), 1)
        start = int(now.timestamp()) // size * size
        return f"every-{size}-{datetime.fromtimestamp(start, UTC).strftime('%Y%m%dT%H%M%S')}"
    assert digest.at is not None  # DigestConfig guarantees one of every/at
    zone = ZoneInfo(digest.tz)
    local = now.astimezone(zone)
    at = _parse_hhmm(digest.at)
    day = local.date() if local.time().replace(tzinfo=None) >= at else local.date() - timedelta(1)
    return f"at-{digest.at}-{day.isoformat()}"
