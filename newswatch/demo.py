"""`newswatch demo`: one offline pass over the bundled sample feeds, exactly like `run --once`.

The samples (``newswatch/samples/*.xml``) are served by a real HTTP server on 127.0.0.1, so the
fetcher reaches them the same way it reaches a remote feed: no special path through the code.
Their dates are written around ``SAMPLE_ANCHOR`` and shifted on the fly so the anchor becomes
"now"; otherwise ``alert_max_age`` would swallow every item a few days after this file was
written. The run uses a throwaway SQLite database, so the demo never touches ``./data/`` or a
``DATABASE_URL`` from the shell.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from shared.config import load_config
from shared.settings import get_settings

log = logging.getLogger(__name__)

SAMPLE_PACKAGE = "newswatch.samples"
# Every date in the sample documents is written relative to this instant ("now" at demo time).
SAMPLE_ANCHOR = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)
# (file, display name) of the bundled feeds, in the order the demo configures them.
SAMPLE_FEEDS: tuple[tuple[str, str], ...] = (
    ("world.xml", "Meridian World Desk"),
    ("defence.xml", "Ridgeline Defence Review"),
    ("asia.xml", "Eastern Seaboard Monitor"),
    ("business.xml", "Capital Ledger"),
)
DEMO_TOPIC = "axis"
DEMO_SUBSCRIPTION = "console"
DEMO_ALERT_MAX_AGE = "48h"
# Environment the demo overrides while it runs: its own database and fetch policy, never the shell's.
ISOLATED_ENV = ("DATABASE_URL", "REDIS_URL", "NEWSWATCH_DATA_DIR", "NEWSWATCH_CONFIG",
                "NEWSWATCH_ALLOW_PRIVATE_NETWORKS")

_DATE_ELEMENT = re.compile(
    r"<(?P<tag>pubDate|lastBuildDate|published|updated|dc:date)>\s*(?P<value>[^<]+?)\s*</(?P=tag)>"
)


# --- the sample documents -------------------------------------------------------------------


def sample_document(filename: str) -> bytes:
    """The raw bytes of one bundled sample feed (read through importlib: works when installed)."""
    return resources.files(SAMPLE_PACKAGE).joinpath(filename).read_bytes()


def shift_dates(document: str, delta: timedelta) -> str:
    """Move every RSS (RFC 822) and Atom (ISO 8601) date in ``document`` by ``delta``.

    Each date keeps its own notation and UTC offset, so the served feed looks like what outlets
    publish, only fresh.
    """

    def shift(match: re.Match[str]) -> str:
        tag, value = match.group("tag"), match.group("value")
        return f"<{tag}>{_shift_one(value, delta)}</{tag}>"

    return _DATE_ELEMENT.sub(shift, document)


def _shift_one(value: str, delta: timedelta) -> str:
    if value[:4].isdigit():
        moved = datetime.fromisoformat(value) + delta
        return moved.isoformat().replace("+00:00", "Z")
    return format_datetime(parsedate_to_datetime(value) + delta)


def fresh_documents(now: datetime) -> dict[str, bytes]:
    """Path -> body of every sample, dated so that ``SAMPLE_ANCHOR`` becomes ``now``."""
    delta = timedelta(seconds=round((now - SAMPLE_ANCHOR).total_seconds()))
    return {
        f"/{filename}": shift_dates(sample_document(filename).decode("utf-8"), delta).encode("utf-8")
        for filename, _name in SAMPLE_FEEDS
    }


# --- the local feed server ------------------------------------------------------------------


def _content_type(body: bytes) -> str:
    kind = "atom" if b"<feed" in body[:400] else "rss"
    return f"application/{kind}+xml; charset=utf-8"


class SampleServer:
    """A threaded HTTP server on 127.0.0.1 (random port) serving fixed documents by path."""

    def __init__(self, documents: dict[str, bytes]) -> None:
        pages = dict(documents)

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                body = pages.get(self.path.split("?", 1)[0])
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", _content_type(body))
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                log.debug("sample server %s", format % args)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="demo-feeds", daemon=True
        )

    def __enter__(self) -> SampleServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def url(self, path: str) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}{path}"


# --- the temporary config -------------------------------------------------------------------


def demo_config(feed_urls: list[tuple[str, str]], user_config: Path | None = None) -> dict[str, Any]:
    """The config of the demo run: the sample feeds, the built-in topic, a console subscription.

    With ``user_config`` its topics, subscriptions and settings are kept (so the demo can show
    what *your* subscriptions would get) and only its feeds are replaced by the samples.
    """
    data: dict[str, Any] = {"alert_max_age": DEMO_ALERT_MAX_AGE}
    if user_config is not None:
        load_config(user_config)  # report a broken file against its own name and line
        data = yaml.safe_load(user_config.read_text(encoding="utf-8")) or {}
        _absolute_references(data, user_config.resolve().parent)
    data["feeds"] = [{"url": url, "name": name} for url, name in feed_urls]
    fetcher = dict(data.get("fetcher") or {})
    fetcher["allow_private_networks"] = True  # the samples are served from 127.0.0.1
    data["fetcher"] = fetcher
    subscriptions = list(data.get("subscriptions") or [])
    if not any("console" in sub for sub in subscriptions):
        taken = {sub.get("id") for sub in subscriptions}
        sub_id = DEMO_SUBSCRIPTION if DEMO_SUBSCRIPTION not in taken else f"demo-{DEMO_SUBSCRIPTION}"
        subscriptions.append({"id": sub_id, "topics": [DEMO_TOPIC], "console": {}})
    data["subscriptions"] = subscriptions
    return data


def _absolute_references(data: dict[str, Any], base_dir: Path) -> None:
    """The temporary config lives elsewhere: keep the user's reference globs pointing home."""
    for topic in data.get("topics") or []:
        refs = topic.get("references")
        if refs:
            topic["references"] = [r if Path(r).is_absolute() else str(base_dir / r) for r in refs]


