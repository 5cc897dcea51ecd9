"""Store: scoreboard (SQL over a caller-owned Connection; see shared/store/__init__.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, and_, func, select

from shared.models import articles, deliveries, feeds, scores


def topic_scoreboard(conn: Connection, topic_id: str) -> list[Row[Any]]:
    """Every article with its score on ``topic_id`` and whether any alert was sent, best first.

    Rows: feed (name or title or url), title, published_at, score (None when unscored),
    delivered (count of sent deliveries).
    """
    sent = (
        select(func.count()).select_from(deliveries)
        .where(deliveries.c.article_id == articles.c.id, deliveries.c.status == "sent")
        .scalar_subquery()
    )
    return list(conn.execute(
        select(
            func.coalesce(feeds.c.name, feeds.c.title, feeds.c.url).label("feed"),
            articles.c.title, articles.c.published_at, scores.c.score, sent.label("delivered"),
        )
        .select_from(articles)
        .join(feeds, feeds.c.id == articles.c.feed_id)
        .outerjoin(scores, and_(scores.c.article_id == articles.c.id, scores.c.topic_id == topic_id))
        .order_by(scores.c.score.desc().nulls_last(), articles.c.id)
    ))
