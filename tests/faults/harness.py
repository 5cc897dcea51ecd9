"""The fault suite's machinery: a newsroom whose feeds grow in waves, a Slack receiver and an
SMTP server that count what arrived, the three services as real `newswatch` processes under
a supervisor that restarts dead ones (compose's `restart: unless-stopped`), and the tally.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import yaml
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.servers import FeedServer, Page

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "faults" / "corpus.yaml"
RESTART_DELAY = 1.0  # seconds the supervisor waits before restarting a dead service


# --- the news ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    feed: str
    wave: float  # seconds after the clock starts that the item appears in its feed
    alert: bool
    title: str
    summary: str
    index: int

    @property
    def url(self) -> str:
        slug = "-".join(w.strip(",.'") for w in self.title.lower().split()[:6])
        return f"https://{self.feed}.example.org/news/{self.index}-{slug}"


def load_corpus() -> tuple[list[str], list[Item]]:
    data = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
    items = [Item(index=i, **raw) for i, raw in enumerate(data["items"])]
    return list(data["feeds"]), items


class Newsroom:
    """Feeds that publish their items wave by wave once ``start_clock`` is called."""

    def __init__(self, feeds: list[str], items: list[Item]) -> None:
        self.feeds = feeds
        self.items = items
        self.t0: float | None = None
        self.server = FeedServer()
        for feed in feeds:
            self.server.pages[f"/{feed}.xml"] = self._page(feed)
        self.server.start()

    def url(self, feed: str) -> str:
        return self.server.url(f"/{feed}.xml")

    def start_clock(self) -> float:
        self.t0 = time.monotonic()
        return self.t0

    def visible_at(self, item: Item) -> float:
        assert self.t0 is not None
        return self.t0 + item.wave

    def _page(self, feed: str) -> Callable[[dict[str, str]], Page]:
        def page(_headers: dict[str, str]) -> Page:
            now = time.monotonic()
            shown = [i for i in self.items if i.feed == feed and self.t0 is not None
                     and now >= self.t0 + i.wave]
            return Page(_rss(feed, shown))

        return page

    def stop(self) -> None:
        self.server.stop()


def _rss(feed: str, items: list[Item]) -> bytes:
    now = datetime.now(UTC)
    body = "".join(
        f"<item><title>{escape(i.title)}</title><link>{escape(i.url)}</link>"
        f'<guid isPermaLink="false">{feed}-{i.index}</guid>'
        f"<pubDate>{format_datetime(now - timedelta(minutes=5))}</pubDate>"
        f"<description>{escape(i.summary)}</description></item>"
        for i in reversed(items)
    )
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>{feed.title()} News</title><link>https://{feed}.example.org/</link>"
            f"<description>{feed} news</description>{body}</channel></rss>").encode()


# --- receivers --------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int = 200
    body: str = "ok"
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False  # accept the message, never answer (the sender is killed meanwhile)


@dataclass
class Receipt:
    at: float
    body: str
    key: str | None


class SlackSink:
    """A Slack incoming-webhook stand-in. ``decide(n)`` picks the reply to the n-th request;
    an accepted message counts as received even when the answer never left (``hang``)."""

    def __init__(self) -> None:
        self.decide: Callable[[int], Reply] = lambda _n: Reply()
        self.received: list[Receipt] = []
        self.requests = 0
        self.hanging = threading.Event()
        self.release = threading.Event()
        self.lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with sink.lock:
                    sink.requests += 1
                    reply = sink.decide(sink.requests)
                    if 200 <= reply.status < 300:
                        sink.received.append(Receipt(time.monotonic(), body.decode(),
                                                     self.headers.get("Idempotency-Key")))
                if reply.hang:
                    sink.hanging.set()
                    sink.release.wait(timeout=30)
                    self.close_connection = True
                    return
                payload = reply.body.encode()
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/services/T000/B000/FAULTS"

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


class MailSink:
    """aiosmtpd handler: answers ``451`` to the first ``fail_first`` messages, keeps the rest."""

    def __init__(self) -> None:
        self.fail_first = 0
        self.attempts = 0
        self.failed_until: float | None = None
        self.received: list[Receipt] = []

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        self.attempts += 1
        if self.attempts <= self.fail_first:
            self.failed_until = time.monotonic()
            return "451 4.3.0 Mailbox temporarily unavailable, try again later"
        message = message_from_bytes(envelope.original_content or b"", policy=policy.default)
        parts = [part.get_content() for part in message.walk()  # type: ignore[attr-defined]
                 if part.get_content_maintype() == "text"]
        self.received.append(Receipt(time.monotonic(), "\n".join(parts),
                                     str(message.get("Message-ID"))))
        return "250 2.0.0 queued"


class Mailer:
    def __init__(self) -> None:
        from tests.faults.servers import free_port

        self.handler = MailSink()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()


# --- the services -----------------------------------------------------------------------------


class Service:
    """One `newswatch <command>` process, its output appended to a log file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.args = args
        self.env = env
        self.log_path = log_dir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        self.wanted = False

    def start(self) -> None:
        self.wanted = True
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child
        self.process = subprocess.Popen([sys.executable, "-m", "newswatch", *self.args],
                                        env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill9(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self, timeout: float = 20.0) -> float:
        """SIGTERM and wait; returns the seconds it took (killed after ``timeout``)."""
        self.wanted = False
        if not self.alive():
            return 0.0
        assert self.process is not None
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        return time.monotonic() - started


class Supervisor:
    """Restarts every wanted service that died, after ``RESTART_DELAY``."""

    def __init__(self, services: list[Service]) -> None:
        self.services = services
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="supervisor", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stopping.wait(0.2):
            for service in self.services:
                if service.wanted and not service.alive():
                    time.sleep(RESTART_DELAY)
                    if service.wanted and not self.stopping.is_set():
                        service.restarts += 1
                        service.start()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=5)


