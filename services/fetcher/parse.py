"""Feed bytes -> ``ParsedFeed``: what we would store, in plain text, with identities.

Pure and picklable so the poller can run it in worker processes (feedparser is pure
Python: threads would not parse in parallel). Always given bytes (wrapped in BytesIO:
feedparser opens a *string* as a URL or a file path), never a URL.

feedparser's HTML sanitising and relative-URI resolution inside content are switched off:
we reduce every title and summary to plain text ourselves, so no markup survives to be
sanitised, and the links we keep are resolved here against the feed's URL. That is most of
feedparser's cost (see bench/fetcher.py). Entity-expansion and external entities are not a
risk: feedparser drops every DOCTYPE entity whose value is not a literal before expat sees
it, and expat does not fetch external entities (tests/fetcher/test_parse.py pins both).
"""

from __future__ import annotations

import calendar
import codecs
import io
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin

import feedparser
from selectolax.lexbor import LexborHTMLParser

from services.fetcher.identity import canonical_url, content_hash, entry_identity
from shared.exceptions import FetchError, NotAFeedError

MAX_TITLE_CHARS = 1_000
MAX_SUMMARY_CHARS = 10_000
FUTURE_SKEW = timedelta(minutes=10)  # clocks differ; beyond this a date is treated as "now"
BLOCK_BOUNDARY = re.compile(
    r"<(?:br|hr|/?p|/?div|/?li|/?h[1-6]|/?tr|/?td|/?th|/?blockquote|/?section|/?article)\b[^>]*>",
    re.IGNORECASE,
)
BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE)
NOISE_TAGS = ["script", "style", "noscript", "iframe", "object", "embed", "svg", "template"]


@dataclass(frozen=True)
class ParsedEntry:
    identity: str
    guid: str | None
    url: str | None  # canonical, http(s) only
    title: str
    summary: str
    author: str | None
    published_at: datetime | None  # aware UTC; future dates clamped to the fetch time
    content_hash: str


@dataclass(frozen=True)
class ParsedFeed:
    title: str | None
    link: str | None
    version: str
    language: str | None
    ttl_seconds: float | None  # RSS <ttl>: do not poll more often than this
    entries: list[ParsedEntry] = field(default_factory=list)
    problem: str | None = None  # feedparser's bozo reason, when it still parsed
    cpu_seconds: float = 0.0  # spent parsing, measured in the process that parsed


def parse_feed(
    body: bytes, url: str, content_type: str | None = None, now: datetime | None = None
) -> ParsedFeed:
    """Parse one fetched body; raise ``NotAFeedError`` / ``FetchError(kind="parse")``."""
    started = time.process_time()
    if not body.strip():
        raise NotAFeedError("empty body (HTTP 200 without content)")
    if body.startswith(BOMS):
        content_type = None  # a byte-order mark beats whatever charset the server claimed
    result = _feedparser(body, content_type)
    if content_type and not result.get("version") and not result.entries:
        result = _feedparser(body, None)  # a wrong HTTP charset: sniff the document itself
    problem = _problem(result)
    if not result.get("version") and not result.entries:
        if _looks_like_html(body):
            raise NotAFeedError("HTML page, not a feed (is the URL the site, not its feed?)")
        raise FetchError(f"no feed found: {problem or 'unrecognised document'}", kind="parse")
    moment = now or datetime.now(UTC)
    entries = _entries(result.entries, url, moment)
    feed = result.feed
    return ParsedFeed(
        title=plain_text(feed.get("title", ""), MAX_TITLE_CHARS) or None,
        link=_link(feed.get("link"), url),
        version=result.get("version") or "unknown",
        language=feed.get("language") or None,
        ttl_seconds=_ttl(feed.get("ttl")),
        entries=entries,
        problem=problem,
        cpu_seconds=time.process_time() - started,
    )


