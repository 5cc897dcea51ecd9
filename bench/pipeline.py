"""End-to-end latency: an article's first sight by the fetcher -> the Slack receiver has it.

Runs the real services as separate processes on a real Redis and PostgreSQL: continuous
`newswatch classifier` and `newswatch notifier` workers, and `newswatch fetcher --once` per
round. Each round publishes one relevant item among `--noise` irrelevant ones on local feeds;
latency = receiver arrival time - articles.first_seen_at. Not a test: prints a table.

    .venv/bin/python bench/pipeline.py --rounds 20 --feeds 20 --noise 50
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from redis import Redis
from sqlalchemy import create_engine, text

PG_ADMIN = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_BASE = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")

RELEVANT = [
    ("Iran sends new batch of Shahed drones to Russia, officials say {n}",
     "Western officials said Tehran shipped Shahed-136 attack drones and Fath-360 missiles to Moscow."),
    ("North Korea ships artillery shells to Russia for Ukraine war {n}",
     "Pyongyang delivered containers of artillery shells and KN-23 missiles to Russia, Seoul said."),
    ("US sanctions Chinese firms supplying drone parts to Russia {n}",
     "Treasury named companies in China that shipped engines and microelectronics used in "
     "Russian drones."),
]
NOISE = ("Local council approves new cycle lanes {n}",
         "The plan adds 12 km of protected lanes in the city centre.")


class State:
    def __init__(self, feeds: int) -> None:
        self.items: dict[int, list[tuple[str, str, datetime]]] = {i: [] for i in range(feeds)}
        self.arrivals: dict[str, float] = {}
        self.lock = threading.Lock()


def feed_xml(items: list[tuple[str, str, datetime]]) -> bytes:
    parts = [
        f"<item><title>{escape(t)}</title><link>https://bench.example.org/{abs(hash(t))}</link>"
        f"<guid>{abs(hash(t))}</guid><pubDate>{format_datetime(d)}</pubDate>"
        f"<description>{escape(s)}</description></item>"
        for t, s, d in items[-100:]
    ]
    return ('<?xml version="1.0"?><rss version="2.0"><channel><title>Bench</title>'
            "<link>https://bench.example.org/</link><description>b</description>"
            + "".join(parts) + "</channel></rss>").encode()


def serve(state: State) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            index = int(self.path.strip("/").split(".")[0])
            with state.lock:
                body = feed_xml(state.items[index])
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            arrived = time.time()
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")
            payload = json.loads(body)
            with state.lock:
                for template, _ in RELEVANT:
                    marker = template.split("{n}")[0][:30]
                    if marker in payload.get("text", "") + json.dumps(payload):
                        state.arrivals[json.dumps(payload)] = arrived

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--feeds", type=int, default=20)
    parser.add_argument("--noise", type=int, default=50, help="irrelevant items per round")
    args = parser.parse_args()

    state = State(args.feeds)
    server = serve(state)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    db_name = f"newswatch_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{db_name}"'))
    db_url = PG_ADMIN.rsplit("/", 1)[0] + "/" + db_name
    redis_url = f"{REDIS_BASE}/14"
    Redis.from_url(redis_url).flushdb()
    workdir = Path(tempfile.mkdtemp(prefix="nw-bench-"))
    config = workdir / "newswatch.yaml"
    feeds = "\n".join(f"  - url: {base}/{i}.xml" for i in range(args.feeds))
    config.write_text(
        f"feeds:\n{feeds}\nfetcher: {{allow_private_networks: true}}\n"
        f"subscriptions:\n  - id: desk\n    topics: [axis]\n"
        f"    slack: {{webhook_url: \"{base}/slack\"}}\n"
        f"notifier: {{slack_min_interval: 0s}}\n"
        # Each round's item is its own story here: grouping would (rightly) fold the repeated
        # templates into one story and send no second alert.
        f"stories: {{event_threshold: 1.0, syndicated_threshold: 0.95}}\n"
    )
    env = {**os.environ, "DATABASE_URL": db_url, "REDIS_URL": redis_url, "LOG_LEVEL": "WARNING"}
    cli = [sys.executable, "-m", "newswatch"]
    subprocess.run([*cli, "migrate", "--config", str(config)], env=env, check=True)
    workers = [subprocess.Popen([*cli, name, "--config", str(config)], env=env)
               for name in ("classifier", "notifier")]
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        latencies = []
        for n in range(args.rounds):
            now = datetime.now(UTC)
            template, summary = RELEVANT[n % len(RELEVANT)]
            with state.lock:
                for k in range(args.noise):
                    state.items[k % args.feeds].append(
                        (NOISE[0].format(n=f"{n}-{k}"), NOISE[1], now - timedelta(minutes=1)))
                state.items[n % args.feeds].append((template.format(n=n), summary, now))
            subprocess.run([*cli, "fetcher", "--once", "--config", str(config)], env=env, check=True)
            title = template.format(n=n)
            deadline = time.time() + 60
            arrived = None
            while time.time() < deadline and arrived is None:
                with state.lock:
                    arrived = next((t for p, t in state.arrivals.items() if title in p), None)
                time.sleep(0.01)
            with engine.connect() as conn:
                seen = conn.execute(text("SELECT first_seen_at FROM articles WHERE title = :t"),
                                    {"t": title}).scalar()
            if arrived is None or seen is None:
                print(f"round {n}: not delivered within 60 s", file=sys.stderr)
                continue
            latencies.append(arrived - seen.timestamp())
        latencies.sort()
        if not latencies:
            raise SystemExit("no alert arrived: is the pipeline wired?")
        p95 = latencies[min(len(latencies) - 1, int(round(0.95 * (len(latencies) - 1))))]
        print(f"{'rounds':>8} {'feeds':>6} {'items/round':>12} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
        print(f"{len(latencies):>8} {args.feeds:>6} {args.noise + 1:>12} "
              f"{statistics.median(latencies) * 1000:>8.0f} {p95 * 1000:>8.0f} {latencies[-1] * 1000:>8.0f}")
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=20)
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
        server.shutdown()


if __name__ == "__main__":
    main()
