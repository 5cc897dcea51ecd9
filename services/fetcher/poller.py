"""The fetcher service: poll due feeds, store what is new or changed, enqueue classification.

Three stages run apart so none stalls the others (the Miniflux shape, made concurrent):

* fetch: asyncio + httpx (``services.fetcher.http``), bounded globally and per host;
* parse: ``parse_feed`` in worker processes (feedparser is pure Python, so threads would
  share one core), only for bodies that changed: a 304 or a body with the hash we stored
  costs no parse;
* store: one database thread writes outcomes in batches (one transaction for many feeds),
  then enqueues ``jobs.CLASSIFY`` for every new or changed article -- after the commit, so a
  classifier never looks for a row that is not there yet.

Every failure is classified (``FetchError.kind``), recorded on the feed, logged as one line
naming the feed, and scheduled with backoff; only ``410 Gone`` disables a feed.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import (
    CancelledError,
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
)
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, Row
from sqlalchemy.exc import SQLAlchemyError

from services.fetcher import schedule
from services.fetcher.http import Fetcher, FetchLimits, FetchResult
from services.fetcher.parse import ParsedFeed, parse_in_worker
from services.fetcher.stats import PollStats
from shared import jobs, signals, store
from shared.config import FetcherConfig
from shared.context import AppContext
from shared.exceptions import ConfigError, FetchError, HTTPStatusError, QueueError, StoreError
from shared.health import FetcherBeat
from shared.retry import call_with_retry

logger = logging.getLogger(__name__)

WRITE_BATCH = 200  # outcomes per database transaction, at most
DB_OUTAGE_BUDGET = 600.0  # seconds a batch waits for our database before it is dropped
IDLE_WAIT = 1.0  # seconds between looks for due feeds when nothing is in flight
MAX_ERROR_TEXT = 500
WARM_UP_TASK = 0.05  # seconds each parse process's first (empty) task takes: see _warm_up


@dataclass
class Outcome:
    """What happened to one feed in one poll; written by the store stage."""

    feed: Row[Any]
    result: FetchResult | None = None
    parsed: ParsedFeed | None = None
    error: FetchError | None = None
    article_ids: list[int] = field(default_factory=list)


# --- public entry points ----------------------------------------------------------------------


def run_once(ctx: AppContext) -> PollStats:
    """Poll every enabled feed once now (`fetcher --once`, `run --once`, `make demo`)."""
    sync(ctx)
    with ctx.engine.connect() as conn:
        feeds = store.enabled_feeds(conn)
    if not feeds:  # no parse processes to start and stop for nothing
        return PollStats()
    return asyncio.run(_poll_all(ctx, feeds))


def run_forever(ctx: AppContext, stop: threading.Event) -> None:
    """Scheduled polling until ``stop`` is set; config edits apply within ``sync_every``."""
    asyncio.run(_forever(ctx, stop))


def sync(ctx: AppContext) -> None:
    """The feeds table follows the config (new, edited, removed feeds)."""
    with ctx.engine.begin() as conn:
        changed = store.sync_feeds(conn, ctx.config.feeds, store.utcnow())
    if changed:
        logger.info("feeds synced from config: %d changed", changed)


# --- the loop ---------------------------------------------------------------------------------


class Poller:
    """Fetch/parse/store machinery shared by ``run_once``, ``run_forever`` and the bench."""

    def __init__(
        self, ctx: AppContext, config: FetcherConfig | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.ctx = ctx
        self.stop = stop or threading.Event()  # set: database waits give up (shutdown)
        self.unqueued: dict[int, None] = {}  # stored articles whose classify job is owed
        self._queue_down = False
        self.config = config or ctx.config.fetcher
        self.fetcher = Fetcher(FetchLimits.from_config(self.config))
        self.parser = _parse_executor(self.config.parse_processes)
        self._parser_ready = _warm_up(self.parser, _parse_workers(self.config.parse_processes))
        self.db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fetcher-db")
        self.stats = PollStats()
        self.rng = random.Random()
        self._outcomes: asyncio.Queue[Outcome | None] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None
        self._allow_private_all = _allow_private_networks(ctx)
        self.busy: set[int] = set()  # feeds polled but not yet written: not due again

    async def __aenter__(self) -> Poller:
        self._writer = asyncio.create_task(self._write_loop())
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._outcomes.put(None)
        if self._writer is not None:
            await self._writer
        await self.fetcher.aclose()
        self.parser.shutdown(wait=True, cancel_futures=True)
        self.db.shutdown(wait=True)

    async def poll(self, feed: Row[Any]) -> None:
        """Fetch and parse one feed; the outcome goes to the writer."""
        outcome = Outcome(feed=feed)
        self.busy.add(feed.id)
        try:
            outcome.result = await self.fetcher.fetch(
                feed.fetch_url,
                etag=feed.etag,
                last_modified=feed.last_modified,
                allow_private=self._allow_private_all or bool(feed.allow_private),
            )
            if _needs_parse(feed, outcome.result):
                outcome.parsed = await self._parse(outcome.result)
        except FetchError as exc:
            outcome.error = exc
        await self._outcomes.put(outcome)

    async def _parse(self, result: FetchResult) -> ParsedFeed:
        if not self._parser_ready.done():  # its processes start off the event loop
            await asyncio.wrap_future(self._parser_ready)
        loop = asyncio.get_running_loop()
        parsed = await loop.run_in_executor(
            self.parser,
            parse_in_worker,
            result.body,
            result.final_url,
            result.content_type,
            store.utcnow(),
        )
        if isinstance(parsed, ParsedFeed):
            return parsed
        kind, message = parsed
        raise FetchError(message, kind=kind)

    async def drain(self) -> None:
        """Wait until every outcome handed to the writer is committed."""
        await self._outcomes.join()

    async def _write_loop(self) -> None:
        """The one writer; it must outlive any error, or the feeds it holds are never polled again."""
        loop = asyncio.get_running_loop()
        while True:
            first = await self._outcomes.get()
            batch = [first]
            while len(batch) < WRITE_BATCH and not self._outcomes.empty():
                batch.append(self._outcomes.get_nowait())
            outcomes = [o for o in batch if o is not None]
            try:
                if outcomes:
                    stats = await loop.run_in_executor(self.db, self._write, outcomes)
                    self.stats.add(stats)
            except (StoreError, SQLAlchemyError) as exc:  # those feeds are simply polled again
                logger.error(
                    "fetcher store failed, %d outcomes dropped (polled again): %s",
                    len(outcomes), _first_line(exc),
                )
            except Exception:  # noqa: BLE001 - logged with its traceback; the writer carries on
                logger.exception("fetcher writer hit a bug; %d outcomes dropped", len(outcomes))
            finally:
                for item in batch:
                    if item is not None:
                        self.busy.discard(item.feed.id)
                    self._outcomes.task_done()
            if first is None or None in batch:
                return

    def _write(self, outcomes: Sequence[Outcome]) -> PollStats:
        """One transaction for the batch, then the classify jobs (store first, then enqueue).

        Our own database being away is not the feed's fault: the batch waits and is written
        when the database is back (up to ``DB_OUTAGE_BUDGET``). Redis being away does not
        stop storing either: the articles wait in ``unqueued`` until it is back."""
        stats = call_with_retry(lambda: self._write_db(outcomes), what="fetcher store",
                                budget=DB_OUTAGE_BUDGET, stop=self.stop)
        for outcome in outcomes:
            self.unqueued.update(dict.fromkeys(outcome.article_ids))
        self.flush_unqueued()
        return stats

    def _write_db(self, outcomes: Sequence[Outcome]) -> PollStats:
        stats = PollStats()
        now = store.utcnow()
        with self.ctx.engine.begin() as conn:
            for outcome in outcomes:
                stats.add(self._record(conn, outcome, now))
        return stats

    def flush_unqueued(self) -> int:
        """Enqueue the classify jobs still owed, oldest first; stops at the first Redis error
        (the classifier's recovery sweep is the backstop if this process dies meanwhile)."""
        sent = 0
        for batch in jobs.batches(list(self.unqueued)):  # one classify job per batch of ids
            try:
                self.ctx.queue.enqueue(jobs.CLASSIFY, batch)
            except QueueError as exc:
                if not self._queue_down:
                    logger.error("classify enqueue failed, %d articles wait for Redis: %s",
                                 len(self.unqueued), exc)
                self._queue_down = True
                break
            for article_id in batch:
                del self.unqueued[article_id]
            sent += len(batch)
        if self._queue_down and not self.unqueued:
            logger.info("queue reachable again: enqueued the articles that waited")
            self._queue_down = False
        return sent

    def _record(self, conn: Connection, outcome: Outcome, now: datetime) -> PollStats:
        feed = outcome.feed
        stats = PollStats(feeds_polled=1)
        if outcome.error is not None:
            stats.feeds_failed = 1
            store.update_feed(conn, feed.id, **self._failure(feed, outcome.error, now))
            return stats
        result = outcome.result
        assert result is not None
        values: dict[str, Any] = {
            "last_status": result.status,
            "last_polled_at": now,
            "last_success_at": now,
            "last_error": None,
            "last_error_kind": None,
            "error_count": 0,
            "etag": result.etag if result.status != 304 else (result.etag or feed.etag),
            "last_modified": (
                result.last_modified if result.status != 304
                else (result.last_modified or feed.last_modified)
            ),
        }
        if result.permanent_url:
            logger.info("feed %s moved permanently to %s", _name(feed), result.permanent_url)
            values["fetch_url"] = result.permanent_url
        rate = feed.items_per_day
        hints: list[float | None] = [result.cache_seconds]
        parsed = outcome.parsed
        if parsed is None:
            stats.feeds_not_modified = int(result.status == 304)
            stats.feeds_unchanged = int(result.status != 304)
        else:
            values["body_hash"] = result.body_hash
            values["title"] = parsed.title
            values["last_warning"] = parsed.problem
            if parsed.problem:
                logger.info("feed %s parsed despite a problem: %s", _name(feed), parsed.problem)
            rate = schedule.items_per_day((e.published_at for e in parsed.entries), now)
            values["items_per_day"] = rate
            hints.append(parsed.ttl_seconds)
            stats.parse_cpu_seconds = parsed.cpu_seconds
            new, updated = self._store_entries(conn, outcome, parsed, now)
            stats.articles_new, stats.articles_updated = new, updated
        interval = schedule.success_interval(
            self.config,
            rate=rate,
            override=timedelta(seconds=feed.poll_interval) if feed.poll_interval else None,
            server_hints=hints,
        )
        values["next_poll_at"] = now + schedule.with_jitter(interval, self.rng)
        store.update_feed(conn, feed.id, **values)
        return stats

    def _store_entries(
        self, conn: Connection, outcome: Outcome, parsed: ParsedFeed, now: datetime
    ) -> tuple[int, int]:
        entries = [
            store.NewArticle(
                identity=e.identity,
                content_hash=e.content_hash,
                title=e.title,
                summary=e.summary,
                url=e.url,
                guid=e.guid,
                author=e.author,
                language=parsed.language,
                published_at=e.published_at,
            )
            for e in parsed.entries
        ]
        changes = store.upsert_articles(conn, outcome.feed.id, entries, now)
        outcome.article_ids = [i for i, change in changes if change != "same"]
        new = sum(1 for _, change in changes if change == "new")
        return new, len(outcome.article_ids) - new

    def _failure(self, feed: Row[Any], error: FetchError, now: datetime) -> dict[str, Any]:
        count = (feed.error_count or 0) + 1
        status = error.status if isinstance(error, HTTPStatusError) else None
        retry_after = error.retry_after if isinstance(error, HTTPStatusError) else None
        message = str(error)[:MAX_ERROR_TEXT]
        values: dict[str, Any] = {
            "last_status": status,
            "last_error": message,
            "last_error_kind": error.kind,
            "error_count": count,
            "last_polled_at": now,
        }
        if status == 410:
            logger.warning("feed %s disabled: %s (the publisher removed it)", _name(feed), message)
            values.update(enabled=False, disabled_reason=f"410 Gone at {now:%Y-%m-%d %H:%M}Z")
            return values
        delay = schedule.failure_interval(self.config, error_count=count, retry_after=retry_after)
        values["next_poll_at"] = now + schedule.with_jitter(delay, self.rng)
        logger.warning(
            "feed %s failed (%s, %d in a row, next try in %s): %s",
            _name(feed), error.kind, count, _short(delay), message,
        )  # fmt: skip
        return values


async def _poll_all(ctx: AppContext, feeds: Sequence[Row[Any]]) -> PollStats:
    with signals.through_loop(asyncio.get_running_loop()):
        async with Poller(ctx) as poller:
            order = busiest_hosts_first(feeds, poller.config.per_host_concurrency)
            await asyncio.gather(*(poller.poll(feed) for feed in order))
            await poller.drain()
    if poller.unqueued:
        logger.warning("%d stored articles could not be enqueued (Redis away); the classifier's "
                       "recovery sweep will score them", len(poller.unqueued))
    return poller.stats


async def _forever(ctx: AppContext, stop: threading.Event) -> None:
    with signals.through_loop(asyncio.get_running_loop()):
        await _poll_until(ctx, stop)


async def _poll_until(ctx: AppContext, stop: threading.Event) -> None:
    config = ctx.config.fetcher
    beat = FetcherBeat(ctx.settings)  # `newswatch health --service fetcher` reads it
    last_sync = -float("inf")
    loop = asyncio.get_running_loop()
    in_flight: dict[int, asyncio.Task[None]] = {}
    async with Poller(ctx, stop=stop) as poller:
        logger.info("fetcher polling %d configured feeds", len(ctx.config.feeds))
        while not stop.is_set():
            beat.beat()
            try:
                if poller.unqueued:
                    await loop.run_in_executor(poller.db, poller.flush_unqueued)
                if loop.time() - last_sync >= config.sync_every.total_seconds():
                    last_sync = loop.time()
                    await loop.run_in_executor(poller.db, _reload_and_sync, ctx)
                room = config.max_concurrency * 4 - len(poller.busy)
                due = await loop.run_in_executor(poller.db, _due, ctx, room) if room > 0 else []
            except (StoreError, SQLAlchemyError) as exc:  # the database may come back
                logger.error("fetcher cannot read feeds, retrying: %s", _first_line(exc))
                due = []
            for feed in busiest_hosts_first(due, config.per_host_concurrency):
                if feed.id not in poller.busy:
                    task = asyncio.create_task(poller.poll(feed))
                    in_flight[feed.id] = task
                    task.add_done_callback(_forget(in_flight, feed.id))
            await asyncio.sleep(IDLE_WAIT)
        logger.info("fetcher stopping: %d polls in flight", len(in_flight))
        for task in list(in_flight.values()):
            task.cancel()
        await asyncio.gather(*in_flight.values(), return_exceptions=True)
        await poller.drain()
    if poller.unqueued:
        logger.warning("fetcher stopped with %d articles not enqueued; the classifier's "
                       "recovery sweep will score them", len(poller.unqueued))
    logger.info("fetcher stopped")


def _forget(in_flight: dict[int, asyncio.Task[None]], feed_id: int) -> Callable[[Any], None]:
    def forget(_task: Any) -> None:
        in_flight.pop(feed_id, None)

    return forget


def _due(ctx: AppContext, limit: int) -> list[Row[Any]]:
    with ctx.engine.connect() as conn:
        return store.due_feeds(conn, store.utcnow(), limit=limit)


def _reload_and_sync(ctx: AppContext) -> None:
    """A broken edit keeps the last good config running, with one line saying why."""
    try:
        if ctx.reload_config():
            logger.info("config reloaded: %d feeds", len(ctx.config.feeds))
    except ConfigError as exc:
        logger.error("config reload failed, keeping the previous one: %s", exc)
    sync(ctx)


# --- helpers ------------------------------------------------------------------------------------


def busiest_hosts_first(feeds: Sequence[Row[Any]], per_host: int) -> list[Row[Any]]:
    """The order to start polls in, so one host with many feeds is not the last to finish.

    A host with N feeds needs ceil(N / per_host) round trips one after the other (the
    politeness cap), so it is the long pole: its first ``per_host`` feeds must hold global
    slots from the start, not queue behind every single-feed host. Feeds go in waves of
    ``per_host`` per host, and within a wave the hosts with the most feeds go first; each
    host keeps its feeds' own order (most overdue first, as ``due_feeds`` gives them)."""
    by_host: dict[str, list[Row[Any]]] = defaultdict(list)
    for feed in feeds:
        by_host[(urlsplit(feed.fetch_url).hostname or "").lower()].append(feed)
    keyed = [
        ((rank // per_host, -len(host_feeds)), feed)
        for host_feeds in by_host.values()
        for rank, feed in enumerate(host_feeds)
    ]
    keyed.sort(key=lambda pair: pair[0])  # stable: ties keep the order above
    return [feed for _, feed in keyed]


def _warm_up(executor: Executor, workers: int) -> Future[None]:
    """Start the parse processes in a thread, so the event loop never waits for them.

    ``ProcessPoolExecutor`` spawns workers inside ``submit`` (for forkserver: start the
    server, import feedparser there, fork), which blocked the loop for ~0.6 s just when the
    first responses came in, and no request went out meanwhile. Each warm-up task lingers a
    moment, so every submit finds the workers busy and spawns a new one."""
    ready: Future[None] = Future()
    if not isinstance(executor, ProcessPoolExecutor):
        ready.set_result(None)
        return ready

    def warm() -> None:
        try:
            pending = [executor.submit(time.sleep, WARM_UP_TASK)
                       for _ in range(workers)]
            for task in pending:
                task.result()
        except (RuntimeError, CancelledError) as exc:  # closed first (a short pass), broken
            logger.debug("parse processes not started ahead: %s", exc)
        except OSError as exc:  # could not spawn: the first real parse reports it again
            logger.warning("parse processes did not start ahead: %s", exc)
        finally:
            ready.set_result(None)

    threading.Thread(target=warm, name="fetcher-parse-warm-up", daemon=True).start()
    return ready


def _needs_parse(feed: Row[Any], result: FetchResult) -> bool:
    return not result.not_modified and result.body_hash != feed.body_hash


def _parse_executor(processes: int | None) -> Executor:
    if processes == 0:
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="fetcher-parse")
    workers = _parse_workers(processes)
    context = multiprocessing.get_context("forkserver")  # no fork of a threaded process
    context.set_forkserver_preload(["services.fetcher.parse"])
    return ProcessPoolExecutor(max_workers=workers, mp_context=context)


def _parse_workers(processes: int | None) -> int:
    return processes or os.cpu_count() or 1


def _allow_private_networks(ctx: AppContext) -> bool:
    """The environment (NEWSWATCH_ALLOW_PRIVATE_NETWORKS) wins over the config when set."""
    from_env = ctx.settings.allow_private_networks
    return ctx.config.fetcher.allow_private_networks if from_env is None else from_env


def _name(feed: Row[Any]) -> str:
    return f"{feed.name!r} <{feed.url}>" if feed.name else f"<{feed.url}>"


def _first_line(exc: Exception) -> str:
    """SQLAlchemy errors carry the statement and its parameters: keep logs to one line."""
    lines = str(exc).splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"


def _short(delay: timedelta) -> str:
    seconds = int(delay.total_seconds())
    if seconds >= 3600:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds // 60}m" if seconds >= 60 else f"{seconds}s"
