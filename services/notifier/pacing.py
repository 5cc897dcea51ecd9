"""About one message per second per Slack webhook, across every notifier worker.

A pacer hands out send slots per key (a hash of the webhook URL, never the URL itself). With
Redis the slot counter lives in Redis, so several worker processes share one budget; the
embedded mode (no Redis) uses the in-process pacer. After a 429 the key is pushed back by the
receiver's ``Retry-After`` so other deliveries to that webhook wait as well.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from typing import Protocol

import redis

log = logging.getLogger(__name__)

KEY_PREFIX = "newswatch:pace:"

# Reserve the next slot atomically; Redis TIME keeps every worker on one clock.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local push = tonumber(ARGV[2])
local next_at = tonumber(redis.call('GET', KEYS[1]) or '0')
if push > 0 then
  next_at = math.max(next_at, now + push)
  redis.call('SET', KEYS[1], next_at, 'PX', math.max(next_at - now, 1) + 60000)
  return 0
end
local slot = math.max(now, next_at)
redis.call('SET', KEYS[1], slot + interval, 'PX', slot + interval - now + 60000)
return slot - now
"""


def pace_key(secret_url: str) -> str:
    return KEY_PREFIX + hashlib.sha256(secret_url.encode()).hexdigest()[:20]


class Pacer(Protocol):
    def wait(self, key: str, interval: float) -> float:
        """Block until ``key`` may send; returns the seconds waited."""

    def defer(self, key: str, seconds: float) -> None:
        """Nobody sends to ``key`` for ``seconds`` (the receiver asked us to back off)."""


class LocalPacer:
    """In-process slots: correct for one process (embedded mode, tests)."""

    def __init__(self) -> None:
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, key: str, interval: float) -> float:
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next.get(key, 0.0))
            self._next[key] = slot + interval
        delay = slot - now
        if delay > 0:
            time.sleep(delay)
        return delay

    def defer(self, key: str, seconds: float) -> None:
        with self._lock:
            until = time.monotonic() + seconds
            self._next[key] = max(self._next.get(key, 0.0), until)


class RedisPacer:
    """Slots shared through Redis by every worker process.

    While Redis is away the process paces alone (``LocalPacer``): a Redis outage must not
    stop alerts that need no queue to go out."""

    def __init__(self, client: redis.Redis) -> None:
        self._script = client.register_script(_RESERVE)
        self._local = LocalPacer()

    def wait(self, key: str, interval: float) -> float:
        try:
            delay_ms = int(self._script(keys=[key], args=[int(interval * 1000), 0]))
        except redis.RedisError as exc:
            log.warning("pacing without Redis (%s: %s)", type(exc).__name__, exc)
            return self._local.wait(key, interval)
        if delay_ms > 0:
            time.sleep(delay_ms / 1000)
        return delay_ms / 1000

    def defer(self, key: str, seconds: float) -> None:
        self._local.defer(key, seconds)
        try:
            self._script(keys=[key], args=[0, max(int(seconds * 1000), 1)])
        except redis.RedisError as exc:
            log.warning("pacing without Redis (%s: %s)", type(exc).__name__, exc)
