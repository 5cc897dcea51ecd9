"""The classifier's RQ job: score one article against every topic, then route it."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from services.classifier.dedup_assign import assigner
from services.classifier.learning import learned_topics
from services.classifier.routing import create_deliveries
from services.classifier.scorer import TopicScorer, build_scorers
from shared import jobs, store
from shared.context import AppContext, get_context
from shared.exceptions import QueueError
from shared.retry import transient_retry
from shared.topics import resolve_topics

log = logging.getLogger(__name__)


def scorers(ctx: AppContext) -> dict[str, TopicScorer]:
    """Scorers are built once per process (and again after a config change), with what the
    topics learned from feedback labels so far."""
    cached: dict[str, TopicScorer] | None = ctx.cache.get("scorers")
    if cached is None:
        with ctx.engine.connect() as conn:
            feedback = store.list_feedback(conn)
        cached = build_scorers(learned_topics(resolve_topics(ctx.config), feedback))
        ctx.cache["scorers"] = cached
    return cached


@transient_retry
def classify_article(article_id: int) -> None:
    """Idempotent: rescoring rewrites the scores; the delivery ledger refuses duplicates."""
    ctx = get_context()
    topic_scorers = scorers(ctx)
    now = store.utcnow()
    with ctx.engine.begin() as conn:
        article = store.get_article(conn, article_id)
        if article is None:
            log.warning("article %s not found: deleted before it was classified", article_id)
            return
        results: dict[str, float] = {}
        for topic_id, scorer in topic_scorers.items():
            result = scorer.score(article.title, article.summary)
            store.save_score(conn, article_id, topic_id, result.score, result.explanation,
                             article.content_hash, now)
            results[topic_id] = result.score
        thresholds = {tid: s.topic.threshold for tid, s in topic_scorers.items()}
        story_id = _assign_story(ctx, conn, article, now)
        to_send = create_deliveries(conn, ctx.config, article, results, thresholds, now, story_id)
    log.debug("article %s scored %s", article_id, results)
    for delivery_id in to_send:
        try:
            ctx.queue.enqueue(jobs.DELIVER, delivery_id)
        except QueueError as exc:  # the row is committed: the notifier's tick enqueues it
            log.warning("delivery %d left for the notifier's tick: %s", delivery_id, exc)


def _assign_story(ctx: AppContext, conn: Any, article: Any, now: datetime) -> int | None:
    """Put the article in its story (services.classifier.dedup_assign) before routing."""
    return assigner(ctx.cache, ctx.config.stories).assign(conn, article, now)
