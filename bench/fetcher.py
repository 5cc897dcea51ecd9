"""Fetcher benchmark (not a test): N feeds x 100 items over real sockets, with latency.

A server subprocess serves N feeds from H loopback addresses (127.0.0.1 .. 127.0.0.H, so the
per-host limit applies as it would to H publishers), each response after ``--latency``.

First, round 0 (every article new) is processed the way a deployment processes it, until
the last article is stored, scored, in a story and routed (``--process``): ``rq`` runs
``newswatch fetcher --once`` beside ``--workers`` warm ``newswatch classifier`` RQ workers on
a fresh PostgreSQL database and a Redis of our own; ``embedded`` runs ``newswatch run --once``.
Times are read from the database (``max(first_seen_at)``, ``max(scored_at)``); CPU per
process tree from /proc, which is what to trust on a shared machine: it gives the bound the
round has on idle CPUs. ``--texts`` serves real titles and summaries (JSONL weeks) instead of
one template, so scoring and story grouping cost what they cost on news.

Then the fetcher alone, in process: we poll every feed (round 0: everything new), then a
round with nothing changed (all 304), then ``--rounds`` rounds where ``--changed`` of the
feeds gained 10 new items. Then the same feeds the way most scripts do it,
``feedparser.parse(url)`` in a loop, on a sample (``--naive-sample``) extrapolated to N,
because the full loop would take minutes.

CPU is measured with ``time.process_time`` in the poller process plus the CPU each parse
worker reports for its parses (the machine is shared, so wall time is noisy; both shown).
Peak memory is the sampled sum of RSS of our process tree (not the feed server, not Redis/PostgreSQL).

    .venv/bin/python bench/fetcher.py --feeds 2000 --latency 0.2 --changed 0.1
    .venv/bin/python bench/fetcher.py --no-rounds --texts ../shared/weeks/*.jsonl
    .venv/bin/python bench/fetcher.py --process embedded --no-rounds --feeds 200
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
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
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NEW_PER_CHANGE = 10
# Recent enough that a whole first round (100 items, 37 min apart) sits in the 72-hour story
# window, as a live feed set's would; whole hours, so the server and we agree on it.
EPOCH = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=64)
PG_ADMIN = os.environ.get("TEST_POSTGRES_URL",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


# --- the server (runs in a subprocess) ---------------------------------------------------------


def load_texts(paths: list[Path]) -> list[tuple[str, str]]:
    """(title, summary) pairs from JSONL streams/weeks (``--texts``), escaped for RSS."""
    out = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").split("\n"):
            if line.strip():
                item = json.loads(line)
                out.append((escape(item.get("title") or ""), escape(item.get("summary") or "")))
    return out


def feed_body(index: int, version: int, items: int,
              texts: list[tuple[str, str]] | None = None) -> bytes:
    """A realistic RSS 2.0 document; each version adds NEW_PER_CHANGE items on top.

    Without ``texts`` every item is the same template (cheap to classify, all one story);
    with them item n of feed i carries text (i * items + n), so a 200,000-item round over
    ~40,000 real texts repeats each about five times, as syndicated copies do."""
    newest = version * NEW_PER_CHANGE + items
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        f"<title>Bench Outlet {index}</title><link>https://outlet{index}.example/</link>"
        "<description>Synthetic news for the fetcher benchmark.</description>"
    ]
    for n in range(newest, newest - items, -1):
        published = format_datetime(EPOCH + timedelta(minutes=37 * n))
        if texts:
            title, summary = texts[(index * items + n) % len(texts)]
            parts.append(
                f"<item><title>{title}</title>"
                f"<link>https://outlet{index}.example/news/{n}?utm_source=rss</link>"
                f'<guid isPermaLink="false">outlet{index}-{n}</guid><pubDate>{published}</pubDate>'
                f"<description>{summary}</description></item>"
            )
            continue
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


def serve(feeds: int, hosts: int, items: int, latency: float, changed: float,
          texts: list[tuple[str, str]] | None = None) -> None:
    """Prints one line per host "address port", then serves until stdin closes.

    A line "round R" on stdin advances the content: feed i changes in round R when a seeded
    random number falls under ``changed``.
    """
    versions = [0] * feeds
    cache: dict[tuple[int, int], bytes] = {}

    def body(index: int) -> bytes:
        key = (index, versions[index])
        if key not in cache:
            cache[key] = feed_body(index, versions[index], items, texts)
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


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def proc_cpu(pid: int) -> float | None:
    """utime + stime of one live process, in seconds (None once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


class MemoryWatch:
    """Peak of (our RSS + our descendants' RSS), sampled, excluding the feed server (and our
    private Redis: a server like PostgreSQL, whose backends are not our descendants).

    It also keeps the last CPU time seen of every descendant, so the CPU of a process tree
    (the fetcher's forkserver and parse workers, which nobody we can wait4 reaps) is known
    to within one sampling interval."""

    def __init__(self, exclude: int, interval: float = 0.1) -> None:
        self.exclude, self.peak, self._stop = {exclude}, 0, threading.Event()
        self.interval = interval
        self.cpu: dict[int, float] = {}
        self.rss: dict[int, int] = {}  # peak RSS per descendant
        self.parent: dict[int, int] = {}
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
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
                if ppid in mine and pid not in mine and pid not in self.exclude:
                    mine.add(pid)
                    changed = True
        for pid in mine - {os.getpid()}:
            cpu = proc_cpu(pid)
            if cpu is not None:
                self.cpu[pid], self.parent[pid] = cpu, parents[pid]
                self.rss[pid] = max(self.rss.get(pid, 0), rss.get(pid, 0))
        return sum(rss.get(pid, 0) for pid in mine)

    def _under(self, pid: int, root: int) -> bool:
        while pid in self.parent:
            if pid == root:
                return True
            pid = self.parent[pid]
        return pid == root

    def tree_cpu(self, root: int) -> float:
        """CPU seconds of ``root`` and every descendant seen (last samples)."""
        return sum(cpu for pid, cpu in self.cpu.items() if self._under(pid, root))

    def tree_rss(self, root: int) -> int:
        """Sum of the peak RSS of ``root`` and each descendant (an upper bound of its peak)."""
        return sum(rss for pid, rss in self.rss.items() if self._under(pid, root))

    def take(self) -> int:
        """The peak so far, and start over (the next phase is measured on its own)."""
        peak, self.peak = self.peak, 0
        return peak

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


# --- the first round, fully processed, the way a deployment runs it ---------------------------


class Receiver:
    """A local webhook receiver answering 200, so routed alerts have somewhere to go."""

    def __init__(self) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.posts = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.posts += 1
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def private_redis(watch: MemoryWatch) -> tuple[subprocess.Popen[bytes], str]:
    """A redis-server of our own (no persistence): the bench's jobs meet nobody else's."""
    import socket

    from redis import Redis
    from redis.exceptions import RedisError

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                                "--save", "", "--appendonly", "no"],
                               stdout=subprocess.DEVNULL)  # fmt: skip
    watch.exclude.add(process.pid)
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(100):
        try:
            Redis.from_url(url).ping()
            return process, url
        except RedisError:
            time.sleep(0.05)
    raise SystemExit("redis-server did not start")


