"""All SQL of newswatch, as small functions over a SQLAlchemy ``Connection``.

Callers own the transaction (``with engine.begin() as conn``). Inserts that must happen once
use ON CONFLICT DO NOTHING, which SQLite and PostgreSQL both speak, so duplicated jobs and
restarts are harmless.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Connection, Row, and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from shared.config import FeedConfig
from shared.models import (
    articles,
    deliveries,
    delivery_attempts,
    feeds,
    scores,
    stories,
)


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _insert(conn: Connection, table: Any) -> Insert:
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


# --- feeds -------------------------------------------------------------------------------------


def sync_feeds(conn: Connection, configured: Sequence[FeedConfig], now: datetime) -> None:
    """Make the feeds table follow the config: add new feeds, re-enable, disable removed."""
    wanted = {feed.url: feed for feed in configured}
    existing = {row.url: row for row in conn.execute(select(feeds.c.url, feeds.c.enabled,
                                                            feeds.c.disabled_reason))}
    for url, feed in wanted.items():
        if url not in existing:
            conn.execute(
                _insert(conn, feeds)
                .values(url=url, fetch_url=url, name=feed.name, enabled=True, error_count=0,
                        next_poll_at=now, created_at=now)
                .on_conflict_do_nothing(index_elements=["url"])
            )
        else:
            values: dict[str, Any] = {"name": feed.name}
            row = existing[url]
            if not row.enabled and row.disabled_reason is None:
                values.update(enabled=True, next_poll_at=now)
            conn.execute(update(feeds).where(feeds.c.url == url).values(**values))
    removed = [url for url in existing if url not in wanted]
    if removed:
        conn.execute(
            update(feeds).where(feeds.c.url.in_(removed), feeds.c.disabled_reason.is_(None))
            .values(enabled=False)
        )


def due_feeds(conn: Connection, now: datetime) -> list[Row[Any]]:
    return list(conn.execute(
        select(feeds).where(
            feeds.c.enabled.is_(True),
            or_(feeds.c.next_poll_at.is_(None), feeds.c.next_poll_at <= now),
        ).order_by(feeds.c.next_poll_at)
    ))


def enabled_feeds(conn: Connection) -> list[Row[Any]]:
    return list(conn.execute(select(feeds).where(feeds.c.enabled.is_(True)).order_by(feeds.c.id)))


def all_feeds(conn: Connection) -> list[Row[Any]]:
    return list(conn.execute(select(feeds).order_by(feeds.c.id)))


def get_feed(conn: Connection, feed_id: int) -> Row[Any] | None:
    return conn.execute(select(feeds).where(feeds.c.id == feed_id)).first()


def update_feed(conn: Connection, feed_id: int, **values: Any) -> None:
    """Record a poll's outcome (validators, status, errors, schedule) on the feed."""
    conn.execute(update(feeds).where(feeds.c.id == feed_id).values(**values))


# --- articles ------------------------------------------------------------------------------------


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


def get_article(conn: Connection, article_id: int) -> Row[Any] | None:
    """The article with its feed's name and URL (what alerts show as the outlet)."""
    query = (
        select(articles, feeds.c.name.label("feed_name"), feeds.c.title.label("feed_title"),
               feeds.c.url.label("feed_url"))
        .join(feeds, feeds.c.id == articles.c.feed_id)
        .where(articles.c.id == article_id)
    )
    return conn.execute(query).first()


def count_articles(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(articles)).scalar_one())


def unscored_article_ids(
    conn: Connection, topic_ids: Iterable[str], *, seen_before: datetime | None = None,
    limit: int = 10000,
) -> list[int]:
    """Articles whose current content lacks a score for some topic: left by a killed worker."""
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
    query = query.order_by(articles.c.id).limit(limit)
    return [int(r) for r in conn.execute(query).scalars()]


# --- scores --------------------------------------------------------------------------------------


