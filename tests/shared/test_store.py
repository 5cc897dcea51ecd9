"""The ledger's promises hold on both databases: once per key, whoever runs it twice."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared import store
from shared.config import FeedConfig
from shared.db import make_engine, normalize_url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    name = "sqlite_url" if request.param == "sqlite" else "pg_clean"
    return str(request.getfixturevalue(name))


def _article(identity: str, title: str) -> store.NewArticle:
    return store.NewArticle(identity=identity, content_hash=str(hash(title)), title=title,
                            summary="s", url=f"https://x.org/{identity}")


def test_article_stored_once_and_updates_detected(db_url: str) -> None:
    engine = make_engine(db_url)
    now = store.utcnow()
    with engine.begin() as conn:
        store.sync_feeds(conn, [FeedConfig(url="https://x.org/feed")], now)
        feed_id = store.enabled_feeds(conn)[0].id
        first = store.upsert_article(conn, feed_id, _article("a", "Title"), now)
        again = store.upsert_article(conn, feed_id, _article("a", "Title"), now)
        edited = store.upsert_article(conn, feed_id, _article("a", "Title, edited"), now)
    assert first[1] == "new" and again == (first[0], "same") and edited == (first[0], "updated")


def test_delivery_ledger_is_unique_and_claims_once(db_url: str) -> None:
    engine = make_engine(db_url)
    now = store.utcnow()
    with engine.begin() as conn:
        store.sync_feeds(conn, [FeedConfig(url="https://x.org/feed")], now)
        feed_id = store.enabled_feeds(conn)[0].id
        article_id, _ = store.upsert_article(conn, feed_id, _article("a", "T"), now)
        kwargs = dict(subscription_id="desk", article_id=article_id, topic_id="axis", score=0.9,
                      channel="slack", mode="instant", status="pending", now=now)
        delivery_id = store.create_delivery(conn, **kwargs)  # type: ignore[arg-type]
        assert delivery_id is not None
        assert store.create_delivery(conn, **kwargs) is None  # type: ignore[arg-type]
    lease = timedelta(minutes=5)
    with engine.begin() as conn:
        assert store.claim_delivery(conn, delivery_id, now, lease)
    with engine.begin() as conn:
        assert not store.claim_delivery(conn, delivery_id, now, lease)  # held by the first


def test_removed_feed_is_disabled_and_comes_back(db_url: str) -> None:
    engine = make_engine(db_url)
    now = store.utcnow()
    with engine.begin() as conn:
        store.sync_feeds(conn, [FeedConfig(url="https://x.org/a"), FeedConfig(url="https://x.org/b")], now)
        store.sync_feeds(conn, [FeedConfig(url="https://x.org/a")], now)
        assert [f.url for f in store.enabled_feeds(conn)] == ["https://x.org/a"]
        store.sync_feeds(conn, [FeedConfig(url="https://x.org/a"), FeedConfig(url="https://x.org/b")], now)
        assert len(store.enabled_feeds(conn)) == 2


def test_plain_postgres_urls_use_psycopg() -> None:
    assert normalize_url("postgresql://u@h:5432/d") == "postgresql+psycopg://u@h:5432/d"
    assert normalize_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"
    assert normalize_url("sqlite:///x.db") == "sqlite:///x.db"


def test_story_members_in_bulk_set_each_article_story_and_each_story_counts(db_url: str) -> None:
    """Two batches into two stories: the articles name their story, each story counts its
    members and distinct outlets and spans their earliest to latest time."""
    engine = make_engine(db_url)
    now = store.utcnow().replace(microsecond=0)
    with engine.begin() as conn:
        store.sync_feeds(conn, [FeedConfig(url="https://x.org/feed")], now)
        feed_id = store.enabled_feeds(conn)[0].id
        ids = [store.upsert_article(conn, feed_id, _article(f"a{n}", f"Report {n}"), now)[0]
               for n in range(5)]
        quake, floods = (store.create_story(conn, title=t, first_article_id=i, seen_at=now)
                         for t, i in (("Quake", ids[0]), ("Floods", ids[3])))

        def member(n: int, story: int, outlet: str, hours: int) -> store.NewMember:
            return store.NewMember(ids[n], story, outlet, "same_event", None, 0.5,
                                   now + timedelta(hours=hours))

        store.add_story_members(conn, [member(0, quake, "Wire", 0), member(1, quake, "Wire", 2),
                                       member(3, floods, "Daily", 1)])
        seqs = store.add_story_members(conn, [member(2, quake, "Herald", -1),
                                              member(4, floods, "Daily", 5)])
        assert len(seqs) == 2 and seqs == sorted(seqs)
        counts = {s: (row.article_count, row.outlet_count, store.as_utc(row.first_seen_at),
                      store.as_utc(row.last_seen_at))
                  for s in (quake, floods) if (row := store.get_story(conn, s)) is not None}
        placed = {i: store.get_article(conn, i).story_id for i in ids}  # type: ignore[union-attr]
    assert counts == {quake: (3, 2, now - timedelta(hours=1), now + timedelta(hours=2)),
                      floods: (2, 1, now + timedelta(hours=1), now + timedelta(hours=5))}
    assert placed == {ids[0]: quake, ids[1]: quake, ids[2]: quake, ids[3]: floods,
                      ids[4]: floods}


def test_batch_inserts_keep_their_order_and_last_score_wins(db_url: str) -> None:
    """Stories come back in the order asked, one per first article even when two name the
    same one; a score given twice in one batch ends as the later one, as two upserts would."""
    engine = make_engine(db_url)
    now = store.utcnow()
    with engine.begin() as conn:
        store.sync_feeds(conn, [FeedConfig(url="https://x.org/feed")], now)
        feed_id = store.enabled_feeds(conn)[0].id
        ids = [store.upsert_article(conn, feed_id, _article(f"a{n}", f"Report {n}"), now)[0]
               for n in range(3)]
        asked = [store.NewStory(f"S{n}", i, now) for n, i in enumerate([ids[2], ids[0], ids[1]])]
        made = store.create_stories(conn, asked)
        twice = store.create_stories(conn, [store.NewStory("T", ids[0], now)] * 2)
        titles = [row.title for i in made + twice if (row := store.get_story(conn, i))]
        store.save_scores(conn, [store.NewScore(ids[0], "t", 0.1, {"n": 1}, "h"),
                                 store.NewScore(ids[1], "t", 0.2, {}, "h"),
                                 store.NewScore(ids[0], "t", 0.3, {"n": 2}, "h")], now)
        kept = store.get_score(conn, ids[0], "t")
    assert titles == ["S0", "S1", "S2", "T", "T"] and len(set(made + twice)) == 5
    assert kept is not None and (kept.score, kept.explanation) == (0.3, {"n": 2})
