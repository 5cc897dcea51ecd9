"""Benchmark the notifier: deliveries per second for one notifier worker against a local Slack receiver.

Not a test. Real parts: PostgreSQL (a throw-away database), Redis (an RQ queue in a numbered
database) and a Slack-like HTTP receiver in a *separate process* so its CPU is not counted. The
worker is ``services.notifier.service.run(ctx, burst=True)``: RQ SimpleWorker + tick, as
``newswatch notifier --burst`` runs it.

Two figures: wall-clock deliveries/s (noisy: the 2 cores are shared, and PostgreSQL/Redis run on
them too) and CPU time of this process per delivery (time.process_time: what one core of
notifier work costs, the stable number). Slack pacing (about one message per second per webhook)
is switched off here, so the figure is the worker's own ceiling; with pacing on, one webhook gets
one message per second by design.

    .venv/bin/python bench/notifier.py [--n 300] [--mode rq|inline]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import socket
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy import create_engine, text

from services.notifier import service
from shared import jobs, store
from shared.config import AppConfig, FeedConfig
from shared.context import AppContext, set_context
from shared.db import make_engine, migrate, normalize_url
from shared.queue import InlineQueue, RedisQueue, TaskQueue
from shared.settings import Settings

PG_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
DEFAULT_N = 300
FEED_URL = "https://wire.example.net/bench.xml"
EXPLANATION = {"summary": "benchmark item", "evidence": ["actors: Iran, Russia"]}


def _receiver(port_queue: Any) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, like Slack

        def setup(self) -> None:
            super().setup()
            # headers and body leave in two writes: without this, Nagle + delayed ACK add ~40 ms
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port_queue.put(server.server_address[1])
    server.serve_forever()


def _seed(ctx: AppContext, n: int) -> None:
    now = datetime.now(UTC)
    with ctx.engine.begin() as conn:
        store.sync_feeds(conn, [FeedConfig(url=FEED_URL, name="Bench Wire")], now)
        feed_id = store.all_feeds(conn)[0].id
        for i in range(n):
            article_id, _ = store.upsert_article(conn, feed_id, store.NewArticle(
                identity=f"bench-{i}", content_hash=f"h{i}", title=f"Benchmark headline {i}",
                summary="text", url=f"https://wire.example.net/{i}", published_at=now), now)
            store.save_score(conn, article_id, "axis", 0.8, EXPLANATION, f"h{i}", now)
            store.create_delivery(conn, subscription_id="bench", article_id=article_id,
                                  topic_id="axis", score=0.8, channel="slack", mode="instant",
                                  status="pending", now=now)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=DEFAULT_N)
    parser.add_argument("--mode", choices=("rq", "inline"), default="rq")
    args = parser.parse_args()

    ports: Any = multiprocessing.Queue()
    receiver = multiprocessing.Process(target=_receiver, args=(ports,), daemon=True)
    receiver.start()
    port = ports.get(timeout=10)

    name = f"newswatch_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(normalize_url(PG_ADMIN_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db_url = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    try:
        migrate(db_url)
        config = AppConfig.model_validate({
            "subscriptions": [{"id": "bench", "topics": ["axis"],
                               "slack": {"webhook_url": f"http://127.0.0.1:{port}/services/T/B/x"}}],
            "notifier": {"slack_min_interval": 0},
        })
        queue: TaskQueue = InlineQueue()
        if args.mode == "rq":
            redis_queue = RedisQueue(REDIS_URL)
            redis_queue.connection.flushdb()
            queue = redis_queue
        ctx = AppContext(settings=Settings(), config=config, engine=make_engine(db_url), queue=queue)
        set_context(ctx)
        _seed(ctx, args.n)
        with ctx.engine.connect() as conn:
            ids = [row.id for row in store.list_deliveries(conn, limit=args.n)]
        for delivery_id in ids:
            ctx.queue.enqueue(jobs.DELIVER, delivery_id)

        wall0, cpu0 = time.perf_counter(), time.process_time()
        service.run(ctx, burst=True)
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        with ctx.engine.connect() as conn:
            sent = store.count_deliveries(conn, "sent")
        ctx.engine.dispose()
        print(f"mode={args.mode} deliveries={sent}/{args.n} wall={wall:.2f}s "
              f"-> {sent / wall:.0f} deliveries/s wall; cpu={cpu:.2f}s "
              f"-> {cpu / max(sent, 1) * 1000:.2f} ms CPU per delivery "
              f"({sent / cpu:.0f} deliveries/s per core)")
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        receiver.terminate()


if __name__ == "__main__":
    main()