def as_epoch(value: Any) -> float:
    if value is None:
        return float("nan")
    if isinstance(value, str):  # SQLite through a plain text() query
        value = datetime.fromisoformat(value)
    moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    return float(moment.timestamp())


def database_figures(engine: Any) -> dict[str, Any]:
    from sqlalchemy import text

    queries = {
        "stored": "SELECT count(*) FROM articles",
        "last_stored": "SELECT max(first_seen_at) FROM articles",
        "scored": "SELECT count(DISTINCT article_id) FROM scores",
        "last_scored": "SELECT max(scored_at) FROM scores",
        "members": "SELECT count(*) FROM story_members",
        "stories": "SELECT count(*) FROM stories",
        "deliveries": "SELECT count(*) FROM deliveries",
    }
    with engine.connect() as conn:
        return {name: conn.execute(text(sql)).scalar() for name, sql in queries.items()}


def first_round(opts: argparse.Namespace, urls: list[str], watch: MemoryWatch) -> None:
    """Round 0 (every article new) until the last article is scored, stories assigned and
    deliveries written, by real processes on the real backends:

    * ``rq``: ``newswatch fetcher --once`` plus ``--workers`` ``newswatch classifier`` RQ
      workers (started and warm before the round, as in a deployment), PostgreSQL (a fresh
      database) and a Redis of our own;
    * ``embedded``: ``newswatch run --once`` (SQLite, in-process queue, scoring overlaps the
      poll), as on a laptop.

    Times come from the database (``max(first_seen_at)``, ``max(scored_at)``) minus the
    moment the fetcher process was started; CPU per process tree from /proc, sampled."""
    from redis import Redis
    from rq import Worker
    from sqlalchemy import create_engine, text

    receiver = Receiver()
    workdir = Path(tempfile.mkdtemp(prefix="nw-fetchbench-"))
    config = workdir / "newswatch.yaml"
    feeds = "\n".join(f"  - url: {u}" for u in urls)
    config.write_text(
        "fetcher: {allow_private_networks: true}\nnotifier: {slack_min_interval: 0s}\n"
        f"feeds:\n{feeds}\nsubscriptions:\n  - id: desk\n    topics: [axis]\n"
        f"    slack: {{webhook_url: '{receiver.url}'}}\n"
    )
    cli = [sys.executable, "-m", "newswatch"]
    env = {**os.environ, "LOG_LEVEL": "WARNING", "NEWSWATCH_DATA_DIR": str(workdir / "data")}
    for name in ("DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
    redis_process, workers, admin, db_name = None, [], None, ""
    process: subprocess.Popen[bytes] | None = None
    try:
        if opts.process == "rq":
            redis_process, env["REDIS_URL"] = private_redis(watch)
            db_name = f"newswatch_fetchbench_{os.getpid()}"
            admin = create_engine(opts.pg_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{db_name}"'))
            env["DATABASE_URL"] = opts.pg_url.rsplit("/", 1)[0] + "/" + db_name
            subprocess.run([*cli, "migrate", "--config", str(config)], env=env, check=True)
            workers = [subprocess.Popen([*cli, "classifier", "--config", str(config)], env=env)
                       for _ in range(opts.workers)]
            redis = Redis.from_url(env["REDIS_URL"])
            while Worker.count(connection=redis) < opts.workers:
                time.sleep(0.1)
            command = [*cli, "fetcher", "--once", "--config", str(config)]
            label = (f"rq: newswatch fetcher --once + {opts.workers} newswatch classifier "
                     "workers, PostgreSQL, Redis")
        else:
            command = [*cli, "run", "--once", "--config", str(config), "--drain-timeout", "10s"]
            label = "embedded: newswatch run --once, SQLite, in-process queue"
        db_url = env.get("DATABASE_URL") or f"sqlite:///{workdir / 'data' / 'newswatch.db'}"
        watch.take()
        started = time.time()
        process = subprocess.Popen(command, env=env)
        engine = create_engine(db_url) if opts.process == "rq" else None
        pg_cpu: dict[int, float] = {}
        code, exited, figures = None, float("nan"), {"stored": 0, "scored": 0}
        shown = started
        while time.time() - started < opts.timeout:
            time.sleep(2.0)
            if code is None:
                pid, status, _ = os.wait4(process.pid, os.WNOHANG)
                if pid:
                    code, exited = os.waitstatus_to_exitcode(status), time.time() - started
            if engine is not None:  # PostgreSQL: watch progress, sample its backends' CPU
                figures = database_figures(engine)
                with engine.connect() as conn:  # the services' backends, not this one's
                    pids = conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = "
                                             ":d AND pid <> pg_backend_pid()"),
                                        {"d": db_name}).scalars().all()
                for pid in pids:
                    cpu = proc_cpu(pid)
                    if cpu is not None:
                        pg_cpu[pid] = cpu
                if time.time() - shown >= 10:
                    shown = time.time()
                    print(f"  {shown - started:6.0f} s: {figures['stored']} stored, "
                          f"{figures['scored']} scored", file=sys.stderr, flush=True)
                if code is not None and figures["scored"] >= figures["stored"]:
                    break
            elif code is not None:
                break
        peak = watch.take()
        classify_cpu = sum(proc_cpu(w.pid) or 0.0 for w in workers)
        redis_cpu = proc_cpu(redis_process.pid) or 0.0 if redis_process else 0.0
        fetch_cpu = watch.tree_cpu(process.pid)
        fetch_rss = watch.tree_rss(process.pid)
        classify_rss = [watch.tree_rss(w.pid) for w in workers]
        if engine is None:
            engine = create_engine(db_url)
        figures = database_figures(engine)
        engine.dispose()
    finally:
        if process is not None and process.poll() is None:  # timed out or interrupted
            process.send_signal(signal.SIGINT)  # --once shuts its parse workers down on it
            process.wait(timeout=60)
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=60)
        if redis_process is not None:
            redis_process.terminate()
            redis_process.wait(timeout=10)
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
            admin.dispose()
        receiver.server.shutdown()
    expected = len(urls) * opts.items
    stored, scored = figures["stored"], figures["scored"]
    last_stored = as_epoch(figures["last_stored"]) - started
    last_scored = as_epoch(figures["last_scored"]) - started
    done = scored >= stored == expected
    print(f"first round fully processed ({label}):")
    print(f"  {stored}/{expected} stored, {scored} scored"
          f"{'' if done else ' (NOT all: timed out or failed)'}, {figures['members']} story "
          f"members in {figures['stories']} stories, {figures['deliveries']} deliveries, "
          f"{receiver.posts} webhook posts; process exit code {code}")
    print(f"  last article stored at {last_stored:.1f} s, last scored at {last_scored:.1f} s "
          f"({'fetcher' if opts.process == 'rq' else 'run --once'} exited at {exited:.1f} s); "
          f"load average {os.getloadavg()[0]:.1f} (wall clock is only worth as much as the "
          "machine was ours)")
    print(f"  {scored / last_scored:.0f} articles/s fully processed; "
          f"{stored / last_stored:.0f} articles/s stored")
    print(f"  peak memory {peak / 2**20:.0f} MiB (fetcher + parse workers"
          f"{' + classifiers' if workers else ''}; Redis/PostgreSQL servers not included): "
          f"{'fetcher' if workers else 'run --once'} tree <= {fetch_rss / 2**20:.0f} MiB"
          + "".join(f", classifier <= {r / 2**20:.0f} MiB" for r in classify_rss))
    pg_total = sum(pg_cpu.values())
    if workers:  # CPU split by stage: what bounds the round on this machine
        fetch_per = fetch_cpu / max(stored, 1)
        # PostgreSQL's backends serve the fetcher's inserts too; counted on the classify side
        classify_per = (classify_cpu + pg_total + redis_cpu) / max(scored, 1)
        bound = expected * (fetch_per + classify_per) / (os.cpu_count() or 1)
        print(f"  CPU: fetcher tree {fetch_cpu:.1f} s = {1000 * fetch_per:.2f} ms per stored "
              f"article; classifiers {classify_cpu:.1f} s + PostgreSQL backends (both) {pg_total:.1f} s "
              f"+ Redis {redis_cpu:.1f} s = {1000 * classify_per:.2f} ms per scored article")
        print(f"  => {expected} articles need >= {bound:.0f} s on {os.cpu_count()} idle CPUs "
              f"({100 * classify_per / (fetch_per + classify_per):.0f}% of it classifying)")
    else:
        print(f"  CPU: run --once tree {fetch_cpu:.1f} s = "
              f"{1000 * fetch_cpu / max(scored, 1):.2f} ms per article (one process: the "
              f"fetcher thread and the classifying thread share one GIL, parse in workers)")
    shutil.rmtree(workdir, ignore_errors=True)


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
    args.add_argument("--process", choices=("rq", "embedded", "none"), default="rq",
                      help="first, round 0 fully processed (stored, scored, stories, routed) "
                           "by real processes: rq = fetcher + classifier workers on PostgreSQL "
                           "and Redis, embedded = `newswatch run --once`; none = skip")
    args.add_argument("--workers", type=int, default=2, help="classifier workers (rq)")
    args.add_argument("--pg-url", default=PG_ADMIN, help="PostgreSQL to create the bench db on")
    args.add_argument("--texts", type=Path, nargs="*", default=[],
                      help="JSONL files with title/summary to serve instead of one template")
    args.add_argument("--timeout", type=float, default=1800, help="seconds for the first round")
    args.add_argument("--no-rounds", action="store_true",
                      help="only the processed first round (no fetch-only rounds, no naive loop)")
    args.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    opts = args.parse_args()
    if opts.serve:
        serve(opts.feeds, opts.hosts, opts.items, opts.latency, opts.changed,
              load_texts(opts.texts))
        return

    from shared.config import AppConfig, FeedConfig, FetcherConfig
    from shared.context import AppContext
    from shared.db import make_engine, migrate
    from shared.settings import Settings

    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--feeds", str(opts.feeds), "--hosts",
         str(opts.hosts), "--items", str(opts.items), "--latency", str(opts.latency),
         "--changed", str(opts.changed), "--texts", *map(str, opts.texts)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert server.stdin and server.stdout
    to_server, from_server = server.stdin, server.stdout
    hosts = [server.stdout.readline().split() for _ in range(opts.hosts)]
    urls = [f"http://{hosts[i % opts.hosts][0]}:{hosts[i % opts.hosts][1]}/feed/{i}.xml"
            for i in range(opts.feeds)]  # fmt: skip
    print(f"fetcher bench: {opts.feeds} feeds x {opts.items} items, {opts.hosts} hosts, "
          f"{opts.latency * 1000:.0f} ms latency, {opts.changed:.0%} changed per round, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}, texts: "
          f"{', '.join(p.name for p in opts.texts) or 'one template'}")  # fmt: skip
    watch = MemoryWatch(exclude=server.pid, interval=0.5)
    if opts.process != "none":
        first_round(opts, urls, watch)
        print(f"(load average now {os.getloadavg()[0]:.1f})")
    if opts.no_rounds:
        watch.stop()
        server.stdin.close()
        server.wait(timeout=10)
        return
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
    print(f"fetch-only rounds (in-process Poller, classify jobs counted, not run), "
          f"db {db_url.split(':')[0]}:")
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
