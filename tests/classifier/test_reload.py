"""The classifier follows its config file while running: thresholds, topics, subscriptions.

Real PostgreSQL and Redis; the job runs as RQ runs it (by ``get_context()``), and the config
is changed the way people change it: a new file renamed over the old one.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from redis import Redis
from rq import Queue
from sqlalchemy import select

from services.classifier import service
from services.classifier.jobs import classify_article, scorers
from shared import jobs, store
from shared.config import FeedConfig
from shared.context import AppContext, build_context, set_context
from shared.models import deliveries, scores
from shared.settings import Settings

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "classifier"
FEED_URL = "https://wire.example.net/world.xml"
IRAN_MISSILES = (
    "Iran ships Fath-360 ballistic missiles to Russia, Western officials say",
    "Tehran delivered more than 200 close-range ballistic missiles to Moscow for use against "
    "Ukraine, according to US and European officials, who announced sanctions on Iranian "
    "shipping firms.",
)
NK_SHELLS = (
    "North Korea sends artillery shells and KN-23 missiles to Russia, Seoul says",
    "South Korean intelligence said Pyongyang has shipped millions of artillery shells and "
    "KN-23 ballistic missiles to Russia in exchange for oil and military technology.",
)
H5N1_CATTLE = (
    "Bird flu found in dairy herds in two more US states",
    "H5N1 avian influenza was confirmed in dairy cattle in Colorado and Idaho; health officials "
    "are testing farm workers and tracking the virus in raw milk.",
)
CONSOLE = """\
feeds:
  - url: https://wire.example.net/world.xml
topics:
  - id: axis
    threshold: {threshold}
subscriptions:
  - id: console
    topics: [axis]
    console: {{}}
"""
DESK = """\
  - id: desk
    topics: [axis]
    slack: {webhook_url: "https://hooks.slack.com/services/T0/B0/xyz"}
"""


def replace(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".new")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def context(config_path: Path, pg_url: str, redis_url: str) -> AppContext:
    settings = Settings(DATABASE_URL=pg_url, REDIS_URL=redis_url)
    ctx = build_context(config_path, settings=settings)
    assert ctx.watcher is not None
    ctx.watcher.every = 0  # the production default is 2 s between looks
    set_context(ctx)  # what `newswatch classifier` does before it starts the RQ worker
    return ctx


def add_article(ctx: AppContext, title: str, summary: str, *, ago: timedelta = timedelta(0)) -> int:
    now = datetime.now(UTC) - ago
    digest = hashlib.sha256(title.encode()).hexdigest()
    with ctx.engine.begin() as conn:
        store.sync_feeds(conn, [FeedConfig(url=FEED_URL)], now)
        feed_id = next(f.id for f in store.all_feeds(conn) if f.url == FEED_URL)
        article_id, _ = store.upsert_article(conn, feed_id, store.NewArticle(
            identity=digest[:32], content_hash=digest, title=title, summary=summary,
            url=f"https://wire.example.net/a/{digest[:8]}",
            published_at=now - timedelta(minutes=20)), now)
    return article_id


def subscribers(ctx: AppContext, article_id: int) -> list[str]:
    with ctx.engine.connect() as conn:
        rows = conn.execute(select(deliveries.c.subscription_id)
                            .where(deliveries.c.article_id == article_id))
        return sorted(row.subscription_id for row in rows)


def test_a_subscription_added_while_running_gets_the_next_relevant_article(
        tmp_path: Path, pg_clean: str, redis_clean: str) -> None:
    path = tmp_path / "newswatch.yaml"
    path.write_text(CONSOLE.format(threshold=0.5), encoding="utf-8")
    ctx = context(path, pg_clean, redis_clean)

    first = add_article(ctx, *IRAN_MISSILES)
    classify_article(first)
    assert subscribers(ctx, first) == ["console"]

    replace(path, CONSOLE.format(threshold=0.5) + DESK)
    second = add_article(ctx, *NK_SHELLS)
    classify_article(second)
    assert subscribers(ctx, second) == ["console", "desk"]
    assert subscribers(ctx, first) == ["console"]  # no backfill of what was already routed
    queued = Queue(jobs.NOTIFY_QUEUE, connection=Redis.from_url(redis_clean)).jobs
    assert len([job for job in queued if job.func_name == jobs.DELIVER]) == 3


def test_a_raised_threshold_applies_to_the_next_article(
        tmp_path: Path, pg_clean: str, redis_clean: str) -> None:
    path = tmp_path / "newswatch.yaml"
    path.write_text(CONSOLE.format(threshold=0.5), encoding="utf-8")
    ctx = context(path, pg_clean, redis_clean)

    first = add_article(ctx, *IRAN_MISSILES)
    classify_article(first)
    scorers_before = scorers(ctx)
    assert subscribers(ctx, first) == ["console"]

    replace(path, CONSOLE.format(threshold=1.0))
    second = add_article(ctx, *NK_SHELLS)
    classify_article(second)
    assert subscribers(ctx, second) == []
    assert scorers(ctx) is not scorers_before  # rebuilt from the new config
    assert scorers(ctx)["axis"].topic.threshold == 1.0


def test_a_topic_added_with_reference_files_is_scored_without_restart(
        tmp_path: Path, pg_clean: str, redis_clean: str) -> None:
    path = tmp_path / "newswatch.yaml"
    path.write_text(CONSOLE.format(threshold=0.5), encoding="utf-8")
    ctx = context(path, pg_clean, redis_clean)
    classify_article(add_article(ctx, *IRAN_MISSILES))

    shutil.copytree(FIXTURES / "flu_refs", tmp_path / "topics" / "flu")
    replace(path, CONSOLE.format(threshold=0.5).replace(
        "topics:\n", "topics:\n  - id: flu\n    references: [topics/flu/*.md]\n") + """\
  - id: health-desk
    topics: [flu]
    console: {}
