"""Riding out short outages of our own servers (PostgreSQL, Redis) instead of failing work.

A database restart or a Redis blip is not the job's fault: the job, the sweeper thread or the
bookkeeping step that hit one waits with bounded exponential backoff and tries again. Only
after ``budget`` seconds does the error escape (then RQ files the job as failed and the owning
service's failed-registry sweep puts it back). Everything retried here is idempotent.
"""

from __future__ import annotations

import functools
import logging
import random
import threading
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from shared.exceptions import QueueError

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

FIRST_DELAY = 0.25  # seconds before the first retry
MAX_DELAY = 5.0  # the backoff cap: a restarted server is noticed within this
JOB_BUDGET = 90.0  # seconds a job keeps retrying before RQ may call it failed


def is_transient(exc: BaseException) -> bool:
    """Our own server went away or is restarting: retrying later can succeed."""
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    if isinstance(exc, QueueError | RedisConnectionError | RedisTimeoutError):
        return True
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def backoff_delays(first: float = FIRST_DELAY, cap: float = MAX_DELAY) -> Callable[[], float]:
    """Successive delays: doubling from ``first`` up to ``cap``, with a little jitter."""
    state = {"next": first}

    def next_delay() -> float:
        delay = state["next"]
        state["next"] = min(cap, delay * 2)
        return delay * (0.8 + 0.4 * random.random())

    return next_delay


def call_with_retry(
    fn: Callable[[], T], *, what: str, budget: float = JOB_BUDGET,
    stop: threading.Event | None = None,
) -> T:
    """``fn()``, retried on transient errors for up to ``budget`` seconds (then re-raised)."""
    deadline = time.monotonic() + budget
    delays = backoff_delays()
    failures = 0
    while True:
        try:
            result = fn()
        except Exception as exc:
            if not is_transient(exc):
                raise
            failures += 1
            delay = delays()
            if time.monotonic() + delay > deadline or (stop is not None and stop.is_set()):
                log.error("%s failed after %d tries: %s", what, failures, describe(exc))
                raise
            log.warning("%s: %s; retry %d in %.1fs", what, describe(exc), failures, delay)
            if stop is not None:
                stop.wait(delay)
            else:
                time.sleep(delay)
            continue
        if failures:
            log.info("%s succeeded after %d retries", what, failures)
        return result


def transient_retry(fn: Callable[P, T]) -> Callable[P, T]:
    """Decorate an idempotent job: a transient DB/Redis error means 'wait and run again'."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        what = f"job {fn.__name__}{args!r}"
        return call_with_retry(lambda: fn(*args, **kwargs), what=what)

    return wrapper


def describe(exc: BaseException) -> str:
    """One line: SQLAlchemy errors carry the statement and parameters, which logs don't need."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"