def _feedparser(body: bytes, content_type: str | None) -> Any:
    # No content-location: feedparser would resolve GUIDs like "t-1" against the feed URL,
    # and identities must not change when the feed moves (a 301). Links are resolved later.
    headers = {"content-type": content_type} if content_type else {}
    try:
        return feedparser.parse(
            io.BytesIO(body),
            response_headers=headers,
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    except (ValueError, LookupError, RecursionError) as exc:  # feedparser's known escapes
        raise FetchError(f"feed could not be parsed: {exc}", kind="parse") from exc


def _entries(raw: list[Any], base: str, now: datetime) -> list[ParsedEntry]:
    guids = [str(e.get("id") or "").strip() for e in raw]
    counts: dict[str, int] = {}
    for guid in guids:
        counts[guid] = counts.get(guid, 0) + 1
    out: dict[str, ParsedEntry] = {}
    for entry, guid in zip(raw, guids, strict=True):
        title = plain_text(entry.get("title", ""), MAX_TITLE_CHARS)
        summary = plain_text(_summary_html(entry), MAX_SUMMARY_CHARS)
        link = _link(entry.get("link"), base)
        if not link and guid and entry.get("guidislink"):
            link = _link(guid, base)
        if not (title or summary or link):
            continue  # nothing a reader could use
        identity = entry_identity(
            guid or None, link, title, summary, guid_unique=bool(guid) and counts[guid] == 1
        )
        if identity in out:
            continue
        out[identity] = ParsedEntry(
            identity=identity,
            guid=guid or None,
            url=link,
            title=title,
            summary=summary,
            author=plain_text(entry.get("author", ""), 200) or None,
            published_at=_published(entry, now),
            content_hash=content_hash(title, summary),
        )
    return list(out.values())


def _summary_html(entry: Any) -> str:
    summary = entry.get("summary") or ""
    if not summary:
        for content in entry.get("content") or ():
            if content.get("value"):
                return str(content["value"])
    return str(summary)


def plain_text(value: str, limit: int) -> str:
    """Markup removed, entities decoded, whitespace collapsed, capped at ``limit``."""
    if not value:
        return ""
    if "<" in value or "&" in value:
        tree = LexborHTMLParser(BLOCK_BOUNDARY.sub(" ", value))  # "</p><p>" must not glue words
        tree.strip_tags(NOISE_TAGS)
        root = tree.body or tree.root
        value = root.text(separator="") if root is not None else ""
    text = " ".join(value.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _link(value: Any, base: str) -> str | None:
    """Absolute canonical http(s) link, or None (javascript:, data:, mailto: ... dropped)."""
    if not value or not isinstance(value, str):
        return None
    return canonical_url(urljoin(base, value.strip()))


def _published(entry: Any, now: datetime) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(key)
        if parsed:
            try:
                moment = datetime.fromtimestamp(calendar.timegm(parsed), UTC)
            except (TypeError, ValueError, OverflowError):
                continue
            return now if moment > now + FUTURE_SKEW else moment
    return None


def _ttl(value: Any) -> float | None:
    try:
        minutes = float(str(value).strip())
    except ValueError:
        return None
    return minutes * 60 if minutes > 0 else None


def _problem(result: Any) -> str | None:
    if not result.get("bozo"):
        return None
    exc = result.get("bozo_exception")
    return f"{type(exc).__name__}: {exc}" if exc is not None else "malformed feed"


def _looks_like_html(body: bytes) -> bool:
    head = body[:2048].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head


def parse_in_worker(
    body: bytes, url: str, content_type: str | None, now: datetime
) -> ParsedFeed | tuple[str, str]:
    """``parse_feed`` for a worker process: errors come back as (kind, message) values,
    because exceptions with keyword arguments do not survive pickling.

    It lives here, in the module the forkserver preloads, because a task names its function
    by module: were it in the poller, each worker's first task would import the poller and
    with it httpx, SQLAlchemy and pydantic (~0.5 s of CPU per worker, as feeds arrive)."""
    try:
        return parse_feed(body, url, content_type, now)
    except FetchError as exc:
        return exc.kind, str(exc)
    except Exception as exc:  # noqa: BLE001 - hostile input must not take down the poller
        return "parse", f"parser crashed: {type(exc).__name__}: {exc}"