""")
    article = add_article(ctx, *H5N1_CATTLE)
    classify_article(article)
    with ctx.engine.connect() as conn:
        scored = {row.topic_id for row in conn.execute(
            select(scores.c.topic_id).where(scores.c.article_id == article))}
    assert scored == {"axis", "flu"}
    assert subscribers(ctx, article) == ["health-desk"]


H5N1_TEXAS = (
    "Bird flu confirmed in Texas dairy cattle as H5N1 spreads between herds",
    "Texas officials confirmed H5N1 avian influenza in dairy cows; farm workers are being "
    "tested and raw milk from affected herds is being discarded.",
)


def test_a_topic_added_later_scores_recent_articles_without_replaying_them(
        tmp_path: Path, pg_clean: str, redis_clean: str) -> None:
    path = tmp_path / "newswatch.yaml"
    path.write_text(CONSOLE.format(threshold=0.5), encoding="utf-8")
    ctx = context(path, pg_clean, redis_clean)
    ancient = add_article(ctx, *IRAN_MISSILES, ago=timedelta(days=3))  # > alert_max_age 48 h
    before = add_article(ctx, *H5N1_CATTLE, ago=timedelta(hours=1))
    recent = add_article(ctx, *NK_SHELLS, ago=timedelta(minutes=30))
    classify_article([ancient, before, recent])

    shutil.copytree(FIXTURES / "flu_refs", tmp_path / "topics" / "flu")
    replace(path, CONSOLE.format(threshold=0.5).replace(
        "topics:\n", "topics:\n  - id: flu\n    references: [topics/flu/*.md]\n") + """\
  - id: health-desk
    topics: [flu]
    console: {}
""")
    assert ctx.reload_config()
    assert service.recover(ctx, older_than=timedelta(0)) == 2
    queued = Queue(jobs.CLASSIFY_QUEUE, connection=Redis.from_url(redis_clean)).jobs
    assert [job.args for job in queued] == [([recent, before],)]  # newest first, 3-day-old not
    classify_article([recent, before])

    with ctx.engine.connect() as conn:
        flu = {row.article_id for row in conn.execute(
            select(scores.c.article_id).where(scores.c.topic_id == "flu"))}
    assert flu == {recent, before}
    with ctx.engine.connect() as conn:
        flu_score = store.get_score(conn, before, "flu")
    assert flu_score is not None and flu_score.score >= scorers(ctx)["flu"].topic.threshold
    assert subscribers(ctx, before) == []  # a match on the new topic, not replayed as an alert
    fresh = add_article(ctx, *H5N1_TEXAS)
    classify_article(fresh)
    assert subscribers(ctx, fresh) == ["health-desk"]
