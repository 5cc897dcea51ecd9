"""Store: articles (SQL over a caller-owned Connection; see shared/store/__init__.py)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Connection, Row, func, select, update

from shared.models import articles, feeds, scores
from shared.store.base import _in, _insert


@dataclass(frozen=True)
class NewArticle:
    identity: str
    content_hash: str
    title: str
    summary: str
    url: str | None = None
    guid: str | None = None
    author: str | None = None
    language: str | None = None
    published_at: datetime | None = None


ArticleChange = Literal["new", "updated", "same"]


def upsert_article(
    conn: Connection, feed_id: int, entry: NewArticle, now: datetime
) -> tuple[int, ArticleChange]:
    """Store an entry once per (feed, identity); an edited entry updates the stored row."""
    values = {
        "feed_id": feed_id, "identity": entry.identity, "guid": entry.guid, "url": entry.url,
        "title": entry.title, "summary": entry.summary, "author": entry.author,
        "language": entry.language, "published_at": entry.published_at,
        "content_hash": entry.content_hash, "first_seen_at": now,
    }
    inserted = conn.execute(
        _insert(conn, articles).values(**values)
        .on_conflict_do_nothing(index_elements=["feed_id", "identity"])
        .returning(articles.c.id)
    ).scalar()
    if inserted is not None:
        return int(inserted), "new"
    row = conn.execute(
        select(articles.c.id, articles.c.content_hash).where(
            articles.c.feed_id == feed_id, articles.c.identity == entry.identity)
    ).one()
    if row.content_hash == entry.content_hash:
        return int(row.id), "same"
    conn.execute(
        update(articles).where(articles.c.id == row.id).values(
            title=entry.title, summary=entry.summary, url=entry.url, author=entry.author,
            published_at=entry.published_at, content_hash=entry.content_hash, updated_at=now)
    )
    return int(row.id), "updated"


def upsert_articles(
    conn: Connection, feed_id: int, entries: Sequence[NewArticle], now: datetime
) -> list[tuple[int, ArticleChange]]:
    """``upsert_article`` for a whole feed in three statements instead of two per entry.

    Reads what the feed already has, inserts the missing entries (ON CONFLICT DO NOTHING, so
    a concurrent poller cannot duplicate one), updates those whose content hash changed, and
    leaves the rest alone. Returns (article id, change) for every entry.
    """
    if not entries:
        return []
    known = _known_articles(conn, feed_id, [e.identity for e in entries])
    fresh = [e for e in entries if e.identity not in known]
    if fresh:
        conn.execute(
            _insert(conn, articles).on_conflict_do_nothing(
                index_elements=["feed_id", "identity"]
            ),
            [_article_values(feed_id, e, now) for e in fresh],
        )
        inserted = _known_articles(conn, feed_id, [e.identity for e in fresh])
    else:
        inserted = {}
    out: list[tuple[int, ArticleChange]] = []
    for entry in entries:
        if entry.identity in inserted:
            out.append((inserted[entry.identity][0], "new"))
            continue
        article_id, stored_hash = known[entry.identity]
        if stored_hash == entry.content_hash:
            out.append((article_id, "same"))
            continue
        conn.execute(
            update(articles).where(articles.c.id == article_id).values(
                title=entry.title, summary=entry.summary, url=entry.url, author=entry.author,
                published_at=entry.published_at, content_hash=entry.content_hash,
                updated_at=now)
        )
        out.append((article_id, "updated"))
    return out


def _known_articles(
    conn: Connection, feed_id: int, identities: Sequence[str]
) -> dict[str, tuple[int, str]]:
    found: dict[str, tuple[int, str]] = {}
    for start in range(0, len(identities), 500):  # stay under SQLite's bound-parameter limit
        rows = conn.execute(
            select(articles.c.identity, articles.c.id, articles.c.content_hash).where(
                articles.c.feed_id == feed_id,
                articles.c.identity.in_(identities[start : start + 500]),
            )
        )
        found.update({row.identity: (int(row.id), row.content_hash) for row in rows})
    return found


def _article_values(feed_id: int, entry: NewArticle, now: datetime) -> dict[str, Any]:
    return {
        "feed_id": feed_id, "identity": entry.identity, "guid": entry.guid, "url": entry.url,
        "title": entry.title, "summary": entry.summary, "author": entry.author,
        "language": entry.language, "published_at": entry.published_at,
        "content_hash": entry.content_hash, "first_seen_at": now, "updated_at": None,
        "story_id": None,
    }


def feed_article_counts(conn: Connection, since: datetime) -> dict[int, int]:
    """Articles first seen per feed since ``since`` (the health table's items per day)."""
    rows = conn.execute(
        select(articles.c.feed_id, func.count())
        .where(articles.c.first_seen_at >= since)
        .group_by(articles.c.feed_id)
    )
    return {int(feed_id): int(count) for feed_id, count in rows}


def get_article(conn: Connection, article_id: int) -> Row[Any] | None:
    """The article with its feed's name and URL (what alerts show as the outlet)."""
    query = (
        select(articles, feeds.c.name.label("feed_name"), feeds.c.title.label("feed_title"),
               feeds.c.url.label("feed_url"))
        .join(feeds, feeds.c.id == articles.c.feed_id)
        .where(articles.c.id == article_id)
    )
    return conn.execute(query).first()


def get_articles(conn: Connection, article_ids: Sequence[int]) -> list[Row[Any]]:
    """``get_article`` for many ids in one query (a classify batch), in id order."""
    if not article_ids:
        return []
    query = (
        select(articles, feeds.c.name.label("feed_name"), feeds.c.title.label("feed_title"),
               feeds.c.url.label("feed_url"))
        .join(feeds, feeds.c.id == articles.c.feed_id)
        .where(_in(conn, articles.c.id, article_ids))
        .order_by(articles.c.id)
    )
    return list(conn.execute(query))


def recent_article_texts(conn: Connection, limit: int) -> list[Row[Any]]:
    """The newest ``limit`` stored articles' id, title, summary (a background sample)."""
    return list(conn.execute(
        select(articles.c.id, articles.c.title, articles.c.summary)
        .order_by(articles.c.id.desc()).limit(limit)
    ))


def count_articles(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(articles)).scalar_one())


def unscored_article_ids(
    conn: Connection, topic_ids: Iterable[str], *, seen_before: datetime | None = None,
    seen_after: datetime | None = None, newest_first: bool = False, limit: int = 10000,
) -> list[int]:
    """Articles whose current content lacks a score for some topic: left by a killed worker,
    or stored before a topic was added. The recovery sweep asks for recent ones, newest first,
    so a new topic does not rescore the whole history ahead of fresh articles."""
    topic_list = list(topic_ids)
    scored = (
        select(func.count()).select_from(scores)
        .where(scores.c.article_id == articles.c.id,
               scores.c.content_hash == articles.c.content_hash,
               scores.c.topic_id.in_(topic_list))
        .scalar_subquery()
    )
    query = select(articles.c.id).where(scored < len(topic_list))
    if seen_before is not None:
        query = query.where(articles.c.first_seen_at < seen_before)
    if seen_after is not None:
        query = query.where(articles.c.first_seen_at >= seen_after)
    order = articles.c.id.desc() if newest_first else articles.c.id
    query = query.order_by(order).limit(limit)
    return [int(r) for r in conn.execute(query).scalars()]
