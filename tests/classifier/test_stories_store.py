"""Story assignment against real databases: catch-up between workers, the lock, the gate."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from services.classifier.dedup_assign import StoryAssigner, story_gate
from services.classifier.dedup_metrics import LabelledArticle, load_corpus
from shared import store
from shared.config import FeedConfig, StoriesConfig
from shared.db import make_engine
from shared.models import feeds

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "stories" / "corpus.yaml"
NOW = datetime(2025, 3, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> Engine:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_clean")
    return make_engine(url)


def _load(engine: Engine, items: list[LabelledArticle]) -> dict[str, int]:
    """Store the corpus as fetched articles (one feed per outlet); returns key -> article id."""
    outlets = sorted({i.article.outlet for i in items})
    ids: dict[str, int] = {}
    with engine.begin() as conn:
        store.sync_feeds(conn, [FeedConfig(url=f"https://{o}/rss", name=o) for o in outlets], NOW)
        feed_ids = {row.name: row.id for row in conn.execute(select(feeds.c.id, feeds.c.name))}
        for item in items:
            a = item.article
            entry = store.NewArticle(identity=str(a.key), content_hash=str(a.key), title=a.title,
                                     summary=a.summary, url=a.url, published_at=a.seen_at)
            ids[str(a.key)], _ = store.upsert_article(conn, feed_ids[a.outlet], entry, a.seen_at)
    return ids


def _assign(engine: Engine, assigner: StoryAssigner, article_id: int) -> int:
    with engine.begin() as conn:
        row = store.get_article(conn, article_id)
        assert row is not None
        return assigner.assign(conn, row, NOW)


def test_two_workers_taking_turns_group_like_one(engine: Engine) -> None:
    items = load_corpus(CORPUS)
    ids = _load(engine, items)
    workers = [StoryAssigner(StoriesConfig()), StoryAssigner(StoriesConfig())]
    story_of = {
        i.article.key: _assign(engine, workers[n % 2], ids[str(i.article.key)])
        for n, i in enumerate(items)
    }
    events: dict[int, set[str]] = {}
    for item in items:
        events.setdefault(story_of[item.article.key], set()).add(item.event)
    assert all(len(e) == 1 for e in events.values())
    assert len(events) == 14  # 13 events, the shells event split once (see the report)
    assert _assign(engine, workers[0], ids["kursk-ledger"]) == story_of["kursk-ledger"]
    with engine.begin() as conn:
        block = store.story_block(conn, story_of["missiles-wire"])
    assert block is not None
    assert (block["article_count"], block["outlet_count"]) == (5, 5)
    assert block["first_outlet"] == "northwire.example"
    assert block["first_seen_at"] == "2025-03-11T06:00:00+00:00"
    assert [a["reason"] for a in block["articles"]][:2] == ["new", "syndicated"]
    assert block["outlets"][:2] == ["northwire.example", "dailyledger.example"]


def test_concurrent_workers_do_not_split_a_story(pg_clean: str) -> None:
    """Two workers assign a wire story and its copy at the same instant: one story results."""
    engine = make_engine(pg_clean)
    items = [i for i in load_corpus(CORPUS) if i.article.key in ("lavrov-wire",
                                                                 "lavrov-ledger-wire")]
    ids = _load(engine, items)
    barrier = threading.Barrier(2)
    found: dict[str, int] = {}

    def work(key: str) -> None:
        assigner = StoryAssigner(StoriesConfig())
        with engine.begin() as conn:
            row = store.get_article(conn, ids[key])
            assert row is not None
            barrier.wait()
            found[key] = assigner.assign(conn, row, NOW)

    threads = [threading.Thread(target=work, args=(key,)) for key in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(found) == 2 and len(set(found.values())) == 1


def test_gate_one_alert_then_one_update_when_story_grows(engine: Engine) -> None:
    items = [i for i in load_corpus(CORPUS) if i.event == "missiles"]
    ids = _load(engine, items)
    assigner = StoryAssigner(StoriesConfig())
    config = StoriesConfig(update_min_new_outlets=3, update_min_interval=timedelta(hours=1))
    story = _assign(engine, assigner, ids["missiles-wire"])

    def gate(at: datetime, score: float = 0.6) -> str | None:
        with engine.begin() as conn:
            return story_gate(conn, config, subscription_id="ops", story_id=story, score=score,
                              now=at)

    assert gate(NOW) == "alert"
    assert gate(NOW) is None  # same story, same size: nothing
    for key in ("missiles-ledger-wire", "missiles-kyiv", "missiles-gulf"):
        _assign(engine, assigner, ids[key])
    assert gate(NOW + timedelta(minutes=10)) is None  # grown, but inside the interval
    assert gate(NOW + timedelta(hours=2)) == "update"
    _assign(engine, assigner, ids["missiles-eurasia"])
    assert gate(NOW + timedelta(hours=9), score=0.99) is None  # max_updates=1 spent
    with engine.begin() as conn:
        other = story_gate(conn, config, subscription_id="desk", story_id=story, score=0.5,
                           now=NOW)
    assert other == "alert"


def test_cli_stories_list(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from newswatch.cli_stories import stories_group

    engine = make_engine(sqlite_url)
    items = [i for i in load_corpus(CORPUS) if i.event in ("missiles", "ecb")]
    ids = _load(engine, items)
    assigner = StoryAssigner(StoriesConfig())
    for item in items:
        _assign(engine, assigner, ids[str(item.article.key)])
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    from shared.settings import get_settings

    get_settings.cache_clear()
    result = CliRunner().invoke(stories_group, ["list", "--since", "36500d"])
    assert result.exit_code == 0, result.output
    assert "Iran ships short-range ballistic missiles" in result.output
    assert "ECB cuts interest rates" in result.output
    assert "gulfobserver.example" in result.output
    empty = CliRunner().invoke(stories_group, ["list", "--since", "1h"])
    assert "no stories in the last 1h" in empty.output


def test_a_batch_groups_like_one_article_at_a_time(engine: Engine) -> None:
    """One lock, one catch-up, bulk rows: the same stories as assigning one by one."""
    items = load_corpus(CORPUS)
    ids = _load(engine, items)
    batched = StoryAssigner(StoriesConfig())
    with engine.begin() as conn:
        rows = store.get_articles(conn, [ids[str(i.article.key)] for i in items])
        rows.sort(key=lambda r: r.published_at)
        story_of = batched.assign_batch(conn, rows, NOW)
    events: dict[int, set[str]] = {}
    for item in items:
        events.setdefault(story_of[ids[str(item.article.key)]], set()).add(item.event)
    assert all(len(e) == 1 for e in events.values())
    assert len(events) == 14
    with engine.begin() as conn:
        block = store.story_block(conn, story_of[ids["missiles-wire"]])
        again = StoryAssigner(StoriesConfig()).assign_batch(conn, rows, NOW)
    assert block is not None and (block["article_count"], block["outlet_count"]) == (5, 5)
    assert again == story_of  # rerun: memberships are read back, nothing is added


def test_a_rolled_back_batch_leaves_no_phantom_story(engine: Engine) -> None:
    items = load_corpus(CORPUS)
    ids = _load(engine, items)
    assigner = StoryAssigner(StoriesConfig())
    first = ids[str(items[0].article.key)]
    with pytest.raises(RuntimeError), engine.begin() as conn:
        row = store.get_article(conn, first)
        assert row is not None
        assigner.assign_batch(conn, [row], NOW)
        assigner.forget()  # what classify_articles does when its transaction fails
        raise RuntimeError("rolled back")
    assert len(assigner.index) == 0
    second = ids[str(items[1].article.key)]  # a wire copy of the first
    with engine.begin() as conn:
        row = store.get_article(conn, second)
        assert row is not None
        story = assigner.assign_batch(conn, [row], NOW)[second]
        assert store.story_member(conn, first) is None
        assert store.get_story(conn, story) is not None
