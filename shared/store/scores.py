"""Store: scores (SQL over a caller-owned Connection; see shared/store/__init__.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, func, select

from shared.models import articles, scores
from shared.store.base import _in, _insert


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


@dataclass(frozen=True)
class NewScore:
    article_id: int
    topic_id: str
    score: float
    explanation: dict[str, Any]
    content_hash: str


def save_scores(conn: Connection, rows: Sequence[NewScore], now: datetime) -> None:
    """``save_score`` for a batch: one statement, many parameter sets.

    Not ``_insert_rows`` on PostgreSQL: a JSON array parameter (the explanations) costs more
    CPU than the executemany pipeline it would replace (measured on bench/classify_cpu.py)."""
    if not rows:
        return
    stmt = _insert(conn, scores)
    stmt = stmt.on_conflict_do_update(
        index_elements=["article_id", "topic_id"],
        set_={"score": stmt.excluded.score, "explanation": stmt.excluded.explanation,
              "content_hash": stmt.excluded.content_hash, "scored_at": stmt.excluded.scored_at},
    )
    conn.execute(stmt, [
        {"article_id": r.article_id, "topic_id": r.topic_id, "score": r.score,
         "explanation": r.explanation, "content_hash": r.content_hash, "scored_at": now}
        for r in rows
    ])


def current_score_topics(conn: Connection, article_ids: Sequence[int]) -> dict[int, set[str]]:
    """For each article, the topics it already has a score for on its current content."""
    found: dict[int, set[str]] = {}
    if not article_ids:
        return found
    rows = conn.execute(
        select(scores.c.article_id, scores.c.topic_id)
        .join(articles, and_(articles.c.id == scores.c.article_id,
                             articles.c.content_hash == scores.c.content_hash))
        .where(_in(conn, scores.c.article_id, article_ids)))
    for article_id, topic_id in rows:
        found.setdefault(int(article_id), set()).add(str(topic_id))
    return found


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
