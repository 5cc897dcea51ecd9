"""The whole pipeline on a real day of news, beside the naive loop (not a test; the data is not ours).

Serves a JSONL stream (feed, title, summary, link, published) as one RSS 2.0 feed per source,
each feed on its real host's own loopback address (127.0.0.N, one per host, same port) with
``--latency`` seconds of server latency per response (HTTP/1.1 keep-alive), and a local Slack
receiver. Then, in the same run:

* newswatch: ``newswatch run --once`` on embedded defaults (fresh SQLite, one Slack
  subscription to the built-in topic, alert_max_age 0 because the day is in the past);
* the naive loop people write instead: ``feedparser.parse(url)`` per feed, a keyword query,
  one Slack post per match.

Prints wall time, CPU and peak memory (ru_maxrss) of each process, and what each sent.

    .venv/bin/python bench/stream_pipeline.py ../shared/stream/2023-09-13.jsonl
    .venv/bin/python bench/stream_pipeline.py DAY.jsonl --latency 0 --profile /tmp/run.prof
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
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

NAIVE_LOOP = r'''
import json, re, sys, urllib.request
import feedparser
feeds, slack = json.loads(sys.argv[1]), sys.argv[2]
pattern = re.compile(r"(north korea|iran|china|belarus).*(russia|moscow|putin)"
                     r"|(russia|moscow|putin).*(north korea|iran|china|belarus)", re.I | re.S)
sent = 0
for url in feeds:
    for entry in feedparser.parse(url).entries:
        text = entry.get("title", "") + " " + entry.get("summary", "")
        if pattern.search(text):
            body = json.dumps({"text": entry.get("title", "") + " " + entry.get("link", "")})
            request = urllib.request.Request(slack, body.encode(), {"Content-Type": "application/json"})
            urllib.request.urlopen(request).read()
            sent += 1
print(f"naive loop: {len(feeds)} feeds, {sent} Slack posts")
'''


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


class Slack:
    """Counts posts per receiver path (/newswatch, /naive)."""

    def __init__(self) -> None:
        self.posts: dict[str, list[str]] = defaultdict(list)
        self.lock = threading.Lock()


class Polls:
    """When each feed request started and was answered (server side): the poll phase is
    first start -> last answer, and the peak in flight per host shows the politeness cap."""

    def __init__(self) -> None:
        self.spans: list[tuple[str, float, float]] = []  # (address, started, answered)
        self.lock = threading.Lock()
        self.in_flight: dict[str, int] = defaultdict(int)
        self.peak: dict[str, int] = defaultdict(int)

    def begin(self, address: str) -> float:
        with self.lock:
            self.in_flight[address] += 1
            self.peak[address] = max(self.peak[address], self.in_flight[address])
        return time.monotonic()

    def end(self, address: str, started: float) -> None:
        with self.lock:
            self.in_flight[address] -= 1
            self.spans.append((address, started, time.monotonic()))

    def take(self) -> tuple[list[tuple[str, float, float]], dict[str, int]]:
        with self.lock:
            spans, peak = self.spans, dict(self.peak)
            self.spans, self.peak = [], defaultdict(int)
        return spans, peak


def serve_host(address: str, port: int, bodies: dict[str, bytes], latency: float,
               slack: Slack | None = None, polls: Polls | None = None) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real feed servers do

        def do_GET(self) -> None:  # noqa: N802
            started = polls.begin(address) if polls else 0.0
            time.sleep(latency)
            body = bodies.get(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            if polls:
                polls.end(address, started)

        def do_POST(self) -> None:  # noqa: N802
            data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            assert slack is not None
            with slack.lock:
                slack.posts[self.path].append(data.decode("utf-8", "replace"))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return

    server = ThreadingHTTPServer((address, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@dataclass
class Measured:
    wall: float
    cpu: float
    peak_mib: float
    stdout: str
    stderr: str
    code: int
    tree_pss_mib: float = 0.0  # peak of the summed PSS of the process and its descendants


def measure(command: list[str], env: dict[str, str]) -> Measured:
    """Run ``command``; wall clock, CPU (user + sys) and peak RSS of that one child (the
    largest single process: ru_maxrss), and the peak PSS of its whole tree, sampled (a forked
    poll and parse workers share pages, so summed RSS would count those twice)."""
    started = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=err)
        done = threading.Event()
        peak = [0]
        sampler = threading.Thread(target=sample_tree_pss, args=(process.pid, done, peak),
                                   daemon=True)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.monotonic() - started
        done.set()
        sampler.join()
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Measured(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024,
                        out.read().decode(), err.read().decode(), process.returncode,
                        peak[0] / 1024)


def sample_tree_pss(root: int, done: threading.Event, peak: list[int], every: float = 0.1) -> None:
    """Every ``every`` seconds: the PSS (KiB) of ``root`` and all its descendants, summed."""
    while not done.wait(every):
        parents: dict[int, int] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    parents[int(entry.name)] = int(
                        (entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
        tree, frontier = {root}, {root}
        while frontier:
            frontier = {p for p, parent in parents.items() if parent in frontier} - tree
            tree |= frontier
        total = 0
        for pid in tree:
            try:
                for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
            except OSError:
                continue
        peak[0] = max(peak[0], total)


def host_layout(by_feed: dict[str, list[dict[str, Any]]]) -> dict[str, str]:
    """Each real host gets its own loopback address, in order of first appearance."""
    addresses: dict[str, str] = {}
    for name in sorted(by_feed):
        host = urlsplit(name).hostname or name
        if host not in addresses:
            n = len(addresses) + 2
            addresses[host] = f"127.0.{n // 250}.{n % 250 + 1}"
    return addresses


def report_polls(who: str, spans: list[tuple[str, float, float]], peak: dict[str, int],
                 feeds: int, latency: float, addresses: dict[str, str]) -> None:
    """The poll phase as the feed servers saw it: first request in -> last feed answered."""
    if not spans:
        return
    phase = max(end for _, _, end in spans) - min(start for _, start, _ in spans)
    host_of = {a: h for h, a in addresses.items()}
    busiest = max(peak, key=lambda a: sum(1 for s in spans if s[0] == a))
    crowd = sum(1 for s in spans if s[0] == busiest)
    print(f"  {who} poll phase: {len(spans)}/{feeds} feeds answered in {phase:.2f} s "
          f"(latency {latency:.2f} s); busiest host {host_of.get(busiest, busiest)}: "
          f"{crowd} feeds, at most {peak[busiest]} in flight; "
          f"max in flight on any host {max(peak.values())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stream", type=Path)
    parser.add_argument("--latency", type=float, default=0.3, help="seconds per response")
    parser.add_argument("--skip-naive", action="store_true", help="newswatch only")
    parser.add_argument("--profile", type=Path, help="cProfile newswatch's run into this file")
    parser.add_argument("--database-url", help="instead of a fresh SQLite file (PostgreSQL)")
    parser.add_argument("--show-alerts", action="store_true", help="print what Slack received")
    parser.add_argument("--log", type=Path, help="newswatch's INFO log goes to this file")
    parser.add_argument("--per-host", type=int, help="fetcher.per_host_concurrency (default: ours)")
    args = parser.parse_args()
    by_feed: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for line in args.stream.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            by_feed[item["feed"]].append(item)
    addresses = host_layout(by_feed)
    bodies: dict[str, dict[str, bytes]] = defaultdict(dict)
    urls: dict[str, str] = {}
    for i, name in enumerate(sorted(by_feed)):
        address = addresses[urlsplit(name).hostname or name]
        bodies[address][f"/{i}.xml"] = rss(by_feed[name])
        urls[name] = f"{address}/{i}.xml"
    slack = Slack()
    slack_server = serve_host("127.0.0.1", 0, {}, 0.0, slack)
    port = slack_server.server_address[1]
    polls = Polls()
    servers = [serve_host(a, port, b, args.latency, polls=polls) for a, b in bodies.items()]
    feed_urls = {name: f"http://{urls[name].replace('/', f':{port}/', 1)}" for name in urls}
    workdir = Path(tempfile.mkdtemp(prefix="nw-stream-"))
    feeds = "\n".join(f'  - {{url: "{feed_urls[n]}", name: "{n}"}}' for n in sorted(by_feed))
    config = workdir / "newswatch.yaml"
    config.write_text(
        "alert_max_age: 0\nfetcher: {allow_private_networks: true"
        + (f", per_host_concurrency: {args.per_host}" if args.per_host else "") + "}\n"
        "notifier: {slack_min_interval: 0s}\n"
        f"feeds:\n{feeds}\nsubscriptions:\n  - id: slack\n    topics: [axis]\n"
        f"    slack: {{webhook_url: 'http://127.0.0.1:{port}/newswatch'}}\n"
    )
    env = {**os.environ, "NEWSWATCH_DATA_DIR": str(workdir / "data"),
           "LOG_LEVEL": "INFO" if args.log else "WARNING"}
    env.pop("REDIS_URL", None)
    env.pop("DATABASE_URL", None)
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    profile = ["-m", "cProfile", "-o", str(args.profile)] if args.profile else []
    command = [sys.executable, *profile, "-m", "newswatch", "run", "--once", "--config", str(config)]
    entries = sum(map(len, by_feed.values()))
    print(f"{len(by_feed)} feeds on {len(addresses)} hosts, {entries} entries, "
          f"{args.latency * 1000:.0f} ms latency per response")
    ours = measure(command, env)
    if ours.code:
        print(ours.stderr[-3000:], file=sys.stderr)
        raise SystemExit(ours.code)
    print(ours.stdout.strip())
    if args.log:
        args.log.write_text(ours.stderr, encoding="utf-8")
    print(f"newswatch run --once: {ours.wall:.2f} s wall, {ours.cpu:.2f} s CPU, "
          f"peak {ours.peak_mib:.0f} MiB (largest process; whole tree {ours.tree_pss_mib:.0f} "
          f"MiB PSS), {len(slack.posts['/newswatch'])} Slack posts")
    report_polls("newswatch", *polls.take(), len(by_feed), args.latency, addresses)
    if args.show_alerts:
        for post in slack.posts["/newswatch"]:
            print("  ", json.loads(post).get("text", "")[:160].replace("\n", " | "))
    if not args.skip_naive:
        naive_feeds = json.dumps([feed_urls[n] for n in sorted(by_feed)])
        naive = measure([sys.executable, "-c", NAIVE_LOOP, naive_feeds,
                         f"http://127.0.0.1:{port}/naive"], env)
        if naive.code:
            print(naive.stderr[-3000:], file=sys.stderr)
        print(f"{naive.stdout.strip()}: {naive.wall:.2f} s wall, {naive.cpu:.2f} s CPU, "
              f"peak {naive.peak_mib:.0f} MiB, {len(slack.posts['/naive'])} Slack posts")
        report_polls("naive loop", *polls.take(), len(by_feed), args.latency, addresses)
        print(f"newswatch is {naive.wall / ours.wall:.1f}x the naive loop (wall)")
    print(f"(database kept in {workdir})")
    for server in [*servers, slack_server]:
        server.shutdown()


if __name__ == "__main__":
    main()
