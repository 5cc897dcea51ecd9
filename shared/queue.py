"""The job queue: RQ on Redis when ``REDIS_URL`` is set, an in-process queue otherwise.

Both run the very same job functions (by dotted path from ``shared.jobs``). The in-process
queue lives in memory: a crash loses the jobs it held, which the services recover from the
database on start (unscored articles are rescored, unsent deliveries re-enqueued).
"""

from __future__ import annotations

import importlib
import logging
import queue as stdlib_queue
import signal
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from shared import signals
from shared.exceptions import QueueError
from shared.jobs import JOB_TIMEOUT, queue_for

log = logging.getLogger(__name__)

JOB_RESULT_TTL = 3600  # seconds a finished job's record stays in Redis
JOB_FAILURE_TTL = 7 * 86400  # keep failed jobs a week for `rq info` / inspection
WORKER_RESTART_FIRST = 1.0  # seconds before a worker that lost Redis starts again
WORKER_RESTART_MAX = 15.0  # the pause doubles up to this
WORKER_RESTART_RESET = 60.0  # a worker that ran this long starts over from the first pause
MAX_REQUEUES = 5  # a job failing more often than this is a bug, not an outage
REQUEUE_META = "newswatch_requeues"


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
            raise QueueError(f"Redis unreachable at {safe_url(self.redis_url)}: {exc}") from None

    def enqueue(self, job: str, *args: Any, job_id: str | None = None) -> None:
        """Raises ``QueueError`` when Redis is away, so callers handle one exception type."""
        from redis.exceptions import RedisError
        from rq import Queue

        try:
            Queue(queue_for(job), connection=self.connection).enqueue(
                job, *args, job_id=job_id, result_ttl=JOB_RESULT_TTL, failure_ttl=JOB_FAILURE_TTL,
                job_timeout=JOB_TIMEOUT,
            )
        except RedisError as exc:
            raise QueueError(f"cannot enqueue {job.rpartition('.')[2]}{args!r}: "
                             f"{type(exc).__name__}: {exc}") from exc

    def run_worker(self, queue_names: Sequence[str], *, burst: bool, name: str | None = None) -> None:
        """An RQ worker that runs jobs in this process (no fork per job: scorers stay warm).

        RQ's worker quits on a Redis error; this one comes back: a new worker after a bounded,
        growing pause, until SIGTERM/SIGINT asks it to stop (RQ's warm shutdown). Named
        ``<queue>@<host>.<pid>.<random>`` so ``newswatch health`` finds its heartbeat."""
        from redis.exceptions import RedisError
        from rq import Queue, SimpleWorker

        from shared.health import WORKER_TTL, worker_name

        pause = WORKER_RESTART_FIRST
        while True:
            queues = [Queue(q, connection=self.connection) for q in queue_names]
            worker = SimpleWorker(queues, connection=self.connection,
                                  name=name or worker_name(queue_names), worker_ttl=WORKER_TTL)
            started = time.monotonic()
            try:
                worker.work(burst=burst, logging_level=logging.getLevelName(log.getEffectiveLevel()))
            except RedisError as exc:  # raised by registration or teardown, outside RQ's loop
                log.warning("worker lost Redis: %s: %s", type(exc).__name__, exc)
            if getattr(worker, "_shutdown_requested_date", None) is not None:
                return  # SIGTERM/SIGINT: RQ's warm shutdown finished the current job
            if burst and self._reachable():
                return
            if time.monotonic() - started > WORKER_RESTART_RESET:
                pause = WORKER_RESTART_FIRST
            log.warning("RQ worker on %s stopped unexpectedly; restarting in %.0fs",
                        ",".join(queue_names), pause)
            if _interruptible_sleep(pause):
                return
            pause = min(pause * 2, WORKER_RESTART_MAX)

    def _reachable(self) -> bool:
        from redis.exceptions import RedisError

        try:
            return bool(self.connection.ping())
        except RedisError:
            return False

    def failed_jobs(self, queue_name: str) -> int:
        """How many jobs of this queue sit in RQ's failed registry."""
        from rq import Queue
        from rq.registry import FailedJobRegistry

        return len(FailedJobRegistry(queue=Queue(queue_name, connection=self.connection)))

    def queued_jobs(self, queue_name: str) -> int:
        from rq import Queue

        return int(Queue(queue_name, connection=self.connection).count)

    def requeue_failed(self, queue_name: str, max_requeues: int = MAX_REQUEUES) -> tuple[int, int]:
        """Put this queue's failed jobs back (each at most ``max_requeues`` times).

        Returns (requeued, left): ``left`` are jobs that failed too often to be an outage;
        ``newswatch status`` shows them. Every job is idempotent, so a requeue is harmless."""
        from rq import Queue
        from rq.exceptions import InvalidJobOperation, NoSuchJobError
        from rq.job import Job
        from rq.registry import FailedJobRegistry

        registry = FailedJobRegistry(queue=Queue(queue_name, connection=self.connection))
        requeued = left = 0
        for job_id in registry.get_job_ids():
            try:
                job = Job.fetch(job_id, connection=self.connection)
            except NoSuchJobError:
                registry.remove(job_id)
                continue
            count = int(job.meta.get(REQUEUE_META, 0))
            if count >= max_requeues:
                left += 1
                continue
            job.meta[REQUEUE_META] = count + 1
            job.save_meta()  # type: ignore[no-untyped-call]
            try:
                registry.requeue(job_id)
            except (InvalidJobOperation, NoSuchJobError):  # another replica took it meanwhile
                log.debug("failed job %s already requeued or removed elsewhere", job_id)
                continue
            requeued += 1
        if requeued:
            log.info("requeued %d failed %s jobs", requeued, queue_name)
        return requeued, left


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
            signals.exit_if_requested()  # a stop signal's SystemExit the job swallowed
        return done


def _interruptible_sleep(seconds: float) -> bool:
    """Sleep, but let SIGTERM/SIGINT end it (RQ's own handlers are gone between workers).

    Returns True when a signal asked us to stop."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        return stop.wait(seconds)

    def handle(_signum: int, _frame: object) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        return stop.wait(seconds)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)


def safe_url(url: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        parts = parts._replace(netloc=netloc)
    return urlunsplit(parts)
