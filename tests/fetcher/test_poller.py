"""services.fetcher.poller end to end: local HTTP server, real SQLite/PostgreSQL, real Redis."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from rq import Queue
from sqlalchemy import Engine, select

from services.fetcher import poller
from shared import jobs, store
from shared.config import AppConfig, FeedConfig, FetcherConfig, parse_config
from shared.context import AppContext
from shared.db import make_engine
from shared.models import articles, feeds
from shared.queue import RedisQueue
from shared.settings import Settings
from tests.fetcher.conftest import FeedServer, conditional, fixture_bytes, reply

RSS = fixture_bytes("rss20.xml")
FAST = FetcherConfig(
    parse_processes=0, connect_timeout=timedelta(seconds=2), deadline=timedelta(seconds=5)
)


def make_ctx(
    db_url: str, redis_url: str, feed_list: list[FeedConfig], fetcher: FetcherConfig = FAST
) -> AppContext:
    config = AppConfig(feeds=feed_list, fetcher=fetcher)
    return AppContext(
        settings=Settings(), config=config, engine=make_engine(db_url),
        queue=RedisQueue(redis_url),
    )  # fmt: skip


def enqueued(redis_url: str) -> list[Any]:
    jobs_ = Queue(jobs.CLASSIFY_QUEUE, connection=Redis.from_url(redis_url)).jobs
    assert all(job.func_name == jobs.CLASSIFY for job in jobs_)
    ids: list[Any] = []  # a job carries one id or a batch of them
    for job in jobs_:
        ids += job.args[0] if isinstance(job.args[0], list) else [job.args[0]]
    return ids


def feed_row(engine: Engine, url: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(feeds).where(feeds.c.url == url)).one()


def article_rows(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(articles).order_by(articles.c.id)))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield request.getfixturevalue("sqlite_url")
    else:
        yield request.getfixturevalue("pg_clean")


def test_store_then_enqueue_then_conditional_get(
    feed_server: FeedServer, db_url: str, redis_clean: str
) -> None:
    feed_server.routes["/rss"] = conditional(RSS, '"v1"', "Tue, 14 May 2024 08:30:00 GMT")
    url = feed_server.url("/rss")
    ctx = make_ctx(db_url, redis_clean, [FeedConfig(url=url, name="Harbour", allow_private=True)])

    first = poller.run_once(ctx)
    assert (first.feeds_polled, first.feeds_failed, first.articles_new) == (1, 0, 3)
    stored = article_rows(ctx.engine)
    assert enqueued(redis_clean) == [row.id for row in stored]
    assert stored[0].title.startswith("Container freighter held")
    assert stored[0].url == "https://harbour-ledger.example/2024/05/freighter-held?id=7"
    assert stored[0].published_at is not None and stored[0].first_seen_at is not None
    row = feed_row(ctx.engine, url)
    assert (row.etag, row.last_modified, row.last_status) == (
        '"v1"', "Tue, 14 May 2024 08:30:00 GMT", 200,
    )
    assert row.title == "Harbour Ledger & Wire" and row.last_success_at is not None
    assert row.next_poll_at > row.last_polled_at + timedelta(minutes=29)  # ttl 30 min

    second = poller.run_once(ctx)
    assert (second.feeds_not_modified, second.articles_new, second.articles_updated) == (1, 0, 0)
    assert len(enqueued(redis_clean)) == 3
    assert feed_row(ctx.engine, url).last_status == 304
    ctx.engine.dispose()


def test_edited_entry_updates_the_row_and_is_rescored_once(
    feed_server: FeedServer, sqlite_url: str, redis_clean: str
) -> None:
    feed_server.routes["/rss"] = reply(200, RSS)
    url = feed_server.url("/rss")
    ctx = make_ctx(sqlite_url, redis_clean, [FeedConfig(url=url, allow_private=True)])
    poller.run_once(ctx)
    same_body = poller.run_once(ctx)  # no validators: the body hash saves the parse
    assert (same_body.feeds_unchanged, same_body.parse_cpu_seconds) == (1, 0.0)

    edited = RSS.replace(b"Grain corridor talks resume", b"Grain corridor talks collapse")
    feed_server.routes["/rss"] = reply(200, edited)
    stats = poller.run_once(ctx)
    assert (stats.articles_new, stats.articles_updated) == (0, 1)
    rows = article_rows(ctx.engine)
    assert len(rows) == 3
    grain = next(r for r in rows if "Grain" in r.title)
    assert grain.title == "Grain corridor talks collapse in Ankara" and grain.updated_at
    assert enqueued(redis_clean) == [rows[0].id, rows[1].id, rows[2].id, grain.id]
    ctx.engine.dispose()


def test_errors_are_classified_recorded_and_backed_off(
    feed_server: FeedServer, sqlite_url: str, redis_clean: str
) -> None:
    routes = {
        "/broken": reply(500, b"oops"),
        "/gone": reply(410, b"gone"),
        "/busy": reply(429, b"", {"Retry-After": "7200"}),
        "/html": reply(200, fixture_bytes("html_page.html"), content_type="text/html"),
        "/empty": reply(200, b""),
        "/bozo": reply(200, fixture_bytes("bozo.xml")),
    }
    feed_server.routes.update(routes)
    ctx = make_ctx(
        sqlite_url, redis_clean,
        [FeedConfig(url=feed_server.url(p), allow_private=True) for p in routes],
    )  # fmt: skip
    stats = poller.run_once(ctx)
    assert (stats.feeds_polled, stats.feeds_failed, stats.articles_new) == (6, 5, 2)

    broken = feed_row(ctx.engine, feed_server.url("/broken"))
    assert (broken.last_error_kind, broken.last_status, broken.error_count) == ("http", 500, 1)
    assert broken.enabled and broken.last_error == "HTTP 500 Internal Server Error"
    assert broken.next_poll_at >= broken.last_polled_at + timedelta(minutes=5)
    gone = feed_row(ctx.engine, feed_server.url("/gone"))
    assert not gone.enabled and gone.disabled_reason.startswith("410 Gone")
    busy = feed_row(ctx.engine, feed_server.url("/busy"))
    assert busy.next_poll_at >= busy.last_polled_at + timedelta(hours=2)
    assert feed_row(ctx.engine, feed_server.url("/html")).last_error_kind == "not_a_feed"
    assert feed_row(ctx.engine, feed_server.url("/empty")).last_error_kind == "not_a_feed"
    bozo = feed_row(ctx.engine, feed_server.url("/bozo"))
    assert bozo.last_error is None and "not well-formed" in bozo.last_warning

    poller.run_once(ctx)  # the failing ones fail again; the gone one is not asked again
    assert feed_row(ctx.engine, feed_server.url("/broken")).error_count == 2
    assert feed_server.hits("/gone") == 1
    ctx.engine.dispose()


def test_permanent_redirect_moves_the_feed_temporary_does_not(
    feed_server: FeedServer, sqlite_url: str, redis_clean: str
) -> None:
    feed_server.routes.update({
        "/new": reply(200, RSS),
        "/old": reply(301, headers={"Location": "/new"}),
        "/temp": reply(307, headers={"Location": "/new"}),
    })  # fmt: skip
    old, temp = feed_server.url("/old"), feed_server.url("/temp")
    ctx = make_ctx(
        sqlite_url, redis_clean,
        [FeedConfig(url=old, allow_private=True), FeedConfig(url=temp, allow_private=True)],
    )  # fmt: skip
    poller.run_once(ctx)
    assert feed_row(ctx.engine, old).fetch_url == feed_server.url("/new")
    assert feed_row(ctx.engine, temp).fetch_url == temp
    ctx.engine.dispose()


def test_private_networks_refused_by_default_and_allowed_three_ways(
    feed_server: FeedServer, sqlite_url: str, redis_clean: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed_server.routes["/rss"] = reply(200, RSS)
    url = feed_server.url("/rss")
    ctx = make_ctx(sqlite_url, redis_clean, [FeedConfig(url=url)])
    assert poller.run_once(ctx).feeds_failed == 1
    row = feed_row(ctx.engine, url)
    assert row.last_error_kind == "blocked" and "allow_private_networks" in row.last_error
    assert feed_server.requests == []

    allowed_by_config = FetcherConfig(parse_processes=0, allow_private_networks=True)
    ctx.config = AppConfig(feeds=[FeedConfig(url=url)], fetcher=allowed_by_config)
    assert poller.run_once(ctx).feeds_failed == 0

    monkeypatch.setenv("NEWSWATCH_ALLOW_PRIVATE_NETWORKS", "1")
    ctx.settings = Settings()
    ctx.config = AppConfig(feeds=[FeedConfig(url=url)], fetcher=FAST)
    assert poller.run_once(ctx).feeds_failed == 0

    monkeypatch.delenv("NEWSWATCH_ALLOW_PRIVATE_NETWORKS")
    ctx.settings = Settings()
    ctx.config = AppConfig(feeds=[FeedConfig(url=url, allow_private=True)], fetcher=FAST)
    assert poller.run_once(ctx).feeds_failed == 0
    ctx.engine.dispose()


def test_parsing_in_worker_processes(
    feed_server: FeedServer, sqlite_url: str, redis_clean: str
) -> None:
    names = ["atom.xml", "rss10.rdf", "utf16.xml", "billion_laughs.xml"]
    for name in names:
        feed_server.routes[f"/{name}"] = reply(200, fixture_bytes(name))
    ctx = make_ctx(
        sqlite_url, redis_clean,
        [FeedConfig(url=feed_server.url(f"/{n}"), allow_private=True) for n in names],
        FetcherConfig(parse_processes=2),
    )  # fmt: skip
    stats = poller.run_once(ctx)
    assert (stats.feeds_failed, stats.articles_new) == (0, 6)
    assert stats.parse_cpu_seconds > 0
    ctx.engine.dispose()


def test_run_forever_follows_config_edits_without_restart(
    feed_server: FeedServer, sqlite_url: str, redis_clean: str, tmp_path: Path
) -> None:
    feed_server.routes["/a"] = reply(200, RSS)
    feed_server.routes["/b"] = reply(200, fixture_bytes("atom.xml"))
    config_file = tmp_path / "newswatch.yaml"

    def write_config(paths: list[str]) -> None:
        lines = ["fetcher: {allow_private_networks: true, parse_processes: 0, sync_every: 1s}",
                 "feeds:"] + [f"  - url: {feed_server.url(p)}" for p in paths]  # fmt: skip
        config_file.write_text("\n".join(lines) + "\n")

    write_config(["/a"])
    ctx = make_ctx(sqlite_url, redis_clean, [])
    ctx.config = parse_config(config_file.read_text(), source=config_file)
    ctx.config_path = config_file
    stop = threading.Event()
    thread = threading.Thread(target=poller.run_forever, args=(ctx, stop), daemon=True)
    thread.start()
    try:
        wait_for(lambda: len(article_rows(ctx.engine)) == 3)
        write_config(["/b"])  # one feed added, one removed
        wait_for(lambda: len(article_rows(ctx.engine)) == 5)
        wait_for(lambda: not feed_row(ctx.engine, feed_server.url("/a")).enabled)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
    assert feed_server.hits("/a") == 1  # not polled again before its next_poll_at
    ctx.engine.dispose()


def wait_for(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


def test_sync_feeds_makes_an_edited_interval_due_now(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    url = "https://news.example/rss"
    now = store.utcnow()
    with engine.begin() as conn:
        store.sync_feeds(conn, [FeedConfig(url=url)], now)
    with engine.begin() as conn:
        store.update_feed(conn, feed_row(engine, url).id, next_poll_at=now + timedelta(days=1))
    with engine.begin() as conn:
        assert store.sync_feeds(conn, [FeedConfig(url=url)], now) == 0
        assert store.sync_feeds(conn, [FeedConfig(url=url, interval=timedelta(minutes=10))], now) == 1
    row = feed_row(engine, url)
    assert row.poll_interval == 600 and store.as_utc(row.next_poll_at) == now
    engine.dispose()


def test_redis_outage_keeps_storing_and_enqueues_once_it_is_back(
    feed_server: FeedServer, pg_clean: str, redis_clean: str
) -> None:
    feed_server.routes["/rss"] = reply(200, RSS)
    url = feed_server.url("/rss")
    feed = FeedConfig(url=url, name="Harbour", allow_private=True)
    ctx = make_ctx(pg_clean, "redis://127.0.0.1:1/0", [feed])  # Redis is down
    stop = threading.Event()
    thread = threading.Thread(target=poller.run_forever, args=(ctx, stop), daemon=True)
    thread.start()
    try:
        wait_for(lambda: len(article_rows(ctx.engine)) == 3)  # the database is the truth
        time.sleep(1.5)  # a few more loops while Redis stays down: the writer must live on
        assert enqueued(redis_clean) == []
        ctx.queue = RedisQueue(redis_clean)  # Redis is back
        wait_for(lambda: sorted(enqueued(redis_clean)) == [r.id for r in article_rows(ctx.engine)])
    finally:
        stop.set()
        thread.join(timeout=15)
    assert not thread.is_alive()  # a clean stop
    row = feed_row(ctx.engine, url)
    assert row.error_count == 0 and row.last_error is None  # our outage is not the feed's fault
    ctx.engine.dispose()
