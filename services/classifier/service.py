"""`newswatch classifier`: an RQ worker on the classify queue, plus periodic recovery.

A worker killed mid-job leaves its article unscored (RQ files the job as abandoned, it does
not rerun it). The database knows better than the queue what is missing, so every worker
sweeps for articles left unscored for a while and enqueues them again; scoring is idempotent,
so two workers sweeping the same article cost a rescore, never a second alert.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from shared import jobs, store
from shared.context import AppContext, set_context
from shared.exceptions import NewswatchError
from shared.queue import RedisQueue
from shared.topics import resolve_topics

log = logging.getLogger(__name__)

RECOVERY_AGE = timedelta(minutes=10)  # younger unscored articles still have their job queued
RECOVERY_EVERY = timedelta(minutes=5)


def recover(ctx: AppContext, older_than: timedelta = RECOVERY_AGE) -> int:
    """Re-enqueue articles a killed worker left unscored; returns how many."""
    topic_ids = [topic.id for topic in resolve_topics(ctx.config)]
    cutoff = store.utcnow() - older_than
    with ctx.engine.connect() as conn:
        ids = store.unscored_article_ids(conn, topic_ids, seen_before=cutoff)
    for batch in jobs.batches(ids):
        ctx.queue.enqueue(jobs.CLASSIFY, batch)
    if ids:
        log.info("recovery re-enqueued %d unscored articles", len(ids))
    return len(ids)


def _recover_periodically(ctx: AppContext, stop: threading.Event) -> None:
    while not stop.wait(RECOVERY_EVERY.total_seconds()):
        try:
            recover(ctx)
        except (NewswatchError, OSError) as exc:
            log.warning("recovery sweep failed, next try in %s: %s", RECOVERY_EVERY, exc)


def run(ctx: AppContext, *, burst: bool, recovery_age: timedelta = RECOVERY_AGE) -> None:
    if not isinstance(ctx.queue, RedisQueue):
        raise RuntimeError("the classifier service needs REDIS_URL; use `newswatch run` without it")
    set_context(ctx)  # jobs run in this process (SimpleWorker) and find this context
    recover(ctx, recovery_age)
    if burst:
        ctx.queue.run_worker([jobs.CLASSIFY_QUEUE], burst=True)
        return
    stop = threading.Event()
    sweeper = threading.Thread(target=_recover_periodically, args=(ctx, stop),
                               name="classifier-recovery", daemon=True)
    sweeper.start()
    try:
        ctx.queue.run_worker([jobs.CLASSIFY_QUEUE], burst=False)
    finally:
        stop.set()
