"""`newswatch run --once` in-process: a classify batch that failed is retried before exit,
and articles that still could not be scored are counted, not reported as done."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator

import pytest

from newswatch.embedded import run_embedded
from services.classifier.scorer import Score, TopicScorer
from shared import store
from shared.context import AppContext
from tests.e2e.conftest import IRRELEVANT, RELEVANT, embedded_context, rss
from tests.servers import FeedServer, Page


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer().start()
    server.pages["/world.xml"] = Page(rss([RELEVANT, IRRELEVANT]))
    yield server
    server.stop()


def _failing(monkeypatch: pytest.MonkeyPatch, fails_for: dict[str, int]) -> Counter[str]:
    """Scoring an article whose title starts with a key raises for its first N attempts."""
    real = TopicScorer.score
    attempts: Counter[str] = Counter()

    def score(self: TopicScorer, title: str, summary: str) -> Score:
        for prefix, fails in fails_for.items():
            if title.startswith(prefix) and self.topic.id == "axis":
                attempts[prefix] += 1
                if attempts[prefix] <= fails:
                    raise ValueError(f"cannot read {prefix!r}")
        return real(self, title, summary)

    monkeypatch.setattr(TopicScorer, "score", score)
    return attempts


def _unscored(ctx: AppContext) -> list[int]:
    with ctx.engine.connect() as conn:
        return store.unscored_article_ids(conn, ["axis"])


def test_run_once_retries_a_failed_batch_before_it_exits(
        sqlite_url: str, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = embedded_context(sqlite_url, feed_server.url("/world.xml"))
    # The batch fails, and each article fails alone once more: the job ends failed.
    attempts = _failing(monkeypatch, {RELEVANT[0][:20]: 2, IRRELEVANT[0][:20]: 1})

    summary = run_embedded(ctx, once=True, stop=threading.Event(), drain_timeout=0)

    assert attempts[RELEVANT[0][:20]] >= 3  # batch, alone, then the recovery sweep's retry
    assert summary.unscored == [] and summary.unscored_line() is None
    assert summary.matches == 1 and _unscored(ctx) == []


def test_run_once_counts_an_article_it_cannot_score(
        sqlite_url: str, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = embedded_context(sqlite_url, feed_server.url("/world.xml"))
    _failing(monkeypatch, {IRRELEVANT[0][:20]: 1000})  # a poison article

    summary = run_embedded(ctx, once=True, stop=threading.Event(), drain_timeout=0)

    with ctx.engine.connect() as conn:
        ids = {a.title: a.id for a in store.get_articles(conn, [1, 2])}
    poison = ids[IRRELEVANT[0]]
    assert summary.unscored == [poison]  # its batch-mate was scored despite it
    assert summary.matches == 1
    line = summary.unscored_line()
    assert line is not None and line.startswith(f"not scored: 1 articles ({poison})")
