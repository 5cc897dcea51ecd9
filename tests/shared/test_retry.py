"""shared.retry: our own servers' outages are waited out, anything else fails at once."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from shared import retry
from shared.db import make_engine
from shared.exceptions import QueueError
from shared.queue import RedisQueue

DOWN_PG = "postgresql://postgres@127.0.0.1:1/none"  # nothing listens on port 1
DOWN_REDIS = "redis://127.0.0.1:1/0"


def _down_database_error() -> OperationalError:
    engine = make_engine(DOWN_PG)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        return exc
    finally:
        engine.dispose()
    raise AssertionError("port 1 answered")


def test_a_database_or_redis_outage_is_transient_a_bug_is_not() -> None:
    assert retry.is_transient(_down_database_error())
    with pytest.raises(QueueError) as caught:
        RedisQueue(DOWN_REDIS).enqueue("services.classifier.jobs.classify_article", 1)
    assert retry.is_transient(caught.value)
    assert "classify_article(1,)" in str(caught.value)
    assert not retry.is_transient(ValueError("bad input"))


def test_waits_out_an_outage_then_succeeds(pg_url: str) -> None:
    urls = [DOWN_PG, DOWN_PG, pg_url]  # the server comes back on the third try

    def query() -> int:
        engine = make_engine(urls.pop(0))
        try:
            with engine.connect() as conn:
                return int(conn.execute(text("SELECT 41 + 1")).scalar_one())
        finally:
            engine.dispose()

    assert retry.call_with_retry(query, what="test query", budget=10) == 42
    assert urls == []


def test_gives_up_after_its_budget_and_at_once_on_other_errors() -> None:
    calls = []

    def down() -> None:
        calls.append(time.monotonic())
        raise _down_database_error()

    with pytest.raises(OperationalError):
        retry.call_with_retry(down, what="test", budget=1.0)
    # The schedule bounds the tries: even the shortest jittered delays (0.2 s, 0.4 s, 0.8 s)
    # leave room for two retries in a 1 s budget, never a third.
    assert 1 < len(calls) <= 3

    def bug() -> None:
        calls.append(0.0)
        raise KeyError("bug")

    calls.clear()
    with pytest.raises(KeyError):
        retry.transient_retry(bug)()
    assert len(calls) == 1
