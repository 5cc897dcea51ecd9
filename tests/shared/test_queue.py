"""shared.queue.RedisQueue against a real Redis: failed jobs are put back, boundedly."""

from __future__ import annotations

from typing import Any

import pytest
from redis import Redis
from rq import Queue, SimpleWorker
from rq.job import Job
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


def test_a_failed_job_another_replica_requeued_first_is_skipped(
        redis_clean: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two notifiers list the same failed jobs; the other one requeues the first job between
    our listing and our requeue (RQ then raises InvalidJobOperation). Ours carries on."""
    redis = Redis.from_url(redis_clean)
    ours, theirs = RedisQueue(redis_clean), RedisQueue(redis_clean)
    rq_queue = Queue("notify", connection=redis)
    first = rq_queue.enqueue("builtins.int", "not a number")
    rq_queue.enqueue("builtins.int", "nor this")
    _fail_once_more(redis, "notify")
    assert ours.failed_jobs("notify") == 2

    fetch = Job.fetch.__func__  # type: ignore[attr-defined]
    raced: list[str] = []

    def fetch_then_race(cls: type[Job], job_id: str, *args: Any, **kwargs: Any) -> Job:
        job = fetch(cls, job_id, *args, **kwargs)
        if job_id == first.id and not raced:
            raced.append(job_id)
            FailedJobRegistry("notify", connection=redis).requeue(job_id)  # the other replica
        return job

    monkeypatch.setattr(Job, "fetch", classmethod(fetch_then_race))
    assert ours.requeue_failed("notify") == (1, 0)
    assert raced == [first.id]
    assert ours.failed_jobs("notify") == 0 and ours.queued_jobs("notify") == 2
    assert theirs.requeue_failed("notify") == (0, 0)
