"""Store: stories (SQL over a caller-owned Connection; see shared/store/__init__.py)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, func, or_, select, text, update

from shared.models import articles, scores, stories, story_alerts, story_members
from shared.store.base import _in, _insert, _insert_rows, as_utc


def get_story(conn: Connection, story_id: int) -> Row[Any] | None:
    return conn.execute(select(stories).where(stories.c.id == story_id)).first()


STORY_LOCK_KEY = 0x6E777374  # "nwst": pg_advisory_xact_lock key of story assignment


def lock_story_assignment(conn: Connection) -> bool:
    """Serialise story assignment across classifier workers until this transaction ends.

    PostgreSQL: a transaction-level advisory lock, so two workers can never both open a story
    for one event. SQLite has one writer at a time and the classifier transaction has already
    written its scores when it gets here, so it holds that lock already.
    True when a lock was taken here: another worker may have committed assignments while
    this one waited for it, so what was read before the call is to be read again.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": STORY_LOCK_KEY})
        return True
    return False


def story_member(conn: Connection, article_id: int) -> Row[Any] | None:
    return conn.execute(
        select(story_members).where(story_members.c.article_id == article_id)
    ).first()


def story_members_of(conn: Connection, article_ids: Sequence[int]) -> dict[int, int]:
    """article id -> story id for those of ``article_ids`` already assigned."""
    if not article_ids:
        return {}
    rows = conn.execute(
        select(story_members.c.article_id, story_members.c.story_id)
        .where(_in(conn, story_members.c.article_id, article_ids))
    )
    return {int(a): int(s) for a, s in rows}


def story_members_since(
    conn: Connection, after_seq: int, seen_after: datetime
) -> list[Row[Any]]:
    """Assignments newer than ``after_seq`` in the window, with the text the index needs."""
    query = (
        select(story_members, articles.c.url, articles.c.title, articles.c.summary)
        .join(articles, articles.c.id == story_members.c.article_id)
        .where(story_members.c.seq > after_seq, story_members.c.seen_at >= seen_after)
        .order_by(story_members.c.seq)
    )
    return list(conn.execute(query))


def last_story_seq(conn: Connection) -> int:
    return int(conn.execute(select(func.coalesce(func.max(story_members.c.seq), 0))).scalar_one())


def create_story(conn: Connection, *, title: str, first_article_id: int, seen_at: datetime) -> int:
    return create_stories(conn, [NewStory(title, first_article_id, seen_at)])[0]


@dataclass(frozen=True)
class NewStory:
    title: str
    first_article_id: int
    seen_at: datetime


def create_stories(conn: Connection, new: Sequence[NewStory]) -> list[int]:
    """Story rows for a batch, one statement; their ids in the order given."""
    if not new:
        return []
    if len({n.first_article_id for n in new}) < len(new):  # RETURNING is matched by it
        return [i for n in new for i in create_stories(conn, [n])]
    stmt, params = _insert_rows(conn, stories, [
        {"title": n.title, "first_article_id": n.first_article_id, "first_seen_at": n.seen_at,
         "last_seen_at": n.seen_at, "article_count": 0, "outlet_count": 0}
        for n in new
    ])
    rows = conn.execute(stmt.returning(stories.c.id, stories.c.first_article_id), params)
    made = {int(first): int(story_id) for story_id, first in rows}
    return [made[n.first_article_id] for n in new]


@dataclass(frozen=True)
class NewMember:
    article_id: int
    story_id: int
    outlet: str
    reason: str
    matched_article_id: int | None
    similarity: float
    seen_at: datetime


def add_story_member(
    conn: Connection, *, article_id: int, story_id: int, outlet: str, reason: str,
    matched_article_id: int | None, similarity: float, seen_at: datetime,
) -> None:
    """Attach an article to its story and refresh the story's counts."""
    add_story_members(conn, [NewMember(article_id, story_id, outlet, reason, matched_article_id,
                                       similarity, seen_at)])


def add_story_members(conn: Connection, members: Sequence[NewMember]) -> list[int]:
    """Attach a batch of articles to their stories (bulk), then refresh each story's counts.

    Returns the ``seq`` of each new membership: a worker that holds the assignment lock
    knows these rows already, and need not read them back in its next catch-up."""
    if not members:
        return []
    stmt, params = _insert_rows(conn, story_members, [
        {"article_id": m.article_id, "story_id": m.story_id, "outlet": m.outlet,
         "reason": m.reason, "matched_article_id": m.matched_article_id,
         "similarity": m.similarity, "seen_at": m.seen_at}
        for m in members
    ])
    inserted = conn.execute(
        stmt.returning(story_members.c.seq, story_members.c.article_id), params)
    seq_of = {int(article_id): int(seq) for seq, article_id in inserted}  # article_id is unique
    seqs = [seq_of[m.article_id] for m in members]
    # Two statements whatever the batch size: the new rows themselves say each article's story
    # and each story's counts (one grouped pass over the touched stories' members, joined in
    # with UPDATE ... FROM), so nothing is read back into Python and sent again row by row.
    c = story_members.c
    placed = [m.article_id for m in members]
    conn.execute(
        update(articles)
        .where(articles.c.id == c.article_id, _in(conn, c.article_id, placed))
        .values(story_id=c.story_id)
    )
    counted = (
        select(c.story_id, func.count().label("n"),
               func.count(func.distinct(c.outlet)).label("outlets"),
               func.min(c.seen_at).label("first"), func.max(c.seen_at).label("last"))
        .where(_in(conn, c.story_id, sorted({m.story_id for m in members})))
        .group_by(c.story_id)
        .subquery()
    )
    conn.execute(
        update(stories).where(stories.c.id == counted.c.story_id).values(
            article_count=counted.c.n, outlet_count=counted.c.outlets,
            first_seen_at=counted.c.first, last_seen_at=counted.c.last,
        )
    )
    return seqs


