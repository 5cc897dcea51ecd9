"""/metrics: Prometheus text derived from the database ledger (and Redis queue depths).

Why not a port per worker: classifiers and notifiers scale to any number of containers and
restart at will; each one's in-memory counters would be partial and reset on restart. The
ledger (articles, scores, deliveries, feeds) is the truth they all write, so one collector in
the web process reads it and every scrape sees the whole system. The DB is read at most once
per ``CACHE_SECONDS``, however often Prometheus scrapes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import Response

from shared import jobs, store
from shared.context import AppContext
from shared.queue import RedisQueue

log = logging.getLogger(__name__)

CACHE_SECONDS = 10.0
POLLED_WINDOW = timedelta(hours=1)
LATENCY_BUCKETS = (5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0,
                   21600.0, 86400.0)
QUEUES = (jobs.CLASSIFY_QUEUE, jobs.NOTIFY_QUEUE)


@dataclass
class Snapshot:
    db_up: bool = False
    articles: int = 0
    scored: int = 0
    feeds_enabled: int = 0
    feeds_disabled: int = 0
    feeds_polled: int = 0
    feed_errors: list[tuple[str, int]] = field(default_factory=list)
    deliveries: list[tuple[str, str, int]] = field(default_factory=list)
    latencies: list[tuple[str, float]] = field(default_factory=list)
    queues: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def histogram_buckets(values: Iterable[float]) -> list[tuple[str, float]]:
    """Cumulative (le, count) pairs ending in +Inf, as the exposition format wants."""
    ordered = sorted(values)
    out, index = [], 0
    for bound in LATENCY_BUCKETS:
        while index < len(ordered) and ordered[index] <= bound:
            index += 1
        out.append((repr(bound), float(index)))
    out.append(("+Inf", float(len(ordered))))
    return out


class LedgerCollector(Collector):
    """Reads the ledger on collect (cached); a DB outage shows as newswatch_db_up 0."""

    def __init__(self, ctx: AppContext, cache_seconds: float = CACHE_SECONDS) -> None:
        self.ctx = ctx
        self.cache_seconds = cache_seconds
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._taken = 0.0

    def snapshot(self) -> Snapshot:
        with self._lock:
            if self._snapshot is None or time.monotonic() - self._taken > self.cache_seconds:
                self._snapshot = self._read()
                self._taken = time.monotonic()
            return self._snapshot

    def _read(self) -> Snapshot:
        started = time.perf_counter()
        snap = Snapshot()
        try:
            with self.ctx.engine.connect() as conn:
                snap.articles = store.count_articles(conn)
                snap.scored = store.count_scored_articles(conn)
                feeds = store.feed_counts(conn, store.utcnow() - POLLED_WINDOW)
                snap.feeds_enabled, snap.feeds_disabled = feeds.enabled, feeds.disabled
                snap.feeds_polled = feeds.polled_recently
                snap.feed_errors = store.feed_error_counts(conn)
                snap.deliveries = store.delivery_counts(conn)
                snap.latencies = store.delivery_latencies(conn)
            snap.db_up = True
        except SQLAlchemyError as exc:
            log.warning("metrics: database unreachable: %s", exc)
        snap.queues = self._queue_depths()
        snap.seconds = time.perf_counter() - started
        return snap

    def _queue_depths(self) -> dict[str, int]:
        queue = self.ctx.queue
        if not isinstance(queue, RedisQueue):
            return {}
        from redis.exceptions import RedisError
        from rq import Queue

        try:
            return {name: int(Queue(name, connection=queue.connection).count) for name in QUEUES}
        except RedisError as exc:
            log.warning("metrics: Redis unreachable: %s", exc)
            return {}

    def collect(self) -> Iterator[Metric]:
        snap = self.snapshot()
        yield GaugeMetricFamily("newswatch_db_up", "1 when the last ledger read succeeded",
                                value=1.0 if snap.db_up else 0.0)
        yield GaugeMetricFamily("newswatch_scrape_duration_seconds",
                                "Time the last ledger read took", value=snap.seconds)
        if snap.queues:
            depth = GaugeMetricFamily("newswatch_queue_depth", "Jobs waiting in the RQ queue",
                                      labels=["queue"])
            for name, count in snap.queues.items():
                depth.add_metric([name], count)
            yield depth
        if snap.db_up:  # no made-up zeros while the database is away
            yield from self._ledger(snap)

    def _ledger(self, snap: Snapshot) -> Iterator[Metric]:
        yield GaugeMetricFamily("newswatch_articles_stored", "Articles in the database",
                                value=snap.articles)
        yield GaugeMetricFamily("newswatch_articles_scored",
                                "Articles with at least one topic score", value=snap.scored)
        feeds = GaugeMetricFamily("newswatch_feeds", "Configured feeds", labels=["state"])
        feeds.add_metric(["enabled"], snap.feeds_enabled)
        feeds.add_metric(["disabled"], snap.feeds_disabled)
        yield feeds
        yield GaugeMetricFamily("newswatch_feeds_polled_last_hour",
                                "Feeds polled within the last hour", value=snap.feeds_polled)
        errors = GaugeMetricFamily("newswatch_feeds_failing",
                                   "Feeds whose last poll failed, by error class",
                                   labels=["error_class"])
        for kind, count in snap.feed_errors:
            errors.add_metric([kind], count)
        yield errors
        deliveries = GaugeMetricFamily("newswatch_deliveries",
                                       "Ledger rows by channel and status (sent, failed, held…)",
                                       labels=["channel", "status"])
        for channel, status, count in snap.deliveries:
            deliveries.add_metric([channel, status], count)
        yield deliveries
        yield self._latency(snap)

    @staticmethod
    def _latency(snap: Snapshot) -> HistogramMetricFamily:
        family = HistogramMetricFamily(
            "newswatch_delivery_latency_seconds",
            "From an article's first sight to its alert being sent", labels=["channel"])
        by_channel: dict[str, list[float]] = {}
        for channel, seconds in snap.latencies:
            by_channel.setdefault(channel, []).append(seconds)
        for channel, values in sorted(by_channel.items()):
            family.add_metric([channel], histogram_buckets(values), sum_value=sum(values))
        return family


def make_registry(ctx: AppContext) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(LedgerCollector(ctx))
    return registry


def metrics_endpoint(request: Request) -> Response:
    registry: CollectorRegistry = request.app.state.metrics
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
