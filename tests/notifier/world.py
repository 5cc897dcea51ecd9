"""A small real world for notifier job tests: a migrated database with feeds, articles, scores
and delivery rows, and an AppContext on the in-process queue (or Redis)."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from shared import jobs, store
from shared.config import AppConfig, FeedConfig
from shared.context import AppContext, set_context
from shared.db import make_engine
from shared.queue import InlineQueue, TaskQueue
from shared.settings import Settings

FEED_URL = "https://wire.example.net/world.xml"
EXPLANATION = {
    "summary": "Drone components moving from Iran to Russia by sea",
    "evidence": ["actors: Iran, Russia", "transfer: shipped", "weapons: Shahed"],
    "passage": {"text": "Components cross the Caspian on cargo ships.", "source": "brief.md",
                "similarity": 0.44},
}
FAST = {"retry_base": "0.05s", "retry_max_interval": "0.2s", "slack_min_interval": 0,
        "lease": "2s", "requeue_after": "30s", "tick_every": "0.2s"}


def make_config(subscriptions: list[dict[str, Any]], **notifier: Any) -> AppConfig:
    return AppConfig.model_validate({
        "feeds": [{"url": FEED_URL, "name": "Example Wire"}],
        "subscriptions": subscriptions,
        "notifier": {**FAST, **notifier},
    })


def make_context(db_url: str, config: AppConfig, queue: TaskQueue | None = None,
                 **settings: Any) -> AppContext:
    ctx = AppContext(settings=Settings(**settings), config=config, engine=make_engine(db_url),
                     queue=queue or InlineQueue())
    set_context(ctx)
    return ctx


def add_article(ctx: AppContext, title: str, *, score: float = 0.8, topic: str = "axis",
                subscription: str | None = None, status: str = "pending",
                channel: str = "slack", mode: str = "instant") -> int:
    """Article + score (+ a delivery row when ``subscription`` is given); returns the id."""
    now = datetime.now(UTC)
    with ctx.engine.begin() as conn:
        store.sync_feeds(conn, [FeedConfig(url=FEED_URL, name="Example Wire")], now)
        feed_id = next(f.id for f in store.all_feeds(conn) if f.url == FEED_URL)
        digest = hashlib.sha256(title.encode()).hexdigest()
        article_id, _ = store.upsert_article(conn, feed_id, store.NewArticle(
            identity=digest[:32], content_hash=digest, title=title,
            summary="A cargo ship docked.", url=f"https://wire.example.net/a/{digest[:8]}",
            published_at=now - timedelta(minutes=30)), now)
        store.save_score(conn, article_id, topic, score, EXPLANATION, digest, now)
        if subscription is None:
            return article_id
        delivery_id = store.create_delivery(
            conn, subscription_id=subscription, article_id=article_id, topic_id=topic,
            score=score, channel=channel, mode=mode, status=status, now=now)
    assert delivery_id is not None
    if status == "pending":  # as the classifier does, after its transaction
        ctx.queue.enqueue(jobs.DELIVER, delivery_id)
    return delivery_id


def delivery(ctx: AppContext, delivery_id: int) -> Any:
    with ctx.engine.connect() as conn:
        return store.get_delivery(conn, delivery_id)


def attempts(ctx: AppContext, delivery_id: int) -> list[Any]:
    with ctx.engine.connect() as conn:
        return store.attempts_for(conn, delivery_id=delivery_id)


def run_until(ctx: AppContext, done: Any, timeout: float = 10.0) -> None:
    """What the embedded runner does: run queued jobs and tick, until ``done()`` holds."""
    from services.notifier import service

    assert isinstance(ctx.queue, InlineQueue)
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        ctx.queue.run_pending()
        service.tick(ctx)
        ctx.queue.run_pending()
        time.sleep(0.02)
