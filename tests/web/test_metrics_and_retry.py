"""/metrics from the ledger (and Redis), parsed by prometheus_client; the Retry action."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue

from shared import jobs, store
from shared.db import make_engine
from tests.web.conftest import WebServer, csrf_of, free_port
from tests.web.world import seed


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_metrics_parse_and_count_the_ledger(web_factory: Callable[..., WebServer],
                                            redis_clean: str) -> None:
    server = web_factory(REDIS_URL=redis_clean)
    seed(server.db_url)
    Queue(jobs.CLASSIFY_QUEUE, connection=Redis.from_url(redis_clean)).enqueue(
        jobs.CLASSIFY, 1)
    with server.client() as client:
        response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = _samples(response.text)
    assert samples[("newswatch_db_up", ())] == 1.0
    assert samples[("newswatch_articles_stored", ())] == 5.0
    assert samples[("newswatch_articles_scored", ())] == 5.0
    assert samples[("newswatch_feeds", (("state", "enabled"),))] == 3.0
    assert samples[("newswatch_feeds_failing", (("error_class", "timeout"),))] == 1.0
    assert samples[("newswatch_deliveries", (("channel", "slack"), ("status", "sent")))] == 1.0
    assert samples[("newswatch_deliveries", (("channel", "email"), ("status", "failed")))] == 1.0
    assert samples[("newswatch_deliveries", (("channel", "slack"), ("status", "held")))] == 1.0
    assert samples[("newswatch_queue_depth", (("queue", "classify"),))] == 1.0
    assert samples[("newswatch_queue_depth", (("queue", "notify"),))] == 0.0
    # One alert sent 95 s after first sight: in the 120 s bucket, not the 60 s one.
    latency = "newswatch_delivery_latency_seconds"
    assert samples[(f"{latency}_bucket", (("channel", "slack"), ("le", "60.0")))] == 0.0
    assert samples[(f"{latency}_bucket", (("channel", "slack"), ("le", "120.0")))] == 1.0
    assert samples[(f"{latency}_bucket", (("channel", "slack"), ("le", "+Inf")))] == 1.0
    assert samples[(f"{latency}_count", (("channel", "slack"),))] == 1.0
    assert 94.0 <= samples[(f"{latency}_sum", (("channel", "slack"),))] <= 96.0


def test_retry_requeues_a_failed_delivery_on_redis(web_factory: Callable[..., WebServer],
                                                   redis_clean: str) -> None:
    server = web_factory(REDIS_URL=redis_clean)
    world = seed(server.db_url)
    failed = world.deliveries["failed"]
    with server.client() as client:
        page = client.get("/deliveries?status=failed")
        response = client.post(f"/deliveries/{failed}/retry", data={"csrf": csrf_of(page.text)})
        assert response.status_code == 303
        notice = client.get(response.headers["location"]).text
        assert f"Delivery {failed} is pending again" in notice
        again = client.post(f"/deliveries/{failed}/retry", data={"csrf": csrf_of(page.text)})
        assert "was not in the failed state" in client.get(again.headers["location"]).text
    engine = make_engine(server.db_url)
    with engine.connect() as conn:
        row = store.get_delivery(conn, failed)
    engine.dispose()
    assert row is not None and row.status == "pending" and row.last_error is None
    queue = Queue(jobs.NOTIFY_QUEUE, connection=Redis.from_url(redis_clean))
    assert queue.count == 1
    assert queue.jobs[0].func_name == jobs.DELIVER and queue.jobs[0].args == (failed,)


def test_retry_on_the_in_process_queue_leaves_the_row_for_the_notifier_tick(
    web: WebServer,
) -> None:
    world = seed(web.db_url)
    failed = world.deliveries["failed"]
    with web.client() as client:
        token = csrf_of(client.get("/deliveries").text)
        assert client.post(f"/deliveries/{failed}/retry", data={"csrf": token}).status_code == 303
    engine = make_engine(web.db_url)
    with engine.begin() as conn:
        row = store.get_delivery(conn, failed)
        assert row is not None and row.status == "pending" and row.enqueued_at is None
        due, _ = store.take_due(conn, store.utcnow(), timedelta(minutes=5))  # seeded 3 h ago
    engine.dispose()
    assert failed in due


def test_retry_while_redis_is_down_leaves_the_row_for_the_tick(
    web_factory: Callable[..., WebServer], tmp_path: Path,
) -> None:
    """A private redis-server, stopped after the web view started: Retry still lands."""
    port = free_port()
    redis = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                              "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
                             stdout=subprocess.DEVNULL)
    try:
        url = f"redis://127.0.0.1:{port}/0"
        _wait_for_redis(url)
        server = web_factory(REDIS_URL=url)
        world = seed(server.db_url)
    finally:
        redis.terminate()
        redis.wait(timeout=10)
    failed = world.deliveries["failed"]
    with server.client() as client:
        token = csrf_of(client.get("/deliveries").text)
        response = client.post(f"/deliveries/{failed}/retry", data={"csrf": token})
        assert response.status_code == 303
        assert "Redis did not answer" in client.get(response.headers["location"]).text
        assert "newswatch_queue_depth" not in client.get("/metrics").text
    engine = make_engine(server.db_url)
    with engine.connect() as conn:
        row = store.get_delivery(conn, failed)
    engine.dispose()
    assert row is not None and row.status == "pending"


def _wait_for_redis(url: str) -> None:
    connection = Redis.from_url(url)
    for _ in range(100):
        try:
            connection.ping()
            return
        except RedisError:
            time.sleep(0.05)
    raise AssertionError(f"redis-server at {url} did not start")
