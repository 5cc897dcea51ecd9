"""Which notifier processes are alive, so a killed one's 'sending' rows come back in seconds.

The lease alone (minutes, so a slow receiver never loses its row) would delay an alert whose
worker was killed by that long. Each RQ notifier process therefore tags its claim tokens
with its owner id and keeps ``newswatch:notifier:alive:<owner>`` alive in Redis from its own
thread (independent of the database and of a slow send). ``tick`` reclaims a row whose owner
has been missing for ``ORPHAN_GRACE``, seen by a process that just proved Redis works by
refreshing its own key: after a Redis restart the live owners are back within one beat,
well inside the grace. The embedded runner has no owner tag and relies on the lease.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from datetime import datetime

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import Engine

from shared import store
from shared.signals import start_daemon

log = logging.getLogger(__name__)

KEY_PREFIX = "newswatch:notifier:alive:"
BEAT_EVERY = 3.0  # seconds between refreshes
KEY_TTL = 10  # seconds a key outlives its last refresh
ORPHAN_GRACE = 12.0  # seconds an owner must stay missing before its rows are reclaimed


_process = {"owner": ""}  # this process's tag; outlives config reloads (they clear ctx.cache)


def new_owner() -> str:
    """A short tag (8 hex) unique per process start; prefixes claim tokens."""
    return secrets.token_hex(4)


def set_owner(owner: str) -> None:
    _process["owner"] = owner


def current_owner() -> str:
    """The tag claims made by this process carry; empty when no heartbeat runs (embedded)."""
    return _process["owner"]


class Heartbeat:
    """Keeps this process's alive key fresh from a daemon thread."""

    def __init__(self, redis: Redis, owner: str) -> None:
        self.redis = redis
        self.owner = owner
        self.stop = threading.Event()

    def start(self) -> Heartbeat:
        self.beat()
        start_daemon(self._run, name="notifier-heartbeat")
        return self

    def beat(self) -> bool:
        try:
            self.redis.set(KEY_PREFIX + self.owner, str(time.time()), ex=KEY_TTL)
        except RedisError as exc:
            log.debug("heartbeat failed: %s", exc)
            return False
        return True

    def _run(self) -> None:
        while not self.stop.wait(BEAT_EVERY):
            self.beat()

    def close(self) -> None:
        self.stop.set()
        try:
            self.redis.delete(KEY_PREFIX + self.owner)
        except RedisError as exc:
            log.debug("heartbeat key not removed: %s", exc)


class OrphanWatch:
    """Remembers since when each owner of a 'sending' row has been missing."""

    def __init__(self, heartbeat: Heartbeat) -> None:
        self.heartbeat = heartbeat
        self.missing_since: dict[str, float] = {}

    def reclaim(self, engine: Engine, now: datetime) -> list[tuple[str, int]]:
        """Reclaim rows of owners missing for ``ORPHAN_GRACE``; returns (kind, id) pairs."""
        if not self.heartbeat.beat():  # Redis is away: its silence proves nothing
            self.missing_since.clear()
            return []
        with engine.connect() as conn:
            claims = store.sending_claims(conn)
        owners = {store.token_owner(c.claim_token) for c in claims} - {""}
        alive = self._alive(owners)
        clock = time.monotonic()
        for owner in list(self.missing_since):
            if owner in alive or owner not in owners:
                del self.missing_since[owner]
        dead = set()
        for owner in owners - alive:
            since = self.missing_since.setdefault(owner, clock)
            if clock - since >= ORPHAN_GRACE:
                dead.add(owner)
        reclaimed: list[tuple[str, int]] = []
        for claim in claims:
            if store.token_owner(claim.claim_token) in dead:
                with engine.begin() as conn:
                    if store.reclaim_orphan(conn, claim.kind, int(claim.id), claim.claim_token, now):
                        reclaimed.append((str(claim.kind), int(claim.id)))
        return reclaimed

    def _alive(self, owners: set[str]) -> set[str]:
        if not owners:
            return set()
        ordered = sorted(owners)
        values = self.heartbeat.redis.mget([KEY_PREFIX + o for o in ordered])
        return {o for o, v in zip(ordered, values, strict=True) if v is not None}
