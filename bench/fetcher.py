"""Fetcher benchmark (not a test): N feeds x 100 items over real sockets, with latency.

A server subprocess serves N feeds from H loopback addresses (127.0.0.1 .. 127.0.0.H, so the
per-host limit applies as it would to H publishers), each response after ``--latency``.
We poll every feed (round 0: everything new), then a round with nothing changed (all 304),
then ``--rounds`` rounds where ``--changed`` of the feeds gained 10 new items. Then the same
feeds the way most scripts do it, ``feedparser.parse(url)`` in a loop, on a sample
(``--naive-sample``) extrapolated to N, because the full loop would take minutes.

CPU is measured with ``time.process_time`` in the poller process plus the CPU each parse
worker reports for its parses (the machine is shared, so wall time is noisy; both shown).
Peak memory is the summed VmHWM of the poller and its parse workers (not the server).

    .venv/bin/python bench/fetcher.py --feeds 2000 --latency 0.2 --changed 0.1
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NEW_PER_CHANGE = 10
EPOCH = datetime(2024, 5, 1, tzinfo=UTC)


# --- the server (runs in a subprocess) ---------------------------------------------------------


def feed_body(index: int, version: int, items: int) -> bytes:
    """A realistic RSS 2.0 document; each version adds NEW_PER_CHANGE items on top."""
    newest = version * NEW_PER_CHANGE + items
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        f"<title>Bench Outlet {index}</title><link>https://outlet{index}.example/</link>"
        "<description>Synthetic news for the fetcher benchmark.</description>"
    ]
    for n in range(newest, newest - items, -1):
        published = format_datetime(EPOCH + timedelta(minutes=37 * n))
        parts.append(
            f"<item><title>Outlet {index} story {n}: port officials report cargo delays</title>"
            f"<link>https://outlet{index}.example/news/{n}?utm_source=rss</link>"
            f'<guid isPermaLink="false">outlet{index}-{n}</guid><pubDate>{published}</pubDate>'
            f"<description>&lt;p&gt;Story {n} from outlet {index}: inspectors held a &lt;b&gt;"
            "freighter&lt;/b&gt; for a second day while insurers asked for guarantees and "
            "shipping lines rerouted three vessels.&lt;/p&gt;</description></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode()


def serve(feeds: int, hosts: int, items: int, latency: float, changed: float) -> None:
    """Prints one line per host "address port", then serves until stdin closes.

    A line "round R" on stdin advances the content: feed i changes in round R when a seeded
    random number falls under ``changed``.
    """
    versions = [0] * feeds
    cache: dict[tuple[int, int], bytes] = {}

    def body(index: int) -> bytes:
        key = (index, versions[index])
        if key not in cache:
            cache[key] = feed_body(index, versions[index], items)
        return cache[key]

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                headers = {k.lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
                index = int(path.rsplit("/", 1)[1].split(".")[0])
                await asyncio.sleep(latency)
                etag = f'"{index}-{versions[index]}"'
                if headers.get("if-none-match") == etag:
                    writer.write(f"HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\n\r\n".encode())
                else:
                    data = body(index)
                    writer.write(
                        f"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml; charset=utf-8"
                        f"\r\nContent-Length: {len(data)}\r\nETag: {etag}\r\n\r\n".encode() + data
                    )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def main() -> None:
        servers = []
        for h in range(hosts):
            server = await asyncio.start_server(handle, f"127.0.0.{h + 1}", 0, backlog=1024)
            servers.append(server)
            print(f"127.0.0.{h + 1} {server.sockets[0].getsockname()[1]}", flush=True)
        loop = asyncio.get_running_loop()
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                return
            round_no = int(line.split()[1])
            for i in range(feeds):
                if random.Random(round_no * 1_000_003 + i).random() < changed:
                    versions[i] += 1
            print("ok", flush=True)

    asyncio.run(main())


# --- measuring -----------------------------------------------------------------------------------


class CountingQueue:
    """Counts classify jobs; the bench measures the fetcher, not Redis (bench/pipeline.py does)."""

    def __init__(self) -> None:
        self.count = 0

    def enqueue(self, job: str, *args: Any, job_id: str | None = None) -> None:
        self.count += 1


class MemoryWatch:
    """Peak of (our RSS + our descendants' RSS), sampled, excluding the feed server."""

    def __init__(self, exclude: int) -> None:
        self.exclude, self.peak, self._stop = exclude, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            self.peak = max(self.peak, self._tree_rss())

    def _tree_rss(self) -> int:
        parents: dict[int, int] = {}
        rss: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                status = Path(f"/proc/{entry}/status").read_text()
            except OSError:
                continue
            fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
            parents[int(entry)] = int(fields.get("PPid", "0"))
            rss[int(entry)] = int(fields.get("VmRSS", "0 kB").split()[0]) * 1024
        mine = {os.getpid()}
        changed = True
        while changed:
            changed = False
            for pid, ppid in parents.items():
                if ppid in mine and pid not in mine and pid != self.exclude:
                    mine.add(pid)
                    changed = True
        return sum(rss.get(pid, 0) for pid in mine)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


@dataclass
class Round:
    name: str
    wall: float
    cpu_main: float
    cpu_parse: float
    polled: int
    not_modified: int
    parsed: int
    new: int
    updated: int
    failed: int

    @property
    def cpu(self) -> float:
        return self.cpu_main + self.cpu_parse


async def run_rounds(ctx: Any, names: list[str], before_round: Any) -> list[Round]:
    """All rounds through one Poller (one pool of parse workers, warm connections)."""
    from services.fetcher.poller import Poller, PollStats
    from shared import store

    with ctx.engine.connect() as conn:
        rows = store.enabled_feeds(conn)
    out = []
    async with Poller(ctx) as poller:
        for number, name in enumerate(names):
            before_round(number)
            with ctx.engine.connect() as conn:  # fresh validators and body hashes
                rows = store.enabled_feeds(conn)
            poller.stats = PollStats()
            cpu0, wall0 = time.process_time(), time.perf_counter()
            await asyncio.gather(*(poller.poll(feed) for feed in rows))
            await poller.drain()
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
            st = poller.stats
            parsed = st.feeds_polled - st.feeds_failed - st.feeds_not_modified - st.feeds_unchanged
            out.append(Round(name, wall, cpu, st.parse_cpu_seconds, st.feeds_polled,
                             st.feeds_not_modified, parsed, st.articles_new,
                             st.articles_updated, st.feeds_failed))  # fmt: skip
    return out


def naive(urls: list[str]) -> tuple[float, float]:
    """The usual script: feedparser.parse(url) in a loop; returns (wall, cpu) per feed."""
    import feedparser

    cpu0, wall0 = time.process_time(), time.perf_counter()
    for url in urls:
        result = feedparser.parse(url)
        assert len(result.entries) > 0, url
    return (time.perf_counter() - wall0) / len(urls), (time.process_time() - cpu0) / len(urls)


def parser_options(items: int) -> None:
    """What feedparser's HTML sanitising and URI resolution cost on one 100-item feed."""
    import io

    import feedparser

    from services.fetcher.parse import parse_feed

    body = feed_body(0, 0, items)
    runs = 20
    for label, kwargs in (
        ("feedparser defaults", {}),
        ("sanitize_html=False", {"sanitize_html": False}),
        ("both off", {"sanitize_html": False, "resolve_relative_uris": False}),
    ):
        started = time.process_time()
        for _ in range(runs):
            feedparser.parse(io.BytesIO(body), **kwargs)
        print(f"  {label:22s} {1000 * (time.process_time() - started) / runs:6.1f} ms CPU/feed")
    started = time.process_time()
    for _ in range(runs):
        parse_feed(body, "https://outlet0.example/rss", "application/rss+xml")
    print(f"  {'parse_feed (ours)':22s} {1000 * (time.process_time() - started) / runs:6.1f} "
          "ms CPU/feed (both off + plain text + identities)")  # fmt: skip


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    args.add_argument("--feeds", type=int, default=2000)
    args.add_argument("--items", type=int, default=100)
    args.add_argument("--latency", type=float, default=0.2)
    args.add_argument("--changed", type=float, default=0.1)
    args.add_argument("--hosts", type=int, default=50)
    args.add_argument("--rounds", type=int, default=2)
    args.add_argument("--naive-sample", type=int, default=20)
    args.add_argument("--db-url", default=None, help="default: a temporary SQLite file")
    args.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    opts = args.parse_args()
    if opts.serve:
        serve(opts.feeds, opts.hosts, opts.items, opts.latency, opts.changed)
        return

    from shared.config import AppConfig, FeedConfig, FetcherConfig
    from shared.context import AppContext
    from shared.db import make_engine, migrate
    from shared.settings import Settings

    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--feeds", str(opts.feeds), "--hosts",
         str(opts.hosts), "--items", str(opts.items), "--latency", str(opts.latency),
         "--changed", str(opts.changed)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert server.stdin and server.stdout
    to_server, from_server = server.stdin, server.stdout
    hosts = [server.stdout.readline().split() for _ in range(opts.hosts)]
    urls = [f"http://{hosts[i % opts.hosts][0]}:{hosts[i % opts.hosts][1]}/feed/{i}.xml"
            for i in range(opts.feeds)]  # fmt: skip
    watch = MemoryWatch(exclude=server.pid)
    tmp = tempfile.TemporaryDirectory()
    db_url = opts.db_url or f"sqlite:///{tmp.name}/bench.db"
    migrate(db_url)
    queue = CountingQueue()
    config = AppConfig(
        feeds=[FeedConfig(url=u) for u in urls],
        fetcher=FetcherConfig(allow_private_networks=True),
    )
    ctx = AppContext(settings=Settings(), config=config, engine=make_engine(db_url), queue=queue)
    from services.fetcher.poller import sync

    sync(ctx)
    print(f"fetcher bench: {opts.feeds} feeds x {opts.items} items, {opts.hosts} hosts, "
          f"{opts.latency * 1000:.0f} ms latency, {opts.changed:.0%} changed per round, "
          f"{os.cpu_count()} CPUs, db {db_url.split(':')[0]}")  # fmt: skip
    names = ["initial (all new)", "nothing changed"]
    names += [f"{opts.changed:.0%} changed #{r}" for r in range(1, opts.rounds + 1)]

    def before_round(number: int) -> None:
        if number >= 2:  # rounds 0 and 1 see version 0 of every feed
            to_server.write(f"round {number - 1}\n")
            to_server.flush()
            from_server.readline()

    rounds = asyncio.run(run_rounds(ctx, names, before_round))
    peak = watch.stop()

    print(f"{'round':22s} {'wall s':>7s} {'feeds/s':>8s} {'CPU s':>7s} {'304':>5s} "
          f"{'parsed':>6s} {'new':>6s} {'upd':>4s} {'fail':>4s}")  # fmt: skip
    for x in rounds:
        print(f"{x.name:22s} {x.wall:7.2f} {x.polled / x.wall:8.0f} {x.cpu:7.2f} "
              f"{x.not_modified:5d} {x.parsed:6d} {x.new:6d} {x.updated:4d} {x.failed:4d}")  # fmt: skip
    quiet = rounds[1]
    per_304 = quiet.cpu / max(quiet.not_modified, 1)
    busy = rounds[2:]
    changed_feeds = sum(x.parsed for x in busy)
    changed_cpu = sum(x.cpu - x.not_modified * per_304 for x in busy)
    hits = sum(x.not_modified for x in busy) / sum(x.polled for x in busy)
    steady = sum(x.wall for x in busy) / len(busy)
    print(f"CPU per unchanged (304) feed: {per_304 * 1000:.2f} ms")
    print(f"CPU per changed feed:         {changed_cpu / max(changed_feeds, 1) * 1000:.1f} ms "
          f"(parse alone {sum(x.cpu_parse for x in busy) / max(changed_feeds, 1) * 1000:.1f} ms)")
    print(f"conditional hits:             {hits:.1%}")
    print(f"peak memory (poller + parse workers): {peak / 2**20:.0f} MiB")
    print(f"classify jobs enqueued:       {queue.count}")

    sample = urls[: opts.naive_sample]
    naive_wall, naive_cpu = naive(sample)
    print(f"naive feedparser.parse(url) loop on {len(sample)} feeds: {naive_wall * 1000:.0f} ms "
          f"wall, {naive_cpu * 1000:.0f} ms CPU per feed -> {naive_wall * opts.feeds:.0f} s "
          f"for {opts.feeds} (extrapolated)")  # fmt: skip
    print(f"ours/theirs speed-up for a {opts.changed:.0%}-changed round: "
          f"{naive_wall * opts.feeds / steady:.0f}x")
    print("feedparser options on one feed:")
    parser_options(opts.items)
    server.stdin.close()
    server.wait(timeout=10)
    ctx.engine.dispose()
    tmp.cleanup()


if __name__ == "__main__":
    main()
