"""`newswatch classifier`: an RQ worker on the classify queue."""

from __future__ import annotations

import logging
from datetime import timedelta

from shared import jobs, store
from shared.context import AppContext
from shared.queue import RedisQueue
from shared.topics import resolve_topics

log = logging.getLogger(__name__)

RECOVERY_AGE = timedelta(minutes=10)  # younger unscored articles still have their job queued


def recover(ctx: AppContext, older_than: timedelta = RECOVERY_AGE) -> int:
    """Re-enqueue articles a killed worker left unscored; returns how many."""
    topic_ids = [topic.id for topic in resolve_topics(ctx.config)]
    cutoff = store.utcnow() - older_than
    with ctx.engine.connect() as conn:
        ids = store.unscored_article_ids(conn, topic_ids, seen_before=cutoff)
    for article_id in ids:
        ctx.queue.enqueue(jobs.CLASSIFY, article_id)
    if ids:
        log.info("recovery re-enqueued %d unscored articles", len(ids))
    return len(ids)


def run(ctx: AppContext, *, burst: bool) -> None:
    if not isinstance(ctx.queue, RedisQueue):
        raise RuntimeError("the classifier service needs REDIS_URL; use `newswatch run` without it")
    recover(ctx)
    ctx.queue.run_worker([jobs.CLASSIFY_QUEUE], burst=burst)
