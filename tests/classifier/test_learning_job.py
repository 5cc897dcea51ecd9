"""The classifier builds its scorers with what feedback labels taught (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from services.classifier import jobs
from shared import store
from shared.config import AppConfig, FeedConfig
from shared.context import AppContext
from shared.db import make_engine
from shared.queue import InlineQueue
from shared.settings import Settings

FALSE_ALERT = "Iran’s Khamenei says US weapons makers want to keep the Ukraine war going"
SUMMARY = "The supreme leader accuses Washington of prolonging the war to benefit arms makers."


@pytest.fixture(params=["sqlite_url", "pg_clean"])
def ctx(request: pytest.FixtureRequest) -> AppContext:
    url = str(request.getfixturevalue(request.param))
    return AppContext(settings=Settings(), config=AppConfig(), engine=make_engine(url),
                      queue=InlineQueue())


def _label(ctx: AppContext, identity: str, title: str, summary: str, label: str) -> None:
    now = store.utcnow()
    with ctx.engine.begin() as conn:
        store.sync_feeds(conn, [FeedConfig(url="https://wire.example.org/feed")], now)
        feed_id = store.enabled_feeds(conn)[0].id
        article_id, _ = store.upsert_article(conn, feed_id, store.NewArticle(
            identity=identity, content_hash=identity, title=title, summary=summary,
            url=f"https://wire.example.org/{identity}"), now)
        store.save_feedback(conn, article_id, "axis", label, "link", now)


def test_scorers_learn_from_labels_in_the_database(ctx: AppContext) -> None:
    before = jobs.scorers(ctx)["axis"]
    assert before.score(FALSE_ALERT, SUMMARY).score >= before.topic.threshold
    _label(ctx, "tp1", "Iran ships Shahed drones to Russia by sea", "", "relevant")
    _label(ctx, "fp1", FALSE_ALERT, SUMMARY, "not-relevant")
    _label(ctx, "fp2", "Iran’s foreign minister says US weapons prolong the Ukraine war",
           "Tehran accuses Washington of sending arms to Kyiv.", "not-relevant")
    ctx.cache.clear()  # what a config reload or a restart does
    after = jobs.scorers(ctx)["axis"]
    assert after.topic.learned_weights
    assert after.score(FALSE_ALERT, SUMMARY).score < after.topic.threshold
    assert after.score("Iran ships Shahed drones to Russia by sea", "").score >= after.topic.threshold


def test_new_labels_reach_a_running_classifier_without_a_restart(ctx: AppContext) -> None:
    before = jobs.scorers(ctx)
    assert jobs.scorers(ctx) is before  # nothing changed: the next batch reuses them
    _label(ctx, "tp1", "Iran ships Shahed drones to Russia by sea", "", "relevant")
    _label(ctx, "fp1", FALSE_ALERT, SUMMARY, "not-relevant")
    _label(ctx, "fp2", "Iran’s foreign minister says US weapons prolong the Ukraine war",
           "Tehran accuses Washington of sending arms to Kyiv.", "not-relevant")
    after = jobs.scorers(ctx)  # no cache clear, no config edit: the watermark moved
    assert after is not before and after["axis"].topic.learned_weights
    assert after["axis"].score(FALSE_ALERT, SUMMARY).score < after["axis"].topic.threshold
    assert jobs.scorers(ctx) is after

    _label(ctx, "fp1", FALSE_ALERT, SUMMARY, "relevant")  # a reader changes their mind
    assert jobs.scorers(ctx) is not after


def test_scorers_built_from_a_replaced_config_are_not_reused(ctx: AppContext) -> None:
    """The watch thread swapped the config (and cleared the cache) while a job was building:
    what that job stored afterwards names the old config and is rebuilt, not used."""
    before = jobs.scorers(ctx)
    ctx.config = AppConfig.model_validate({"topics": [{"id": "axis", "threshold": 0.99}]})
    after = jobs.scorers(ctx)
    assert after is not before and after["axis"].topic.threshold == 0.99
