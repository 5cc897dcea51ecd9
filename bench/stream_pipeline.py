"""The whole pipeline on a real day of news (not a test; the data is not ours to ship).

Serves a JSONL stream (feed, title, summary, link, published) as one RSS 2.0 feed per source
from a local HTTP server, runs `newswatch run --once` on it (embedded mode, a fresh SQLite
database, a console subscription, alert_max_age 0 because the day is in the past), and prints
the wall time, what was stored, scored and alerted, and the alerts themselves.

    .venv/bin/python bench/stream_pipeline.py ../shared/stream/2023-09-13.jsonl
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape


def rss(items: list[dict[str, Any]]) -> bytes:
    parts = []
    for item in items:
        date = ""
        if item.get("published"):
            date = f"<pubDate>{format_datetime(datetime.fromisoformat(item['published']))}</pubDate>"
        parts.append(
            f"<item><title>{escape(item.get('title') or '')}</title>"
            f"<link>{escape(item.get('link') or '')}</link>{date}"
            f"<description>{escape(item.get('summary') or '')}</description></item>"
        )
    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>feed</title>'
            "<link>https://example.org/</link><description>d</description>"
            + "".join(parts) + "</channel></rss>").encode()


def serve(bodies: list[bytes]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = bodies[int(self.path.strip("/").split(".")[0])]
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stream", type=Path)
    args = parser.parse_args()
    by_feed: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for line in args.stream.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            by_feed[item["feed"]].append(item)
    names = sorted(by_feed)
    server = serve([rss(by_feed[name]) for name in names])
    port = server.server_address[1]
    workdir = Path(tempfile.mkdtemp(prefix="nw-stream-"))
    feeds = "\n".join(f'  - {{url: "http://127.0.0.1:{port}/{i}.xml", name: "{n}"}}'
                      for i, n in enumerate(names))
    config = workdir / "newswatch.yaml"
    config.write_text(f"alert_max_age: 0\nfetcher: {{allow_private_networks: true}}\nfeeds:\n{feeds}\n"
                      "subscriptions:\n  - id: console\n    topics: [axis]\n    console: {}\n")
    env = {**os.environ, "NEWSWATCH_DATA_DIR": str(workdir / "data"), "LOG_LEVEL": "WARNING"}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "newswatch", "run", "--once", "--config", str(config)],
                            env=env, capture_output=True, text=True, check=False)
    wall = time.monotonic() - started
    print(result.stdout)
    if result.returncode:
        print(result.stderr[-3000:], file=sys.stderr)
        raise SystemExit(result.returncode)
    print(f"{len(names)} feeds, {sum(map(len, by_feed.values()))} entries: one `run --once` pass "
          f"took {wall:.1f} s wall (database kept in {workdir})")
    server.shutdown()


if __name__ == "__main__":
    main()
