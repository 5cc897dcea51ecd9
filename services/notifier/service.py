"""`newswatch notifier`: an RQ worker on the notify queue plus the housekeeping ``tick``.

Everything time-driven lives in the database and is acted on by ``tick`` (idempotent, safe to
run from several processes at once): retries whose time came, held alerts whose quiet hours
or rate window ended, digest slots that are due, and 'sending' rows whose worker died. So the
RQ mode and the embedded runner (which calls ``tick`` itself) behave the same.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime

from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from services.notifier import policy
from services.notifier.liveness import Heartbeat, OrphanWatch, new_owner, set_owner
from shared import jobs, store
from shared.context import AppContext, set_context, watch_config
from shared.exceptions import NewswatchError, QueueError
from shared.queue import InlineQueue, RedisQueue
from shared.retry import describe
from shared.signals import start_daemon

log = logging.getLogger(__name__)

IDLE_SLEEP = 0.2  # seconds the in-process loop waits when nothing is queued


@dataclass
class TickReport:
    reclaimed: list[tuple[str, int]] = field(default_factory=list)
    deliveries: list[int] = field(default_factory=list)
    digests: list[int] = field(default_factory=list)
    requeued_failed: int = 0  # jobs put back from RQ's failed registry
    failed_jobs: int = 0  # jobs left there (failed too often to be an outage)

    @property
    def enqueued(self) -> int:
        return len(self.deliveries) + len(self.digests)


def tick(
    ctx: AppContext, now: datetime | None = None, orphans: OrphanWatch | None = None,
) -> TickReport:
    """One housekeeping pass; enqueues after each commit so a job never sees stale rows."""
    now = now or store.utcnow()
    report = TickReport()
    with ctx.engine.begin() as conn:
        report.reclaimed = store.reclaim_expired(conn, now)
    for kind, row_id in report.reclaimed:
        log.warning("%s %d reclaimed: its worker stopped mid-send (lease expired)", kind, row_id)
    if orphans is not None:
        dead = orphans.reclaim(ctx.engine, now)
        for kind, row_id in dead:
            log.warning("%s %d reclaimed: its worker died mid-send (no heartbeat); "
                        "outcome unknown, sending again", kind, row_id)
        report.reclaimed += dead
    report.digests += _schedule_digests(ctx, now)
    held_singles, held_batches = _release_held(ctx, now)
    report.deliveries += held_singles
    report.digests += held_batches
    with ctx.engine.begin() as conn:
        due_deliveries, due_digests = store.take_due(conn, now, ctx.config.notifier.requeue_after)
    report.deliveries += due_deliveries
    report.digests += due_digests
    try:
        for delivery_id in report.deliveries:
            ctx.queue.enqueue(jobs.DELIVER, delivery_id)
        for digest_id in report.digests:
            ctx.queue.enqueue(jobs.SEND_DIGEST, digest_id)
    except QueueError as exc:  # marked enqueued: the next ticks re-enqueue after requeue_after
        log.error("notifier tick could not enqueue (retried in %s): %s",
                  ctx.config.notifier.requeue_after, exc)
    if isinstance(ctx.queue, RedisQueue):
        report.requeued_failed, report.failed_jobs = ctx.queue.requeue_failed(jobs.NOTIFY_QUEUE)
    if report.enqueued or report.reclaimed:
        log.info("notifier tick enqueued %d deliveries, %d digests; reclaimed %d",
                 len(report.deliveries), len(report.digests), len(report.reclaimed))
    return report


def _schedule_digests(ctx: AppContext, now: datetime) -> list[int]:
    """Each digest subscription's current slot fires once; quiet hours postpone it."""
    created: list[int] = []
    for subscription in ctx.config.subscriptions:
        if subscription.digest is None or policy.quiet_until(subscription.quiet_hours, now):
            continue
        slot = policy.digest_slot(subscription.digest, now)
        with ctx.engine.begin() as conn:
            digest_id = store.create_batch(
                conn, subscription_id=subscription.id, kind="digest", slot=slot, now=now,
                from_status="queued",
            )
        if digest_id is not None:
            created.append(digest_id)
    return created


