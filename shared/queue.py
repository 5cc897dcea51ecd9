"""The job queue: RQ on Redis when ``REDIS_URL`` is set, an in-process queue otherwise.

Both run the very same job functions (by dotted path from ``shared.jobs``). The in-process
queue lives in memory: a crash loses the jobs it held, which the services recover from the
database on start (unscored articles are rescored, unsent deliveries re-enqueued).
"""

from __future__ import annotations

import importlib
import logging
import queue as stdlib_queue
import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from shared.exceptions import QueueError
from shared.jobs import queue_for

log = logging.getLogger(__name__)

JOB_RESULT_TTL = 3600  # seconds a finished job's record stays in Redis
JOB_FAILURE_TTL = 7 * 86400  # keep failed jobs a week for `rq info` / inspection


class TaskQueue(Protocol):
    def enqueue(self, job: str, *args: Any, job_id: str | None = None) -> None: ...


def resolve_job(path: str) -> Callable[..., Any]:
    module_name, _, attr = path.rpartition(".")
    function: Callable[..., Any] = getattr(importlib.import_module(module_name), attr)
    return function


class RedisQueue:
    """RQ-backed queue; jobs survive restarts of every service."""

    def __init__(self, redis_url: str) -> None:
        from redis import Redis

        self.redis_url = redis_url
        self.connection = Redis.from_url(redis_url)

    def ping(self) -> None:
        from redis.exceptions import RedisError

        try:
            self.connection.ping()
        except RedisError as exc:
            raise QueueError(f"Redis unreachable at {_safe_url(self.redis_url)}: {exc}") from None

    def enqueue(self, job: str, *args: Any, job_id: str | None = None) -> None:
        from rq import Queue

        Queue(queue_for(job), connection=self.connection).enqueue(
            job, *args, job_id=job_id, result_ttl=JOB_RESULT_TTL, failure_ttl=JOB_FAILURE_TTL,
        )

    def run_worker(self, queue_names: Sequence[str], *, burst: bool, name: str | None = None) -> None:
        """An RQ worker that runs jobs in this process (no fork per job: scorers stay warm).

        Named ``<queue>@<host>.<pid>.<random>`` so ``newswatch health`` finds its heartbeat.
        """
        from rq import Queue, SimpleWorker

        from shared.health import WORKER_TTL, worker_name

        queues = [Queue(q, connection=self.connection) for q in queue_names]
        worker = SimpleWorker(queues, connection=self.connection,
                              name=name or worker_name(queue_names), worker_ttl=WORKER_TTL)
        worker.work(burst=burst, logging_level=logging.getLevelName(log.getEffectiveLevel()))


class InlineQueue:
    """An in-memory FIFO drained by the embedded runner (``newswatch run``)."""

    def __init__(self) -> None:
        self._jobs: stdlib_queue.Queue[tuple[str, tuple[Any, ...]]] = stdlib_queue.Queue()
        self._lock = threading.Lock()

    def enqueue(self, job: str, *args: Any, job_id: str | None = None) -> None:
        queue_for(job)  # reject unknown job paths at enqueue time, as RQ would at run time
        self._jobs.put((job, args))

    def pending(self) -> int:
        return self._jobs.qsize()

    def run_pending(self, limit: int | None = None) -> int:
        """Run queued jobs (and those they enqueue) until empty or ``limit``; returns the count."""
        done = 0
        while limit is None or done < limit:
            try:
                job, args = self._jobs.get_nowait()
            except stdlib_queue.Empty:
                break
            with self._lock:
                try:
                    resolve_job(job)(*args)
                except Exception:  # noqa: BLE001 - a failed job must not stop the loop
                    log.exception("job failed job=%s args=%s", job, args)
            done += 1
        return done


def _safe_url(url: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        parts = parts._replace(netloc=netloc)
    return urlunsplit(parts)
