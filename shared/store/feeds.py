"""Store: feeds (SQL over a caller-owned Connection; see shared/store/__init__.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, or_, select, update

from shared.config import FeedConfig
from shared.models import feeds
from shared.store.base import _insert, as_utc


def sync_feeds(conn: Connection, configured: Sequence[FeedConfig], now: datetime) -> int:
    """Make the feeds table follow the config; returns how many rows changed.

    New feeds are added due now; a feed whose interval or private-network permission was
    edited is made due now (so the edit shows within one poller sync); removed feeds are
    disabled (kept with their articles); a feed disabled by ``410 Gone`` stays disabled.
    """
    wanted = {feed.url: feed for feed in configured}
    existing = {
        row.url: row
        for row in conn.execute(
            select(feeds.c.url, feeds.c.name, feeds.c.enabled, feeds.c.disabled_reason,
                   feeds.c.poll_interval, feeds.c.allow_private)
        )
    }
    changed = 0
    for url, feed in wanted.items():
        interval = feed.interval.total_seconds() if feed.interval else None
        row = existing.get(url)
        if row is None:
            conn.execute(
                _insert(conn, feeds)
                .values(url=url, fetch_url=url, name=feed.name, enabled=True, error_count=0,
                        poll_interval=interval, allow_private=feed.allow_private,
                        next_poll_at=now, created_at=now)
                .on_conflict_do_nothing(index_elements=["url"])
            )
            changed += 1
            continue
        values: dict[str, Any] = {}
        if row.name != feed.name:
            values["name"] = feed.name
        if row.poll_interval != interval or bool(row.allow_private) != feed.allow_private:
            values.update(poll_interval=interval, allow_private=feed.allow_private,
                          next_poll_at=now)
        if not row.enabled and row.disabled_reason is None:
            values.update(enabled=True, next_poll_at=now)
        if values:
            conn.execute(update(feeds).where(feeds.c.url == url).values(**values))
            changed += 1
    removed = [url for url, row in existing.items() if url not in wanted and row.enabled]
    if removed:
        conn.execute(update(feeds).where(feeds.c.url.in_(removed)).values(enabled=False))
        changed += len(removed)
    return changed


def next_due_at(conn: Connection) -> datetime | None:
    """When the earliest enabled feed is due: how long the poller may sleep."""
    value = conn.execute(
        select(func.min(feeds.c.next_poll_at)).where(feeds.c.enabled.is_(True))
    ).scalar()
    return as_utc(value)


def due_feeds(conn: Connection, now: datetime, limit: int | None = None) -> list[Row[Any]]:
    """Enabled feeds whose time has come, most overdue first."""
    query = (
        select(feeds)
        .where(
            feeds.c.enabled.is_(True),
            or_(feeds.c.next_poll_at.is_(None), feeds.c.next_poll_at <= now),
        )
        .order_by(feeds.c.next_poll_at)
    )
    return list(conn.execute(query if limit is None else query.limit(limit)))


def enabled_feeds(conn: Connection) -> list[Row[Any]]:
    return list(conn.execute(select(feeds).where(feeds.c.enabled.is_(True)).order_by(feeds.c.id)))


def all_feeds(conn: Connection) -> list[Row[Any]]:
    return list(conn.execute(select(feeds).order_by(feeds.c.id)))


def get_feed(conn: Connection, feed_id: int) -> Row[Any] | None:
    return conn.execute(select(feeds).where(feeds.c.id == feed_id)).first()


def update_feed(conn: Connection, feed_id: int, **values: Any) -> None:
    """Record a poll's outcome (validators, status, errors, schedule) on the feed."""
    conn.execute(update(feeds).where(feeds.c.id == feed_id).values(**values))
