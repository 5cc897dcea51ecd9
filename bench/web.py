"""Benchmark the web view: page latency of a real `newswatch web` process over a filled database.

Not a test. A throw-away PostgreSQL database is filled through the store functions with
``--stories`` stories (3 articles from 3 outlets each, scored on the built-in topic, spread
over 30 days; a third alerted with a sent delivery, some failed), then `newswatch web` is
started on a free port and each page is fetched ``--repeat`` times in sequence. Prints the
median and worst latency per page in milliseconds (wall clock: the 2 cores are shared, so
compare runs on one machine only). /metrics is fetched once cold (the ledger read) and then
warm (the 10 s cache).

    .venv/bin/python bench/web.py [--stories 3000] [--repeat 20]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import Connection, create_engine, text

from shared import store
from shared.config import FeedConfig
from shared.db import make_engine, migrate, normalize_url

PG_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
OUTLETS = ["Kyiv Wire", "Caspian Monitor", "Baltic Desk"]
EXPLANATION = {
    "summary": "Iranian drones shipped to Russia", "evidence": ["Iran: Tehran", "Russia: Moscow"],
    "passage": {"text": "Drones crossed the Caspian.", "source": "brief.md", "similarity": 0.4},
    "penalties": ["'summit' discounted"],
}


def fill(db_url: str, stories: int) -> int:
    """The database as a month of a busy desk looks; returns the id of the newest story."""
    engine = make_engine(db_url)
    now = store.utcnow()
    feeds = [FeedConfig(url=f"https://{n.lower().replace(' ', '')}.example.org/rss", name=n)
             for n in OUTLETS]
    with engine.begin() as conn:
        store.sync_feeds(conn, feeds, now)
        feed_ids = {row.name: int(row.id) for row in store.all_feeds(conn)}
        story_ids = [
            _story(conn, feed_ids, index, now - timedelta(minutes=index * 30 * 24 * 60 // stories))
            for index in range(stories)
        ]
    engine.dispose()
    return story_ids[0]


def _story(conn: Connection, feed_ids: dict[str, int], index: int, seen: datetime) -> int:
    ids = []
    for offset, outlet in enumerate(OUTLETS):
        digest = hashlib.sha256(f"{index}-{offset}".encode()).hexdigest()
        article_id, _ = store.upsert_article(conn, feed_ids[outlet], store.NewArticle(
            identity=digest[:32], content_hash=digest, title=f"Story {index}: drones shipped ({outlet})",
            summary="Drone parts crossed the Caspian.", url=f"https://example.org/{digest[:12]}"),
            seen + timedelta(minutes=offset * 10))
        store.save_score(conn, article_id, "axis", 0.3 + (index % 7) * 0.1, EXPLANATION,
                         digest, seen)
        ids.append(article_id)
    story_id = store.create_story(conn, title=f"Story {index}", first_article_id=ids[0],
                                  seen_at=seen)
    for offset, (article_id, outlet) in enumerate(zip(ids, OUTLETS, strict=True)):
        store.add_story_member(conn, article_id=article_id, story_id=story_id, outlet=outlet,
                               reason="new" if offset == 0 else "same_event",
                               matched_article_id=None, similarity=0.5,
                               seen_at=seen + timedelta(minutes=offset * 10))
    if index % 3 == 0:
        store.claim_story_alert(conn, subscription_id="desk", story_id=story_id, outlet_count=1,
                                score=0.8, now=seen)
        delivery_id = store.create_delivery(
            conn, subscription_id="desk", article_id=ids[0], topic_id="axis", score=0.8,
            channel="console", mode="instant", status="pending", now=seen, story_id=story_id)
        token = store.claim_delivery(conn, delivery_id or 0, seen, timedelta(minutes=5))
        status = "failed" if index % 9 == 0 else "sent"
        store.finish_delivery(conn, delivery_id or 0, token or "", status=status,
                              sent_at=seen + timedelta(seconds=30) if status == "sent" else None)
    return int(story_id)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def measure(url: str, pages: list[str], repeat: int) -> None:
    with httpx.Client(base_url=url, timeout=60) as client:
        cold = time.perf_counter()
        client.get("/metrics").raise_for_status()
        print(f"{'/metrics (cold: ledger read)':40} {1000 * (time.perf_counter() - cold):8.1f} ms")
        for page in pages:
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                client.get(page).raise_for_status()
                times.append(1000 * (time.perf_counter() - started))
            print(f"{page:40} median {statistics.median(times):7.1f} ms   worst {max(times):7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stories", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    name = f"newswatch_bench_web_{uuid.uuid4().hex[:8]}"
    admin = create_engine(normalize_url(PG_ADMIN_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db_url = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    process = None
    try:
        migrate(db_url)
        started = time.perf_counter()
        newest = fill(db_url, args.stories)
        print(f"filled {args.stories} stories ({3 * args.stories} articles) in "
              f"{time.perf_counter() - started:.1f}s")
        port = free_port()
        with tempfile.TemporaryDirectory() as folder:
            config = Path(folder) / "newswatch.yaml"
            config.write_text("subscriptions:\n  - id: desk\n    topics: [axis]\n"
                              "    console: {}\n", encoding="utf-8")
            env = {**os.environ, "DATABASE_URL": db_url, "NEWSWATCH_CONFIG": str(config),
                   "LOG_LEVEL": "WARNING"}
            env.pop("REDIS_URL", None)
            script = Path(sys.executable).parent / "newswatch"
            process = subprocess.Popen([str(script), "web", "--port", str(port)], env=env)
            url = f"http://127.0.0.1:{port}"
            for _ in range(300):
                try:
                    if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            measure(url, ["/stories", "/stories?band=all&since=30d", f"/stories/{newest}",
                          "/topics", "/feeds", "/deliveries", "/deliveries?status=failed",
                          "/metrics"], args.repeat)
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=10)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
