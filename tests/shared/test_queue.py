"""shared.queue.RedisQueue against a real Redis: failed jobs are put back, boundedly."""

from __future__ import annotations

from redis import Redis
from rq import Queue, SimpleWorker
from rq.registry import FailedJobRegistry

from shared.queue import MAX_REQUEUES, RedisQueue


def _fail_once_more(redis: Redis, queue_name: str) -> None:
    SimpleWorker([Queue(queue_name, connection=redis)], connection=redis).work(burst=True)


def test_failed_jobs_are_requeued_at_most_max_requeues_times(redis_clean: str) -> None:
    redis = Redis.from_url(redis_clean)
    queue = RedisQueue(redis_clean)
    Queue("notify", connection=redis).enqueue("builtins.int", "not a number")
    _fail_once_more(redis, "notify")
    assert queue.failed_jobs("notify") == 1

    for round_ in range(MAX_REQUEUES):
        assert queue.requeue_failed("notify") == (1, 0), round_
        assert queue.failed_jobs("notify") == 0 and queue.queued_jobs("notify") == 1
        _fail_once_more(redis, "notify")

    assert queue.requeue_failed("notify") == (0, 1)  # a bug, not an outage: left for a human
    assert len(FailedJobRegistry("notify", connection=redis)) == 1
    assert queue.requeue_failed("classify") == (0, 0)