def write_config(path: Path, newsroom: Newsroom) -> Path:
    feeds = "\n".join(f"  - {{url: {newsroom.url(f)}, name: {f.title()} News, interval: 2s}}"
                      for f in newsroom.feeds)
    path.write_text(f"""
feeds:
{feeds}
fetcher:
  allow_private_networks: true
  parse_processes: 0
  sync_every: 5s
subscriptions:
  - id: desk
    topics: [axis]
    slack: {{webhook_url: "${{SLACK_WEBHOOK_URL}}"}}
  - id: analyst
    topics: [axis]
    email: {{to: [analyst@example.org]}}
""", encoding="utf-8")
    return path


# --- the tally --------------------------------------------------------------------------------


@dataclass
class ChannelCount:
    good: int
    lost: int
    dup: int
    extra: int  # messages about items that should not alert
    latency: float | None  # worst seconds from (fault end or item published) to first arrival


def tally(receipts: list[Receipt], items: list[Item], ready_at: Callable[[Item], float]) -> ChannelCount:
    """Match messages to items by article URL; a second message about one item is a dup."""
    expected = [i for i in items if i.alert]
    firsts: dict[int, float] = {}
    dup = extra = 0
    for receipt in receipts:
        text = _text(receipt.body)
        hits = [i for i in items if i.url in text]
        if not hits:
            continue
        item = hits[0]
        if not item.alert:
            extra += 1
        elif item.index in firsts:
            dup += 1
        else:
            firsts[item.index] = receipt.at
    latencies = [firsts[i.index] - ready_at(i) for i in expected if i.index in firsts]
    return ChannelCount(good=len(firsts), lost=len(expected) - len(firsts), dup=dup, extra=extra,
                        latency=max(latencies) if latencies else None)


def _text(body: str) -> str:
    """Slack bodies are JSON (URLs may be escaped); mail is MIME text."""
    try:
        return json.dumps(json.loads(body), ensure_ascii=False).replace("\\/", "/")
    except ValueError:
        return body


def service_env(db_url: str, redis_url: str, slack: SlackSink, mailer: Mailer) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DATABASE_", "REDIS_", "SMTP_", "NEWSWATCH_"))}
    env.update({
        "DATABASE_URL": db_url, "REDIS_URL": redis_url, "SLACK_WEBHOOK_URL": slack.url,
        "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(mailer.port), "SMTP_TLS": "none",
        "SMTP_FROM": "newswatch@example.org", "LOG_LEVEL": "INFO",
    })
    return env
