"""`newswatch feedback ARTICLE_ID --topic ID relevant|not-relevant` against real PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from newswatch.cli import main_group
from shared import store
from shared.config import FeedConfig
from shared.db import make_engine


@pytest.fixture
def article_id(pg_clean: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> int:
    monkeypatch.setenv("DATABASE_URL", pg_clean)
    monkeypatch.chdir(tmp_path)  # no ./newswatch.yaml: built-in topics only
    engine = make_engine(pg_clean)
    now = store.utcnow()
    with engine.begin() as conn:
        store.sync_feeds(conn, [FeedConfig(url="https://wire.example.org/feed")], now)
        feed_id = store.enabled_feeds(conn)[0].id
        found, _ = store.upsert_article(conn, feed_id, store.NewArticle(
            identity="x", content_hash="x", title="Iran and Russia sign a gas deal",
            summary="The deal covers pipelines.", url="https://wire.example.org/x"), now)
    engine.dispose()
    return int(found)


def cli(*args: str) -> Result:
    return CliRunner().invoke(main_group, list(args), catch_exceptions=False)


def test_label_is_stored_and_can_be_changed(article_id: int, pg_clean: str) -> None:
    result = cli("feedback", str(article_id), "--topic", "axis", "not-relevant")
    assert result.exit_code == 0, result.output
    assert "labelled not-relevant for axis" in result.output
    result = cli("feedback", str(article_id), "--topic", "axis", "relevant")
    assert "(was not-relevant)" in result.output
    engine = make_engine(pg_clean)
    with engine.connect() as conn:
        rows = store.list_feedback(conn, "axis")
    engine.dispose()
    assert [(r.article_id, r.label, r.source) for r in rows] == [(article_id, "relevant", "cli")]


def test_unknown_article_topic_or_label_is_a_clear_error(article_id: int) -> None:
    missing = cli("feedback", str(article_id + 99), "--topic", "axis", "relevant")
    assert missing.exit_code == 1 and f"no article with id {article_id + 99}" in missing.output
    topic = cli("feedback", str(article_id), "--topic", "nope", "relevant")
    assert topic.exit_code == 1 and "unknown topic 'nope'" in topic.output
    label = cli("feedback", str(article_id), "--topic", "axis", "maybe")
    assert label.exit_code == 2 and "maybe" in label.output
