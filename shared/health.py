"""Liveness of one service instance, for `newswatch health` and compose healthchecks.

A service is healthy when the database and Redis answer *and* its own loop is alive:
- the fetcher touches ``<data dir>/fetcher.alive`` on every pass of its loop;
- an RQ worker (classifier, notifier) is registered in Redis under a name that starts with
  its queue and this host's name (the container id in compose), and RQ's heartbeat on it is
  recent. RQ beats after every job and every ``dequeue_timeout`` (WORKER_TTL - 15 s) idle;
  a SimpleWorker running a job beats only when it starts it, so a *busy* worker is given the
  job timeout (``jobs.JOB_TIMEOUT``, after which RQ kills the job and beats again) on top.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shared import jobs

if TYPE_CHECKING:  # pydantic-settings costs CLI start-up; `newswatch health` loads it itself
    from shared.settings import Settings

log = logging.getLogger(__name__)

WORKER_TTL = 60  # seconds; RQ's registry entry lives WORKER_TTL + 60 s without a beat
MAX_BEAT_AGE = 2 * WORKER_TTL  # older than this: the worker loop is stuck or gone
FETCHER_BEAT_FILE = "fetcher.alive"
MAX_FETCHER_AGE = 120.0  # seconds; the loop passes every second or so, plus a slow DB call
TIMEOUT = 3.0  # seconds for each reachability probe
SERVICES = ("fetcher", "classifier", "notifier", "web")
WORKER_QUEUES = {"classifier": jobs.CLASSIFY_QUEUE, "notifier": jobs.NOTIFY_QUEUE}


def worker_name(queue_names: Sequence[str]) -> str:
    """``classify@<host>.<pid>.<random>``: unique, and findable by the health check."""
    return f"{'+'.join(queue_names)}@{socket.gethostname()}.{os.getpid()}.{secrets.token_hex(3)}"


def fetcher_beat_path(settings: Settings) -> Path:
    return settings.data_dir / FETCHER_BEAT_FILE


class FetcherBeat:
    """Touches the beat file; a data dir that cannot be written is logged once, not fatal."""

    def __init__(self, settings: Settings) -> None:
        self.path = fetcher_beat_path(settings)
        self._warned = False

    def beat(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(f"{time.time():.0f}\n", encoding="ascii")
        except OSError as exc:
            if not self._warned:
                log.warning("cannot write the fetcher heartbeat %s (health checks will fail): %s",
                            self.path, exc)
                self._warned = True


@dataclass(frozen=True)
class Probe:
    ok: bool
    what: str


def check_database(settings: Settings) -> Probe:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.pool import NullPool

    from shared.db import normalize_url, ping

    url = normalize_url(settings.resolved_database_url())
    backend = make_url(url).get_backend_name()
    args = {"connect_timeout": int(TIMEOUT)} if backend == "postgresql" else {"timeout": TIMEOUT}
    engine = create_engine(url, connect_args=args, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            ping(conn)
    except SQLAlchemyError as exc:
        first = str(getattr(exc, "orig", exc)).strip().splitlines()
        return Probe(False, f"database unreachable: {first[0] if first else type(exc).__name__}")
    finally:
        engine.dispose()
    return Probe(True, "database ok")


def check_redis(settings: Settings) -> Probe:
    from redis import Redis
    from redis.exceptions import RedisError

    if not settings.redis_url:
        return Probe(False, "REDIS_URL is not set")
    try:
        Redis.from_url(settings.redis_url, socket_connect_timeout=TIMEOUT,
                       socket_timeout=TIMEOUT).ping()
    except RedisError as exc:
        return Probe(False, f"redis unreachable: {exc}")
    return Probe(True, "redis ok")


def check_worker(settings: Settings, queue_name: str, now: datetime | None = None) -> Probe:
    """A worker of this host on ``queue_name`` with a recent RQ heartbeat."""
    from redis import Redis
    from rq import Queue, Worker

    assert settings.redis_url
    connection = Redis.from_url(settings.redis_url, socket_connect_timeout=TIMEOUT,
                                socket_timeout=TIMEOUT)
    prefix = f"{queue_name}@{socket.gethostname()}."
    now = now or datetime.now(UTC)
    ages: list[tuple[float, bool]] = []  # (seconds since the beat, busy with a job)
    seen: set[str] = set()
    for worker in Worker.all(connection=connection, queue=Queue(queue_name, connection=connection)):
        if worker.name.startswith(prefix) and worker.last_heartbeat is not None:
            seen.add(worker.name)
            beat = worker.last_heartbeat
            beat = beat if beat.tzinfo else beat.replace(tzinfo=UTC)
            ages.append(((now - beat).total_seconds(), worker.get_state() == "busy"))
    ages += _unregistered_beats(connection, prefix, seen, now)
    if not ages:
        return Probe(False, f"no {queue_name} worker of this host is registered in Redis")
    alive = [(age, busy) for age, busy in ages if age <= _max_age(busy)]
    if not alive:
        age, busy = min(ages)
        return Probe(False, f"{queue_name} worker heartbeat is {age:.0f}s old "
                            f"(> {_max_age(busy)}s{' for a busy worker' if busy else ''})")
    age, busy = min(alive)
    return Probe(True, f"{queue_name} worker alive ({'busy, ' if busy else ''}beat {age:.0f}s ago)")


def _unregistered_beats(
    connection: Any, prefix: str, seen: set[str], now: datetime,
) -> list[tuple[float, bool]]:
    """Beats of our workers missing from RQ's worker sets: after Redis lost its data a running
    worker keeps beating into its own key, but RQ adds it to the sets only at start."""
    from rq.utils import utcparse

    found: list[tuple[float, bool]] = []
    key_prefix = "rq:worker:"
    for raw in connection.scan_iter(match=f"{key_prefix}{prefix}*", count=500):
        key = raw.decode() if isinstance(raw, bytes) else str(raw)
        name = key[len(key_prefix):]
        if ":" in name or name in seen:  # rq:worker:<name>:executions and the like
            continue
        beat_raw, state, death = connection.hmget(key, "last_heartbeat", "state", "death")
        if not beat_raw or death:  # a worker that shut down keeps its key for a minute
            continue
        try:
            beat = utcparse(beat_raw.decode() if isinstance(beat_raw, bytes) else beat_raw)
        except ValueError:
            continue
        found.append(((now - beat).total_seconds(), state in (b"busy", "busy")))
    return found


def _max_age(busy: bool) -> int:
    return MAX_BEAT_AGE + (jobs.JOB_TIMEOUT if busy else 0)


def check_fetcher(settings: Settings) -> Probe:
    path = fetcher_beat_path(settings)
    try:
        age = time.time() - path.stat().st_mtime
    except OSError:
        return Probe(False, f"fetcher loop has not started (no {path})")
    if age > MAX_FETCHER_AGE:
        return Probe(False, f"fetcher loop stalled: last pass {age:.0f}s ago (> {MAX_FETCHER_AGE:.0f}s)")
    return Probe(True, f"fetcher loop alive (last pass {age:.0f}s ago)")


def check_service(service: str, settings: Settings) -> list[Probe]:
    """The probes for ``service``, stopping at the first failure (its message is the answer)."""
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}; one of {', '.join(SERVICES)}")
    probes = [check_database(settings)]
    if not probes[-1].ok:
        return probes
    if service == "web" and not settings.redis_url:
        return probes
    probes.append(check_redis(settings))
    if not probes[-1].ok:
        return probes
    if service == "fetcher":
        probes.append(check_fetcher(settings))
    elif service in WORKER_QUEUES:
        probes.append(check_worker(settings, WORKER_QUEUES[service]))
    return probes