def _release_held(ctx: AppContext, now: datetime) -> tuple[list[int], list[int]]:
    """A single held alert goes out as itself; several fold into one summary message."""
    singles: list[int] = []
    batches: list[int] = []
    with ctx.engine.connect() as conn:
        held = store.due_held(conn, now)
    for subscription_id, ids in held.items():
        with ctx.engine.begin() as conn:
            if len(ids) == 1:
                if store.release_held(conn, ids[0], now):
                    singles.append(ids[0])
                continue
            digest_id = store.create_batch(
                conn, subscription_id=subscription_id, kind="summary", slot=f"held-{ids[0]}",
                now=now, from_status="held", delivery_ids=ids,
            )
        if digest_id is not None:
            batches.append(digest_id)
    return singles, batches


def run(ctx: AppContext, burst: bool) -> None:
    """The notifier process. With ``burst``: tick, drain the queue, repeat until idle, exit."""
    set_context(ctx)  # jobs run in this process (SimpleWorker) and find this context
    if isinstance(ctx.queue, RedisQueue):
        _run_rq(ctx, ctx.queue, burst)
    elif isinstance(ctx.queue, InlineQueue):
        _run_inline(ctx, ctx.queue, burst)
    else:
        raise RuntimeError(f"unsupported queue {type(ctx.queue).__name__}")


def _run_rq(ctx: AppContext, queue: RedisQueue, burst: bool) -> None:
    owner = new_owner()
    heartbeat = Heartbeat(queue.connection, owner).start()
    set_owner(owner)  # claims from now on name this process (after its key exists)
    orphans = OrphanWatch(heartbeat)
    try:
        if burst:
            while True:
                report = safe_tick(ctx, orphans)
                queue.run_worker([jobs.NOTIFY_QUEUE], burst=True)
                if report is not None and report.enqueued == 0:
                    return
        stop = threading.Event()
        ticker = start_daemon(_tick_loop, ctx, stop, orphans, name="notifier-tick")
        watch_config(ctx, stop)  # subscriptions and channels follow the config file
        try:
            queue.run_worker([jobs.NOTIFY_QUEUE], burst=False)
        finally:
            stop.set()
            ticker.join(timeout=5)
    finally:
        set_owner("")
        heartbeat.close()


def _run_inline(ctx: AppContext, queue: InlineQueue, burst: bool) -> None:
    every = ctx.config.notifier.tick_every.total_seconds()
    last_tick = float("-inf")
    idle = threading.Event()  # never set: its wait() is an interruptible sleep
    while True:
        report = None
        if burst or time.monotonic() - last_tick >= every:
            report = safe_tick(ctx)
            last_tick = time.monotonic()
        ran = queue.run_pending()
        if burst and ran == 0 and report is not None and report.enqueued == 0:
            return
        if not ran:
            idle.wait(IDLE_SLEEP)


def _tick_loop(ctx: AppContext, stop: threading.Event, orphans: OrphanWatch | None) -> None:
    every = ctx.config.notifier.tick_every.total_seconds()
    while not stop.is_set():
        try:
            safe_tick(ctx, orphans)
        except Exception:  # noqa: BLE001 - one bad tick must not end the tick thread
            log.exception("notifier tick failed unexpectedly; next tick in %ss", every)
        stop.wait(every)


def safe_tick(ctx: AppContext, orphans: OrphanWatch | None = None) -> TickReport | None:
    """A tick that survives a database or Redis outage: log one line, try again next time."""
    try:
        return tick(ctx, orphans=orphans)
    except (SQLAlchemyError, RedisError, NewswatchError, OSError) as exc:
        log.error("notifier tick failed: %s", describe(exc))
        return None
