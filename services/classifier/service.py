"""`newswatch classifier`: an RQ worker on the classify queue, plus periodic recovery.

A worker killed mid-job leaves its article unscored (RQ files the job as abandoned, it does
not rerun it); a Redis restart without persistence loses every queued job; a fetcher that
could not reach Redis may die before it enqueued what it stored. The database knows better
than the queue what is missing, so every worker sweeps (every ``RECOVERY_EVERY``) for
articles left unscored longer than ``--recover-after`` and enqueues them again, and puts
back the jobs RQ filed as failed. Scoring is idempotent, so two workers sweeping the same
article cost a rescore, never a second alert.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from shared import jobs, store
from shared.config import AppConfig
from shared.context import AppContext, set_context, watch_config
from shared.exceptions import NewswatchError
from shared.queue import RedisQueue
from shared.retry import describe
from shared.signals import start_daemon
from shared.topics import resolve_topics

log = logging.getLogger(__name__)

RECOVERY_AGE = timedelta(seconds=30)  # younger unscored articles may still have their job queued
RECOVERY_EVERY = timedelta(seconds=10)
RESWEEP_FIRST = 30.0  # seconds before one article is swept again; doubles each time
RESWEEP_MAX = 1800.0  # so an article that always fails is retried twice an hour, not forever
SWEEP_WINDOW = timedelta(days=7)  # how far back the sweep looks when alert_max_age is off


class Resweeps:
    """Per-article backoff for the sweep: an article that keeps failing is not re-enqueued
    every ten seconds (its failures stay visible in RQ's failed registry)."""

    def __init__(self) -> None:
        self._next: dict[int, tuple[float, float]] = {}  # article -> (allowed at, pause)

    def allow(self, article_ids: list[int], now: float) -> list[int]:
        allowed = []
        for article_id in article_ids:
            at, pause = self._next.get(article_id, (0.0, RESWEEP_FIRST / 2))
            if now >= at:
                pause = min(pause * 2, RESWEEP_MAX)
                self._next[article_id] = (now + pause, pause)
                allowed.append(article_id)
        if len(self._next) > 100_000:  # scored articles are never asked about again
            self._next = {k: v for k, v in self._next.items() if v[0] > now}
        return allowed


def recover(
    ctx: AppContext, older_than: timedelta = RECOVERY_AGE, resweeps: Resweeps | None = None,
) -> int:
    """Re-enqueue articles left unscored (killed worker, lost job); returns how many."""
    topic_ids = [topic.id for topic in resolve_topics(ctx.config)]
    now = store.utcnow()
    with ctx.engine.connect() as conn:
        ids = store.unscored_article_ids(conn, topic_ids, seen_before=now - older_than,
                                         seen_after=now - sweep_window(ctx.config),
                                         newest_first=True)
    if resweeps is not None:
        ids = resweeps.allow(ids, time.monotonic())
    for batch in jobs.batches(ids):
        ctx.queue.enqueue(jobs.CLASSIFY, batch)
    if ids:
        log.info("recovery re-enqueued %d unscored articles", len(ids))
    return len(ids)


def sweep_window(config: AppConfig) -> timedelta:
    """Only articles first seen this recently are swept: older ones could not alert anyway
    (``alert_max_age``), and a topic added later must not rescore the whole history first."""
    return config.alert_max_age or SWEEP_WINDOW


def unscored_recent(ctx: AppContext) -> list[int]:
    """The articles the sweep would retry now: what `run --once` reports as unscored."""
    topic_ids = [topic.id for topic in resolve_topics(ctx.config)]
    with ctx.engine.connect() as conn:
        return store.unscored_article_ids(
            conn, topic_ids, seen_after=store.utcnow() - sweep_window(ctx.config))


def sweep(ctx: AppContext, queue: RedisQueue, older_than: timedelta, resweeps: Resweeps) -> None:
    """Failed jobs back onto the queue; then, if nothing is queued that could still score
    them, the articles left unscored longer than ``older_than``."""
    queue.requeue_failed(jobs.CLASSIFY_QUEUE)
    if queue.queued_jobs(jobs.CLASSIFY_QUEUE) == 0:
        recover(ctx, older_than, resweeps)


def _recover_periodically(
    ctx: AppContext, queue: RedisQueue, stop: threading.Event, older_than: timedelta,
) -> None:
    """Survives outages of both servers: one line per failed sweep, then the next one."""
    resweeps = Resweeps()
    while not stop.wait(RECOVERY_EVERY.total_seconds()):
        try:
            sweep(ctx, queue, older_than, resweeps)
        except (NewswatchError, OSError, SQLAlchemyError, RedisError) as exc:
            log.warning("recovery sweep failed, next try in %ss: %s",
                        int(RECOVERY_EVERY.total_seconds()), describe(exc))
        except Exception:  # noqa: BLE001 - one bad sweep must not end the recovery thread
            log.exception("recovery sweep failed unexpectedly, next try in %ss",
                          int(RECOVERY_EVERY.total_seconds()))


def run(ctx: AppContext, *, burst: bool, recovery_age: timedelta = RECOVERY_AGE) -> None:
    if not isinstance(ctx.queue, RedisQueue):
        raise RuntimeError("the classifier service needs REDIS_URL; use `newswatch run` without it")
    set_context(ctx)  # jobs run in this process (SimpleWorker) and find this context
    sweep(ctx, ctx.queue, recovery_age, Resweeps())
    if burst:
        ctx.queue.run_worker([jobs.CLASSIFY_QUEUE], burst=True)
        return
    stop = threading.Event()
    start_daemon(_recover_periodically, ctx, ctx.queue, stop, recovery_age,
                 name="classifier-recovery")
    watch_config(ctx, stop)  # topics and thresholds follow the config file without a restart
    try:
        ctx.queue.run_worker([jobs.CLASSIFY_QUEUE], burst=False)
    finally:
        stop.set()
