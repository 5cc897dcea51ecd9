"""`newswatch run`: the three services in one process, on the in-process queue.

The fetcher polls in a background thread; this thread runs the queued classify and deliver
jobs (the same functions RQ runs) and the notifier's housekeeping tick. With ``--once`` every
feed is polled once (in a forked process, ``newswatch.poll_child``, while this one already
classifies what arrived) and everything that results is processed and delivered before exit.

The services are imported inside the functions: ``--once`` forks its poll first, so the
child starts downloading before this process spends its time importing the scorers.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from newswatch import poll_child
from services.fetcher.stats import PollStats
from shared import signals, store
from shared.context import AppContext
from shared.queue import InlineQueue

if TYPE_CHECKING:
    from services.classifier.service import Resweeps

log = logging.getLogger(__name__)

TICK_EVERY = 5.0  # seconds between notifier housekeeping ticks
IDLE_SLEEP = 0.2  # seconds to wait when no job is queued
DRAIN_TIMEOUT = 120.0  # `run --once` waits this long for retries that fall due
OVERLAP_WAIT = 0.02  # `run --once`: seconds between looks at the queue while feeds download


@dataclass
class RunSummary:
    feeds_polled: int = 0
    feeds_failed: int = 0
    articles_new: int = 0
    articles_updated: int = 0
    articles_scored: int = 0
    matches: int = 0
    delivered: int = 0
    failed_deliveries: int = 0
    unfinished: list[Any] = field(default_factory=list)  # store.unfinished rows left at exit
    unscored: list[int] = field(default_factory=list)  # articles still lacking a score at exit
    poll_error: str | None = None  # the poll's process failed (PollFailed), if it did

    def render(self) -> str:
        return (
            f"feeds polled: {self.feeds_polled} ({self.feeds_failed} failed); "
            f"articles stored: {self.articles_new} new, {self.articles_updated} updated; "
            f"scored: {self.articles_scored}; matches: {self.matches}; "
            f"alerts delivered: {self.delivered}; failed deliveries: {self.failed_deliveries}"
        )

    def pending_line(self) -> str | None:
        """One line naming what `run --once` leaves undelivered, and when it is retried."""
        if not self.unfinished:
            return None
        first = self.unfinished[0]
        when = store.as_utc(first.next_attempt_at)
        error = (first.last_error or "").splitlines()[0][:120] if first.last_error else ""
        return (f"not delivered yet: {len(self.unfinished)} "
                f"({', '.join(f'{r.kind} {r.id} {r.status}' for r in self.unfinished[:5])}"
                f"{', ...' if len(self.unfinished) > 5 else ''}); next retry "
                f"{when.strftime('%Y-%m-%d %H:%M:%SZ') if when else 'now'}"
                f"{f' ({error})' if error else ''}; run again or start `newswatch run`")


    def problems(self) -> list[str]:
        """The lines `run --once` prints to stderr, then exits 1 (none: exit 0)."""
        lines = [self.poll_error, self.unscored_line(), self.pending_line()]
        return [line for line in lines if line]

    def unscored_line(self) -> str | None:
        """One line naming the articles `run --once` could not score (their jobs failed)."""
        if not self.unscored:
            return None
        shown = ", ".join(str(i) for i in self.unscored[:10])
        more = ", ..." if len(self.unscored) > 10 else ""
        return (f"not scored: {len(self.unscored)} articles ({shown}{more}); their classify "
                f"jobs failed (see the log); run again or start `newswatch run`")


def _queue(ctx: AppContext) -> InlineQueue:
    if not isinstance(ctx.queue, InlineQueue):
        raise RuntimeError("the embedded runner needs the in-process queue")
    return ctx.queue


def drain(ctx: AppContext) -> int:
    """Run jobs and housekeeping until nothing more is due right now."""
    from services.notifier import service as notifier_service

    queue, total = _queue(ctx), 0
    while True:
        done = queue.run_pending()
        notifier_service.tick(ctx)
        signals.run_handlers()  # a stop signal's exit, should a job have swallowed it
        if done == 0 and queue.pending() == 0:
            return total
        total += done


def finish_due(ctx: AppContext, timeout: float) -> list[Any]:
    """Drain, then wait for retries falling due before ``timeout``; returns what is left.

    The bound starts once the first drain is done: it limits the wait for retries, not the
    scoring and first sends (which a slow start-up can stretch)."""
    drain(ctx)
    deadline = time.monotonic() + timeout
    while True:
        with ctx.engine.connect() as conn:
            left = store.unfinished(conn)
        if not left:
            return []
        now = store.utcnow()
        due = min((store.as_utc(r.next_attempt_at) or now for r in left), default=now)
        wait = max((due - now).total_seconds(), IDLE_SLEEP)
        if time.monotonic() + wait > deadline:
            return left
        log.info("waiting %.1fs for %d deliveries to retry", wait, len(left))
        time.sleep(min(wait, TICK_EVERY))
        signals.run_handlers()
        drain(ctx)


def run_embedded(
    ctx: AppContext, *, once: bool, stop: threading.Event, drain_timeout: float = DRAIN_TIMEOUT,
) -> RunSummary:
    if once:
        return _run_once(ctx, drain_timeout)
    from services.classifier import service as classifier_service
    from services.fetcher import poller
    from services.notifier import service as notifier_service

    classifier_service.recover(ctx, older_than=timedelta(0))
    fetch_thread = signals.start_daemon(poller.run_forever, ctx, stop, name="fetcher")
    log.info("newswatch running: %d feeds, Ctrl-C to stop", len(ctx.config.feeds))
    queue, last_tick, last_sweep = _queue(ctx), 0.0, time.monotonic()
    resweeps = classifier_service.Resweeps()
    sweep_every = classifier_service.RECOVERY_EVERY.total_seconds()
    try:
        while not stop.is_set():
            ran = queue.run_pending(limit=100)
            if time.monotonic() - last_tick >= TICK_EVERY:
                notifier_service.safe_tick(ctx)  # a locked or lost database: next tick
                last_tick = time.monotonic()
            if not ran and time.monotonic() - last_sweep >= sweep_every:
                safe_recover(ctx, resweeps)  # what `newswatch classifier` sweeps for
                last_sweep = time.monotonic()
            if not ran:
                stop.wait(IDLE_SLEEP)
    finally:
        stop.set()
        fetch_thread.join(timeout=10)
    return RunSummary()


def _run_once(ctx: AppContext, drain_timeout: float) -> RunSummary:
    """Poll (in a child process) while classifying, drain, wait for due retries, summarise."""
    from services.classifier import service as classifier_service

    stats, error = _poll_while_processing(ctx)
    drain(ctx)
    # Articles a failed batch left unscored, or that a failed poll stored without a job.
    classifier_service.recover(ctx, older_than=timedelta(0))
    left = finish_due(ctx, drain_timeout)
    summary = _summary(ctx, stats)
    summary.unfinished = left
    summary.unscored = classifier_service.unscored_recent(ctx)
    summary.poll_error = error
    return summary


def safe_recover(ctx: AppContext, resweeps: Resweeps) -> int:
    """The classifier's recovery sweep (articles a failed batch left unscored), surviving a
    locked or lost database: one line, then the next sweep."""
    from sqlalchemy.exc import SQLAlchemyError

    from services.classifier import service as classifier_service
    from shared.exceptions import NewswatchError
    from shared.retry import describe

    try:
        return classifier_service.recover(ctx, classifier_service.RECOVERY_AGE, resweeps)
    except (SQLAlchemyError, NewswatchError, OSError) as exc:
        log.warning("recovery sweep failed: %s", describe(exc))
    except Exception:  # noqa: BLE001 - one bad sweep must not end `newswatch run`
        log.exception("recovery sweep failed unexpectedly")
    return 0


def _poll_while_processing(ctx: AppContext) -> tuple[PollStats, str | None]:
    """One poll of every feed in a child process while this one runs the jobs it forwards:
    articles are scored while other feeds are still downloading, on another core.

    Returns the poll's counts and, when its process failed, the line saying how (what it
    stored is still classified: the caller's recovery sweep reads the database)."""
    queue = _queue(ctx)
    child = poll_child.start(ctx, lambda job, args: queue.enqueue(job, *args))
    try:
        from services.classifier import service as classifier_service

        classifier_service.recover(ctx, older_than=timedelta(0))  # what an earlier run left
        if ctx.config.feeds or queue.pending():  # else no job may come: skip numpy & co.
            from services.classifier import jobs as classifier_jobs

            classifier_jobs.scorers(ctx)  # load and fit them while the first feeds download
        while not child.done.is_set():
            if not queue.run_pending(limit=1):
                child.done.wait(OVERLAP_WAIT)
            signals.run_handlers()  # a SIGTERM another thread caught, or a job swallowed
        try:
            return child.finish(), None
        except poll_child.PollFailed as exc:
            log.error("%s", exc)
            return PollStats(), str(exc)
    finally:
        child.stop()  # SIGTERM, an error here: the child and its parse workers end too


def _summary(ctx: AppContext, stats: PollStats) -> RunSummary:
    from shared.topics import resolve_topics

    thresholds = {t.id: t.threshold for t in resolve_topics(ctx.config)}
    with ctx.engine.connect() as conn:
        return RunSummary(
            feeds_polled=stats.feeds_polled, feeds_failed=stats.feeds_failed,
            articles_new=stats.articles_new, articles_updated=stats.articles_updated,
            articles_scored=stats.articles_new + stats.articles_updated,
            matches=store.count_scores_at_least(conn, thresholds),
            delivered=store.count_deliveries(conn, "sent"),
            failed_deliveries=store.count_deliveries(conn, "failed"),
        )
