"""Feedback labels on both databases: one per (article, topic), the latest verdict kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete

from shared import store
from shared.config import FeedConfig
from shared.db import make_engine
from shared.models import articles


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    name = "sqlite_url" if request.param == "sqlite" else "pg_clean"
    return str(request.getfixturevalue(name))


def _two_articles(conn, now):  # type: ignore[no-untyped-def]
    store.sync_feeds(conn, [FeedConfig(url="https://wire.example.org/feed")], now)
    feed_id = store.enabled_feeds(conn)[0].id
    ids = []
    for identity, title in (("a", "Iran ships drones to Russia by sea"),
                            ("b", "Russia and Iran sign a gas deal")):
        article_id, _ = store.upsert_article(conn, feed_id, store.NewArticle(
            identity=identity, content_hash=identity, title=title, summary="Summary.",
            url=f"https://wire.example.org/{identity}"), now)
        ids.append(article_id)
    return ids


def test_latest_label_wins_and_lists_with_text(db_url: str) -> None:
    engine = make_engine(db_url)
    now = store.utcnow()
    with engine.begin() as conn:
        first, second = _two_articles(conn, now)
        store.save_score(conn, first, "axis", 0.81, {"summary": "s"}, "a", now)
        store.save_feedback(conn, first, "axis", "not-relevant", "link", now)
        store.save_feedback(conn, first, "axis", "relevant", "cli", now + timedelta(minutes=1))
        store.save_feedback(conn, second, "axis", "not-relevant", "web", now + timedelta(minutes=2))
        store.save_feedback(conn, second, "other", "relevant", "cli", now)
    with engine.connect() as conn:
        rows = store.list_feedback(conn, "axis")
        everything = store.list_feedback(conn)
        single = store.get_feedback(conn, first, "axis")
    assert [(r.article_id, r.label, r.source) for r in rows] == [
        (first, "relevant", "cli"), (second, "not-relevant", "web")]
    assert rows[0].title == "Iran ships drones to Russia by sea" and rows[0].score == 0.81
    assert rows[1].score is None
    assert len(everything) == 3 and single is not None and single.label == "relevant"


def test_bad_label_or_source_is_refused(db_url: str) -> None:
    engine = make_engine(db_url)
    now = store.utcnow()
    with engine.begin() as conn:
        first, _ = _two_articles(conn, now)
        with pytest.raises(ValueError, match="label"):
            store.save_feedback(conn, first, "axis", "maybe", "cli", now)
        with pytest.raises(ValueError, match="source"):
            store.save_feedback(conn, first, "axis", "relevant", "email", now)


def test_deleting_an_article_drops_its_labels(db_url: str) -> None:
    engine = make_engine(db_url)
    now = store.utcnow()
    with engine.begin() as conn:
        first, _ = _two_articles(conn, now)
        store.save_feedback(conn, first, "axis", "relevant", "cli", now)
    with engine.begin() as conn:
        conn.execute(delete(articles).where(articles.c.id == first))
    with engine.connect() as conn:
        assert store.list_feedback(conn) == []