def story_block(conn: Connection, story_id: int, *, limit: int = 20) -> dict[str, Any] | None:
    """What an alert says about its story: first seen when/where, outlets, links to the others.

    JSON-ready (ISO times); ``articles`` is in first-seen order, at most ``limit`` entries.
    """
    return story_blocks(conn, [story_id], limit=limit).get(story_id)


def story_blocks(
    conn: Connection, story_ids: Iterable[int], *, limit: int = 20
) -> dict[int, dict[str, Any]]:
    """``story_block`` for many stories in two queries (a digest names each item's story)."""
    wanted = sorted(set(story_ids))
    if not wanted:
        return {}
    found = {row.id: row for row in conn.execute(select(stories).where(stories.c.id.in_(wanted)))}
    members: dict[int, list[Row[Any]]] = {story_id: [] for story_id in found}
    query: Any = (
        select(story_members.c.story_id, story_members.c.article_id, story_members.c.outlet,
               story_members.c.reason, story_members.c.seen_at, articles.c.title, articles.c.url)
        .join(articles, articles.c.id == story_members.c.article_id)
        .where(story_members.c.story_id.in_(list(found)))
        .order_by(story_members.c.seen_at, story_members.c.seq)
    )
    for row in conn.execute(query):
        members[row.story_id].append(row)
    return {story_id: _story_block(story, members[story_id], limit)
            for story_id, story in found.items()}


def _story_block(story: Row[Any], rows: list[Row[Any]], limit: int) -> dict[str, Any]:
    first = rows[0] if rows else None
    outlets = list(dict.fromkeys(row.outlet for row in rows))
    return {
        "id": story.id,
        "title": story.title,
        "first_seen_at": _iso(as_utc(story.first_seen_at)),
        "first_outlet": first.outlet if first else None,
        "first_url": first.url if first else None,
        "article_count": story.article_count,
        "outlet_count": story.outlet_count,
        "outlets": outlets,
        "articles": [
            {"article_id": row.article_id, "outlet": row.outlet, "title": row.title,
             "url": row.url, "seen_at": _iso(as_utc(row.seen_at)), "reason": row.reason}
            for row in rows[:limit]
        ],
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def claim_story_alert(
    conn: Connection, *, subscription_id: str, story_id: int, outlet_count: int, score: float,
    now: datetime,
) -> bool:
    """True once per (subscription, story): the caller sends the story's one alert."""
    inserted = conn.execute(
        _insert(conn, story_alerts).values(
            subscription_id=subscription_id, story_id=story_id, outlet_count=outlet_count,
            score=score, updates=0, alerted_at=now,
        ).on_conflict_do_nothing(index_elements=["subscription_id", "story_id"])
        .returning(story_alerts.c.story_id)  # rowcount is -1 here on psycopg
    ).scalar()
    return inserted is not None


def claim_story_update(
    conn: Connection, *, subscription_id: str, story_id: int, outlet_count: int, score: float,
    now: datetime, min_new_outlets: int, score_gain: float, min_interval: timedelta,
    max_updates: int,
) -> bool:
    """True when the story grew enough since the last alert to send one update (atomic)."""
    alerts = story_alerts.c
    result = conn.execute(
        update(story_alerts)
        .where(
            alerts.subscription_id == subscription_id, alerts.story_id == story_id,
            alerts.updates < max_updates,
            or_(alerts.outlet_count + min_new_outlets <= outlet_count,
                alerts.score + score_gain <= score),
            or_(alerts.last_update_at.is_(None), alerts.last_update_at <= now - min_interval),
            alerts.alerted_at <= now - min_interval,
        )
        .values(outlet_count=outlet_count, score=func.max(alerts.score, score)
                if conn.dialect.name == "sqlite" else func.greatest(alerts.score, score),
                updates=alerts.updates + 1, last_update_at=now)
    )
    return result.rowcount == 1


def list_stories(
    conn: Connection, *, since: datetime, topic_id: str | None = None,
    min_score: float | None = None, limit: int = 100,
) -> list[Row[Any]]:
    """Stories seen since ``since``, newest first; with a topic, those with an article on it."""
    query = select(stories).where(stories.c.last_seen_at >= since)
    if topic_id is not None:
        on_topic = (
            select(articles.c.story_id)
            .join(scores, scores.c.article_id == articles.c.id)
            .where(scores.c.topic_id == topic_id, scores.c.score >= (min_score or 0.0),
                   articles.c.story_id.is_not(None))
        )
        query = query.where(stories.c.id.in_(on_topic))
    return list(conn.execute(query.order_by(stories.c.last_seen_at.desc()).limit(limit)))


def story_outlets(conn: Connection, story_ids: Sequence[int]) -> dict[int, list[str]]:
    """Distinct outlets per story, in first-seen order (for listings and digests)."""
    result: dict[int, list[str]] = {story_id: [] for story_id in story_ids}
    rows = conn.execute(
        select(story_members.c.story_id, story_members.c.outlet)
        .where(story_members.c.story_id.in_(list(story_ids)))
        .order_by(story_members.c.seen_at, story_members.c.seq)
    )
    for row in rows:
        if row.outlet not in result[row.story_id]:
            result[row.story_id].append(row.outlet)
    return result
