"""Store: feedback (SQL over a caller-owned Connection; see shared/store/__init__.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, func, select

from shared.models import articles, feedback, scores
from shared.store.base import _insert, as_utc

FEEDBACK_LABELS = ("relevant", "not-relevant")
FEEDBACK_SOURCES = ("cli", "link", "web")


def save_feedback(
    conn: Connection, article_id: int, topic_id: str, label: str, source: str, now: datetime,
) -> None:
    """One label per (article, topic); a later verdict replaces the earlier one."""
    if label not in FEEDBACK_LABELS:
        raise ValueError(f"feedback label must be one of {FEEDBACK_LABELS}, got {label!r}")
    if source not in FEEDBACK_SOURCES:
        raise ValueError(f"feedback source must be one of {FEEDBACK_SOURCES}, got {source!r}")
    stmt = _insert(conn, feedback).values(
        article_id=article_id, topic_id=topic_id, label=label, source=source, created_at=now,
    )
    conn.execute(stmt.on_conflict_do_update(
        index_elements=["article_id", "topic_id"],
        set_={"label": label, "source": source, "created_at": now},
    ))


def feedback_watermark(conn: Connection) -> tuple[int, int, str]:
    """(labels, highest id, latest created_at): changes whenever a label is added, replaced
    (a replaced label gets a new created_at) or removed. Cheap enough to ask once per batch."""
    row = conn.execute(select(func.count(), func.max(feedback.c.id),
                              func.max(feedback.c.created_at))).one()
    latest = as_utc(row[2])
    return int(row[0]), int(row[1] or 0), latest.isoformat() if latest else ""


def get_feedback(conn: Connection, article_id: int, topic_id: str) -> Row[Any] | None:
    return conn.execute(
        select(feedback).where(feedback.c.article_id == article_id, feedback.c.topic_id == topic_id)
    ).first()


def list_feedback(conn: Connection, topic_id: str | None = None) -> list[Row[Any]]:
    """Labels with the article text they judge (what learning and ``eval --feedback`` read).

    Rows: article_id, topic_id, label, source, created_at, title, summary, feed_id, score.
    """
    query = (
        select(feedback.c.article_id, feedback.c.topic_id, feedback.c.label, feedback.c.source,
               feedback.c.created_at, articles.c.title, articles.c.summary, articles.c.feed_id,
               scores.c.score)
        .join(articles, articles.c.id == feedback.c.article_id)
        .outerjoin(scores, and_(scores.c.article_id == feedback.c.article_id,
                                scores.c.topic_id == feedback.c.topic_id))
    )
    if topic_id is not None:
        query = query.where(feedback.c.topic_id == topic_id)
    return list(conn.execute(query.order_by(feedback.c.created_at, feedback.c.article_id)))