@contextmanager
def isolated_environment(workdir: Path) -> Iterator[None]:
    """Point settings at a database in ``workdir`` for the duration, then restore everything."""
    saved = {name: os.environ.get(name) for name in ISOLATED_ENV}
    for name in ISOLATED_ENV:
        os.environ.pop(name, None)
    os.environ["NEWSWATCH_DATA_DIR"] = str(workdir / "data")
    os.environ["DATABASE_URL"] = f"sqlite:///{(workdir / 'data' / 'newswatch.db').as_posix()}"
    get_settings.cache_clear()
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        get_settings.cache_clear()


# --- the run ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoredArticle:
    feed: str
    title: str
    score: float | None
    alerted: bool
    too_old: bool  # published before now - alert_max_age: stored and scored, never alerted


@dataclass(frozen=True)
class DemoResult:
    summary_line: str
    articles: list[ScoredArticle]
    workdir: Path | None  # kept on request, else None


def run_demo(
    user_config: Path | None = None,
    *,
    keep: bool = False,
    now: datetime | None = None,
    announce: Callable[[str], None] | None = None,
) -> DemoResult:
    """Serve the samples, write the config, run one embedded pass; the console prints alerts."""
    from newswatch.embedded import run_embedded
    from newswatch.options import open_context
    from shared.context import set_context

    say = announce or (lambda line: log.info("demo %s", line))
    workdir = Path(tempfile.mkdtemp(prefix="newswatch-demo-"))
    try:
        with SampleServer(fresh_documents(now or datetime.now(UTC))) as server, \
                isolated_environment(workdir):
            feed_urls = [(server.url(f"/{filename}"), name) for filename, name in SAMPLE_FEEDS]
            config_path = workdir / "newswatch-demo.yaml"
            config_path.write_text(_config_text(demo_config(feed_urls, user_config)), encoding="utf-8")
            say(f"serving {len(feed_urls)} sample feeds at {server.url('/')} "
                f"(config {config_path}); one pass, alerts follow")
            ctx = open_context(config_path, migrate_first=True, embedded=True)
            try:
                summary = run_embedded(ctx, once=True, stop=threading.Event())
                articles = _scoreboard(ctx.engine, ctx.config.alert_max_age)
            finally:
                set_context(None)
                ctx.engine.dispose()
        return DemoResult(summary.render(), articles, workdir if keep else None)
    finally:
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)


def _config_text(data: dict[str, Any]) -> str:
    header = "# Written by `newswatch demo` for one offline pass over the bundled sample feeds.\n"
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def _scoreboard(engine: Any, max_age: timedelta) -> list[ScoredArticle]:
    from shared import store

    cutoff = store.utcnow() - max_age if max_age else None
    with engine.connect() as conn:
        rows = store.topic_scoreboard(conn, DEMO_TOPIC)
    return [
        ScoredArticle(
            feed=row.feed, title=row.title, score=row.score, alerted=bool(row.delivered),
            too_old=_older(store.as_utc(row.published_at), cutoff),
        )
        for row in rows
    ]


def _older(published: datetime | None, cutoff: datetime | None) -> bool:
    return published is not None and cutoff is not None and published < cutoff


def render_scoreboard(articles: list[ScoredArticle]) -> str:
    """One line per stored article, best first: what was alerted and how close the rest came.

    "old" marks an item published before ``alert_max_age``: scored, but never alerted.
    """
    lines = [f"{'score':>5}  {'':5}  article"]
    for item in articles:
        score = "  -  " if item.score is None else f"{item.score:5.2f}"
        mark = "ALERT" if item.alerted else ("old" if item.too_old else "")
        lines.append(f"{score}  {mark:5}  {item.title} ({item.feed})")
    return "\n".join(lines)