def save_score(
    conn: Connection, article_id: int, topic_id: str, score: float,
    explanation: dict[str, Any], content_hash: str, now: datetime,
) -> None:
    """One score per (article, topic); rescoring an edited article replaces it."""
    stmt = _insert(conn, scores).values(
        article_id=article_id, topic_id=topic_id, score=score, explanation=explanation,
        content_hash=content_hash, scored_at=now,
    )
    conn.execute(stmt.on_conflict_do_update(
        index_elements=["article_id", "topic_id"],
        set_={"score": score, "explanation": explanation, "content_hash": content_hash,
              "scored_at": now},
    ))


def get_score(conn: Connection, article_id: int, topic_id: str) -> Row[Any] | None:
    return conn.execute(
        select(scores).where(scores.c.article_id == article_id, scores.c.topic_id == topic_id)
    ).first()


def count_scores_at_least(conn: Connection, threshold_by_topic: dict[str, float]) -> int:
    total = 0
    for topic_id, threshold in threshold_by_topic.items():
        total += int(conn.execute(
            select(func.count()).select_from(scores)
            .where(scores.c.topic_id == topic_id, scores.c.score >= threshold)
        ).scalar_one())
    return total


# --- stories ---------------------------------------------------------------------------------------


def get_story(conn: Connection, story_id: int) -> Row[Any] | None:
    return conn.execute(select(stories).where(stories.c.id == story_id)).first()


# --- deliveries ------------------------------------------------------------------------------------


def create_delivery(
    conn: Connection, *, subscription_id: str, article_id: int, topic_id: str, score: float,
    channel: str, mode: str, status: str, now: datetime, story_id: int | None = None,
    kind: str = "alert",
) -> int | None:
    """The ledger entry for (subscription, article); None when it already existed."""
    inserted = conn.execute(
        _insert(conn, deliveries).values(
            subscription_id=subscription_id, article_id=article_id, topic_id=topic_id,
            score=score, story_id=story_id, kind=kind, channel=channel, mode=mode,
            status=status, attempts=0, created_at=now, next_attempt_at=now,
        ).on_conflict_do_nothing(index_elements=["subscription_id", "article_id"])
        .returning(deliveries.c.id)
    ).scalar()
    return None if inserted is None else int(inserted)


def get_delivery(conn: Connection, delivery_id: int) -> Row[Any] | None:
    return conn.execute(select(deliveries).where(deliveries.c.id == delivery_id)).first()


def claim_delivery(
    conn: Connection, delivery_id: int, now: datetime, lease: timedelta
) -> bool:
    """Take a delivery for sending; only one worker wins, a crashed one's lease expires."""
    result = conn.execute(
        update(deliveries)
        .where(
            deliveries.c.id == delivery_id,
            or_(
                and_(deliveries.c.status.in_(("pending", "retry")),
                     or_(deliveries.c.next_attempt_at.is_(None),
                         deliveries.c.next_attempt_at <= now)),
                and_(deliveries.c.status == "sending", deliveries.c.lease_until < now),
            ),
        )
        .values(status="sending", lease_until=now + lease, attempts=deliveries.c.attempts + 1)
    )
    return result.rowcount == 1


def finish_delivery(conn: Connection, delivery_id: int, **values: Any) -> None:
    conn.execute(update(deliveries).where(deliveries.c.id == delivery_id).values(**values))


def record_attempt(
    conn: Connection, *, delivery_id: int | None, outcome: str, now: datetime,
    status: str | None = None, detail: str | None = None, digest_id: int | None = None,
) -> None:
    conn.execute(delivery_attempts.insert().values(
        delivery_id=delivery_id, digest_id=digest_id, at=now, outcome=outcome, status=status,
        detail=detail,
    ))


def count_deliveries(conn: Connection, status: str | None = None) -> int:
    query = select(func.count()).select_from(deliveries)
    if status is not None:
        query = query.where(deliveries.c.status == status)
    return int(conn.execute(query).scalar_one())
