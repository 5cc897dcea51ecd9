"""All SQL of newswatch, as small functions over a SQLAlchemy ``Connection``.

Callers own the transaction (``with engine.begin() as conn``). Inserts that must happen once
use ON CONFLICT DO NOTHING, which SQLite and PostgreSQL both speak, so duplicated jobs and
restarts are harmless.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import (
    Connection,
    Row,
    and_,
    bindparam,
    case,
    func,
    literal,
    or_,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from shared.config import FeedConfig
from shared.models import (
    articles,
    deliveries,
    delivery_attempts,
    digests,
    feedback,
    feeds,
    scores,
    stories,
    story_alerts,
    story_members,
)


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _insert(conn: Connection, table: Any) -> postgresql.Insert | sqlite.Insert:
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


# --- feeds -------------------------------------------------------------------------------------


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
        .where(articles.c.id.in_(list(article_ids)))
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


@dataclass(frozen=True)
class NewScore:
    article_id: int
    topic_id: str
    score: float
    explanation: dict[str, Any]
    content_hash: str


def save_scores(conn: Connection, rows: Sequence[NewScore], now: datetime) -> None:
    """``save_score`` for a batch: one statement, many parameter sets."""
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
        .where(scores.c.article_id.in_(list(article_ids))))
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


# --- feedback ------------------------------------------------------------------------------------

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


# --- stories ---------------------------------------------------------------------------------------


def get_story(conn: Connection, story_id: int) -> Row[Any] | None:
    return conn.execute(select(stories).where(stories.c.id == story_id)).first()


STORY_LOCK_KEY = 0x6E777374  # "nwst": pg_advisory_xact_lock key of story assignment


def lock_story_assignment(conn: Connection) -> None:
    """Serialise story assignment across classifier workers until this transaction ends.

    PostgreSQL: a transaction-level advisory lock, so two workers can never both open a story
    for one event. SQLite has one writer at a time and the classifier transaction has already
    written its scores when it gets here, so it holds that lock already.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": STORY_LOCK_KEY})


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
        .where(story_members.c.article_id.in_(list(article_ids)))
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
    stmt = stories.insert().returning(stories.c.id, sort_by_parameter_order=True)
    rows = conn.execute(stmt, [
        {"title": n.title, "first_article_id": n.first_article_id, "first_seen_at": n.seen_at,
         "last_seen_at": n.seen_at, "article_count": 0, "outlet_count": 0}
        for n in new
    ])
    return [int(row[0]) for row in rows]


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


def add_story_members(conn: Connection, members: Sequence[NewMember]) -> None:
    """Attach a batch of articles to their stories (bulk), then refresh each story's counts."""
    if not members:
        return
    conn.execute(story_members.insert(), [
        {"article_id": m.article_id, "story_id": m.story_id, "outlet": m.outlet,
         "reason": m.reason, "matched_article_id": m.matched_article_id,
         "similarity": m.similarity, "seen_at": m.seen_at}
        for m in members
    ])
    conn.execute(
        update(articles).where(articles.c.id == bindparam("member_id"))
        .values(story_id=bindparam("member_story")),
        [{"member_id": m.article_id, "member_story": m.story_id} for m in members],
    )
    touched = sorted({m.story_id for m in members})
    c = story_members.c
    counts = conn.execute(
        select(c.story_id, func.count(), func.count(func.distinct(c.outlet)), func.min(c.seen_at),
               func.max(c.seen_at))
        .where(c.story_id.in_(touched)).group_by(c.story_id)
    ).all()
    conn.execute(
        update(stories).where(stories.c.id == bindparam("counted_id")).values(
            article_count=bindparam("n"), outlet_count=bindparam("outlets"),
            first_seen_at=bindparam("first"), last_seen_at=bindparam("last"),
        ),
        [{"counted_id": row[0], "n": row[1], "outlets": row[2], "first": row[3],
          "last": row[4]} for row in counts],
    )


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


# --- deliveries ------------------------------------------------------------------------------------
# The ledger that makes "exactly once" hold: a row per (subscription, article), claimed under a
# lease with a token, finished only by the token holder. Digests share the lease columns.

DELIVERY_STATUSES = ("pending", "queued", "held", "sending", "retry", "sent", "failed")
_CLAIMABLE = ("pending", "retry")


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


def delivery_exists(conn: Connection, subscription_id: str, article_id: int) -> bool:
    query = select(deliveries.c.id).where(
        deliveries.c.subscription_id == subscription_id, deliveries.c.article_id == article_id)
    return conn.execute(query).first() is not None


def get_delivery(conn: Connection, delivery_id: int) -> Row[Any] | None:
    return conn.execute(select(deliveries).where(deliveries.c.id == delivery_id)).first()


def get_digest(conn: Connection, digest_id: int) -> Row[Any] | None:
    return conn.execute(select(digests).where(digests.c.id == digest_id)).first()


TOKEN_RANDOM = 16  # hex characters of a claim token after its owner tag


def _claim(
    conn: Connection, table: Any, row_id: int, now: datetime, lease: timedelta, owner: str = "",
) -> str | None:
    token = owner + secrets.token_hex(TOKEN_RANDOM // 2)
    result = conn.execute(
        update(table)
        .where(
            table.c.id == row_id,
            table.c.status.in_(_CLAIMABLE),
            or_(table.c.next_attempt_at.is_(None), table.c.next_attempt_at <= now),
        )
        .values(status="sending", lease_until=now + lease, claim_token=token,
                first_attempt_at=func.coalesce(table.c.first_attempt_at, now))
    )
    return token if result.rowcount == 1 else None


def claim_delivery(
    conn: Connection, delivery_id: int, now: datetime, lease: timedelta, owner: str = "",
) -> str | None:
    """Take a due delivery for sending; the one winner gets the claim token, others None.

    ``owner`` (a short process tag) starts the token, so a dead owner's rows can be
    reclaimed before their lease runs out (``reclaim_orphans``)."""
    return _claim(conn, deliveries, delivery_id, now, lease, owner)


def claim_digest(
    conn: Connection, digest_id: int, now: datetime, lease: timedelta, owner: str = "",
) -> str | None:
    return _claim(conn, digests, digest_id, now, lease, owner)


def token_owner(token: str | None) -> str:
    return (token or "")[:-TOKEN_RANDOM]


def _finish(conn: Connection, table: Any, row_id: int, token: str, values: dict[str, Any]) -> bool:
    result = conn.execute(
        update(table)
        .where(table.c.id == row_id, table.c.status == "sending", table.c.claim_token == token)
        .values(lease_until=None, claim_token=None, **values)
    )
    return result.rowcount == 1


def finish_delivery(conn: Connection, delivery_id: int, token: str, **values: Any) -> bool:
    """Leave 'sending' (to sent/retry/failed/held); False if the lease was lost meanwhile."""
    return _finish(conn, deliveries, delivery_id, token, values)


def finish_digest(conn: Connection, digest_id: int, token: str, **values: Any) -> bool:
    return _finish(conn, digests, digest_id, token, values)


def record_attempt(
    conn: Connection, *, delivery_id: int | None, outcome: str, now: datetime,
    status: str | None = None, detail: str | None = None, digest_id: int | None = None,
    duration_ms: int | None = None,
) -> None:
    conn.execute(delivery_attempts.insert().values(
        delivery_id=delivery_id, digest_id=digest_id, at=now, outcome=outcome, status=status,
        detail=detail, duration_ms=duration_ms,
    ))


def attempts_for(conn: Connection, *, delivery_id: int | None = None,
                 digest_id: int | None = None) -> list[Row[Any]]:
    column = delivery_attempts.c.delivery_id if delivery_id is not None else (
        delivery_attempts.c.digest_id)
    key = delivery_id if delivery_id is not None else digest_id
    return list(conn.execute(
        select(delivery_attempts).where(column == key).order_by(delivery_attempts.c.id)))


def _alert_query() -> Any:
    return (
        select(
            deliveries.c.id.label("delivery_id"), deliveries.c.subscription_id,
            deliveries.c.article_id, deliveries.c.topic_id, deliveries.c.score, deliveries.c.kind,
            articles.c.title, articles.c.url, articles.c.published_at, articles.c.first_seen_at,
            feeds.c.name.label("feed_name"), feeds.c.title.label("feed_title"),
            feeds.c.url.label("feed_url"), scores.c.explanation,
            func.coalesce(deliveries.c.story_id, articles.c.story_id).label("story_id"),
        )
        .join(articles, articles.c.id == deliveries.c.article_id)
        .join(feeds, feeds.c.id == articles.c.feed_id)
        .outerjoin(scores, and_(scores.c.article_id == deliveries.c.article_id,
                                scores.c.topic_id == deliveries.c.topic_id))
    )


def delivery_alert(conn: Connection, delivery_id: int) -> Row[Any] | None:
    """Everything an alert shows: article, outlet, score and the stored explanation."""
    return conn.execute(_alert_query().where(deliveries.c.id == delivery_id)).first()


def digest_alerts(conn: Connection, digest_id: int) -> list[Row[Any]]:
    query = _alert_query().where(deliveries.c.digest_id == digest_id,
                                 deliveries.c.status == "queued")
    return list(conn.execute(query.order_by(deliveries.c.score.desc())))


def messages_sent_since(conn: Connection, subscription_id: str, since: datetime) -> list[datetime]:
    """Send times of the messages (single alerts and summaries) a subscriber got since then."""
    singles = conn.execute(select(deliveries.c.sent_at).where(
        deliveries.c.subscription_id == subscription_id, deliveries.c.status == "sent",
        deliveries.c.digest_id.is_(None), deliveries.c.sent_at >= since)).scalars()
    batches = conn.execute(select(digests.c.sent_at).where(
        digests.c.subscription_id == subscription_id, digests.c.status == "sent",
        digests.c.sent_at >= since)).scalars()
    return sorted(t for t in (as_utc(v) for v in [*singles, *batches]) if t is not None)


def _due_for_queue(table: Any, now: datetime, requeue_after: timedelta) -> Any:
    """Due rows with no live queue entry: never enqueued since due, or enqueued long ago."""
    stale = now - requeue_after
    return and_(
        table.c.status.in_(_CLAIMABLE),
        or_(table.c.next_attempt_at.is_(None), table.c.next_attempt_at <= now),
        or_(
            and_(table.c.enqueued_at.is_(None),
                 or_(table.c.status != "pending", table.c.created_at <= stale)),
            table.c.enqueued_at <= stale,
        ),
    )


def take_due(
    conn: Connection, now: datetime, requeue_after: timedelta, limit: int = 1000
) -> tuple[list[int], list[int]]:
    """Delivery and digest ids to (re-)enqueue now; marks them enqueued so a tick runs once."""
    result: list[list[int]] = []
    for table in (deliveries, digests):
        ids = [int(i) for i in conn.execute(
            select(table.c.id).where(_due_for_queue(table, now, requeue_after))
            .order_by(table.c.id).limit(limit)).scalars()]
        if ids:
            conn.execute(update(table).where(table.c.id.in_(ids)).values(enqueued_at=now))
        result.append(ids)
    return result[0], result[1]


def mark_enqueued(conn: Connection, delivery_ids: Sequence[int], now: datetime) -> None:
    if delivery_ids:
        conn.execute(update(deliveries).where(deliveries.c.id.in_(list(delivery_ids)))
                     .values(enqueued_at=now))


def reclaim_expired(conn: Connection, now: datetime) -> list[tuple[str, int]]:
    """'sending' rows whose worker died: back to retry now, with a 'lost' attempt recorded."""
    reclaimed: list[tuple[str, int]] = []
    for name, table in (("delivery", deliveries), ("digest", digests)):
        ids = [int(i) for i in conn.execute(select(table.c.id).where(
            table.c.status == "sending", table.c.lease_until < now)).scalars()]
        for row_id in ids:
            if _reclaim(conn, name, table, row_id, table.c.lease_until < now, now,
                        "lease expired: the worker stopped mid-send"):
                reclaimed.append((name, row_id))
    return reclaimed


def sending_claims(conn: Connection) -> list[Row[Any]]:
    """(kind, id, claim_token, lease_until) of every row being sent now."""
    parts = [select(literal(kind).label("kind"), table.c.id, table.c.claim_token,
                    table.c.lease_until).where(table.c.status == "sending")
             for kind, table in (("delivery", deliveries), ("digest", digests))]
    return list(conn.execute(union_all(*parts)))


def reclaim_orphan(conn: Connection, kind: str, row_id: int, token: str, now: datetime) -> bool:
    """A 'sending' row whose owner process is known dead: back to retry now ('lost')."""
    table = deliveries if kind == "delivery" else digests
    return _reclaim(conn, kind, table, row_id, table.c.claim_token == token, now,
                    "its worker died mid-send")


def _reclaim(
    conn: Connection, name: str, table: Any, row_id: int, condition: Any, now: datetime,
    reason: str,
) -> bool:
    done = conn.execute(
        update(table).where(table.c.id == row_id, table.c.status == "sending", condition)
        .values(status="retry", next_attempt_at=now, lease_until=None, claim_token=None,
                enqueued_at=None, attempts=table.c.attempts + 1, last_error=reason)
    ).rowcount
    if done:
        record_attempt(
            conn, delivery_id=row_id if name == "delivery" else None,
            digest_id=row_id if name == "digest" else None, outcome="lost", now=now,
            detail=f"{reason}; outcome unknown",
        )
    return bool(done)


def due_held(conn: Connection, now: datetime) -> dict[str, list[int]]:
    """Held deliveries whose hold ended, by subscription."""
    rows = conn.execute(select(deliveries.c.subscription_id, deliveries.c.id).where(
        deliveries.c.status == "held", deliveries.c.next_attempt_at <= now)
        .order_by(deliveries.c.id))
    held: dict[str, list[int]] = {}
    for subscription_id, delivery_id in rows:
        held.setdefault(subscription_id, []).append(int(delivery_id))
    return held


def release_held(conn: Connection, delivery_id: int, now: datetime) -> bool:
    """One held alert goes back to the instant path (the caller enqueues it)."""
    return conn.execute(
        update(deliveries).where(deliveries.c.id == delivery_id, deliveries.c.status == "held")
        .values(status="pending", hold_reason=None, next_attempt_at=None, enqueued_at=now)
    ).rowcount == 1


def create_batch(
    conn: Connection, *, subscription_id: str, kind: str, slot: str, now: datetime,
    from_status: str, delivery_ids: Sequence[int] | None = None,
) -> int | None:
    """A digest/summary for this slot, once: attaches the subscription's waiting deliveries.

    Returns the id to enqueue; None when the slot already fired or had nothing. A slot with
    nothing to send is stored as 'empty' so a late item cannot make an old slot fire late.
    """
    digest_id = conn.execute(
        _insert(conn, digests).values(
            subscription_id=subscription_id, kind=kind, slot=slot, status="empty",
            item_count=0, attempts=0, created_at=now, next_attempt_at=None, enqueued_at=now,
        ).on_conflict_do_nothing(index_elements=["subscription_id", "slot"])
        .returning(digests.c.id)
    ).scalar()
    if digest_id is None:
        return None
    where = [deliveries.c.subscription_id == subscription_id,
             deliveries.c.status == from_status, deliveries.c.digest_id.is_(None)]
    if delivery_ids is not None:
        where.append(deliveries.c.id.in_(list(delivery_ids)))
    count = conn.execute(update(deliveries).where(*where).values(
        status="queued", digest_id=digest_id, hold_reason=None)).rowcount
    if not count:
        return None
    conn.execute(update(digests).where(digests.c.id == digest_id)
                 .values(status="pending", item_count=count))
    return int(digest_id)


def finish_batch_items(conn: Connection, digest_id: int, **values: Any) -> int:
    return conn.execute(update(deliveries).where(
        deliveries.c.digest_id == digest_id, deliveries.c.status == "queued").values(**values)
    ).rowcount


def list_deliveries(
    conn: Connection, *, status: str | None = None, subscription_id: str | None = None,
    limit: int = 50,
) -> list[Row[Any]]:
    query = (select(deliveries, articles.c.title)
             .join(articles, articles.c.id == deliveries.c.article_id))
    if status is not None:
        query = query.where(deliveries.c.status == status)
    if subscription_id is not None:
        query = query.where(deliveries.c.subscription_id == subscription_id)
    return list(conn.execute(query.order_by(deliveries.c.id.desc()).limit(limit)))


def retry_delivery(
    conn: Connection, delivery_id: int, now: datetime, *, enqueued: bool = True
) -> bool:
    """A failed delivery goes out again, alone, with a fresh retry budget.

    ``enqueued=False`` when the caller cannot enqueue it (the web view on the in-process
    queue): the notifier's next tick picks the pending row up.
    """
    return conn.execute(
        update(deliveries).where(deliveries.c.id == delivery_id, deliveries.c.status == "failed")
        .values(status="pending", digest_id=None, next_attempt_at=now, first_attempt_at=None,
                enqueued_at=now if enqueued else None, last_error=None)
    ).rowcount == 1


def failed_delivery_ids(conn: Connection) -> list[int]:
    return [int(i) for i in conn.execute(
        select(deliveries.c.id).where(deliveries.c.status == "failed").order_by(deliveries.c.id)
    ).scalars()]


@dataclass(frozen=True)
class SubscriptionStats:
    last_sent_at: datetime | None
    sent: int
    failed: int
    waiting: int  # pending, retry, held, queued, sending


def subscription_stats(conn: Connection) -> dict[str, SubscriptionStats]:
    rows = conn.execute(select(
        deliveries.c.subscription_id, deliveries.c.status, func.count(),
        func.max(deliveries.c.sent_at)).group_by(deliveries.c.subscription_id,
                                                 deliveries.c.status))
    acc: dict[str, dict[str, Any]] = {}
    for subscription_id, status, count, last in rows:
        item = acc.setdefault(subscription_id, {"last": None, "sent": 0, "failed": 0, "waiting": 0})
        key = status if status in ("sent", "failed") else "waiting"
        item[key] += int(count)
        last = as_utc(last)
        if last is not None and (item["last"] is None or last > item["last"]):
            item["last"] = last
    return {sid: SubscriptionStats(v["last"], v["sent"], v["failed"], v["waiting"])
            for sid, v in acc.items()}


UNFINISHED = ("pending", "retry", "sending")  # due work: not held, not waiting for a digest


def unfinished(conn: Connection, limit: int = 1000) -> list[Row[Any]]:
    """Deliveries and digests still to send, soonest first: (kind, id, subscription_id,
    status, next_attempt_at, last_error)."""
    parts = [
        select(literal(kind).label("kind"), table.c.id, table.c.subscription_id, table.c.status,
               table.c.next_attempt_at, table.c.last_error)
        .where(table.c.status.in_(UNFINISHED))
        for kind, table in (("delivery", deliveries), ("digest", digests))
    ]
    query = union_all(*parts).subquery()
    return list(conn.execute(select(query).order_by(query.c.next_attempt_at, query.c.id)
                             .limit(limit)))


def outcome_unknown(conn: Connection, delivery_ids: Sequence[int] | None = None) -> set[int]:
    """Deliveries with a 'lost' attempt: a worker stopped after sending began, so the
    receiver may have that message (a resend can be a duplicate)."""
    query = select(delivery_attempts.c.delivery_id).where(
        delivery_attempts.c.outcome == "lost", delivery_attempts.c.delivery_id.is_not(None))
    if delivery_ids is not None:
        query = query.where(delivery_attempts.c.delivery_id.in_(list(delivery_ids)))
    return {int(i) for i in conn.execute(query.distinct()).scalars()}


def delivery_status_counts(conn: Connection) -> dict[str, int]:
    rows = conn.execute(select(deliveries.c.status, func.count()).group_by(deliveries.c.status))
    return {str(status): int(count) for status, count in rows}


def count_deliveries(conn: Connection, status: str | None = None) -> int:
    query = select(func.count()).select_from(deliveries)
    if status is not None:
        query = query.where(deliveries.c.status == status)
    return int(conn.execute(query).scalar_one())


# --- demo (newswatch demo's scoreboard) --------------------------------------------------------------


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


# --- web view (newswatch web) ------------------------------------------------------------------
# Read-only listings for the desk's pages; every function takes explicit filters and a limit so
# a page never scans more than it shows.


def web_stories(
    conn: Connection, *, since: datetime, topic_id: str, min_score: float = 0.0,
    below: float | None = None, alerted: bool | None = None, subscription_id: str | None = None,
    limit: int = 100,
) -> list[Row[Any]]:
    """Stories with their best score on ``topic_id`` in [min_score, below), newest first.

    Rows: story columns + best (score), alerted_to (count of story_alerts rows, for
    ``subscription_id`` when given). ``below`` None means no upper bound.
    """
    recent = select(stories.c.id).where(stories.c.last_seen_at >= since)  # not all history
    best = (
        select(articles.c.story_id.label("story_id"), func.max(scores.c.score).label("best"))
        .join(scores, scores.c.article_id == articles.c.id)
        .where(scores.c.topic_id == topic_id, articles.c.story_id.in_(recent))
        .group_by(articles.c.story_id)
        .subquery()
    )
    alert_filter = [story_alerts.c.story_id == stories.c.id]
    if subscription_id is not None:
        alert_filter.append(story_alerts.c.subscription_id == subscription_id)
    alerted_to = (select(func.count()).select_from(story_alerts).where(*alert_filter)
                  .scalar_subquery())
    query = (
        select(stories, best.c.best, alerted_to.label("alerted_to"))
        .join(best, best.c.story_id == stories.c.id)
        .where(stories.c.last_seen_at >= since, best.c.best >= min_score)
    )
    if below is not None:
        query = query.where(best.c.best < below)
    if alerted is True:
        query = query.where(alerted_to > 0)
    elif alerted is False:
        query = query.where(alerted_to == 0)
    return list(conn.execute(query.order_by(stories.c.last_seen_at.desc(), stories.c.id.desc())
                             .limit(limit)))


def web_stories_articles(
    conn: Connection, story_ids: Sequence[int], topic_id: str
) -> dict[int, list[Row[Any]]]:
    """``web_story_articles`` for a page of stories in one query."""
    result: dict[int, list[Row[Any]]] = {story_id: [] for story_id in story_ids}
    if not story_ids:
        return result
    for row in conn.execute(_story_articles_query(topic_id).where(
            story_members.c.story_id.in_(list(story_ids)))):
        result[row.story_id].append(row)
    return result


def _story_articles_query(topic_id: str) -> Any:
    return (
        select(articles.c.id, articles.c.title, articles.c.url, articles.c.first_seen_at,
               articles.c.published_at, story_members.c.story_id, story_members.c.outlet,
               story_members.c.reason, scores.c.score, scores.c.explanation)
        .join(story_members, story_members.c.article_id == articles.c.id)
        .outerjoin(scores, and_(scores.c.article_id == articles.c.id,
                                scores.c.topic_id == topic_id))
        .order_by(story_members.c.seen_at, story_members.c.seq)
    )


def story_topic_ids(conn: Connection, story_id: int) -> list[str]:
    """Topics any article of the story was scored on."""
    return sorted(str(t) for t in conn.execute(
        select(func.distinct(scores.c.topic_id))
        .join(story_members, story_members.c.article_id == scores.c.article_id)
        .where(story_members.c.story_id == story_id)).scalars())


def story_representative_id(conn: Connection, story_id: int, topic_id: str) -> int | None:
    """The story's best-scoring article on the topic (the earliest on a tie): what a
    story-level label covers, so one reader decision is one label, not one per member."""
    found = conn.execute(
        select(story_members.c.article_id)
        .join(scores, scores.c.article_id == story_members.c.article_id)
        .where(story_members.c.story_id == story_id, scores.c.topic_id == topic_id)
        .order_by(scores.c.score.desc(), story_members.c.seq).limit(1)).scalar()
    return None if found is None else int(found)


def web_story_articles(conn: Connection, story_id: int, topic_id: str) -> list[Row[Any]]:
    """A story's articles in arrival order, each with its outlet, score and explanation."""
    return list(conn.execute(_story_articles_query(topic_id)
                             .where(story_members.c.story_id == story_id)))


def web_story_alerts(conn: Connection, story_ids: Sequence[int]) -> dict[int, list[Row[Any]]]:
    """Who each story was alerted to, and when."""
    result: dict[int, list[Row[Any]]] = {story_id: [] for story_id in story_ids}
    if not story_ids:
        return result
    for row in conn.execute(select(story_alerts).where(story_alerts.c.story_id.in_(list(story_ids)))
                            .order_by(story_alerts.c.alerted_at)):
        result[row.story_id].append(row)
    return result


def alerts_per_day(conn: Connection, topic_id: str, since: datetime) -> dict[str, int]:
    """Sent alert deliveries per UTC day for a topic (the topics page's chart)."""
    counts: dict[str, int] = {}
    rows = conn.execute(select(deliveries.c.sent_at).where(
        deliveries.c.topic_id == topic_id, deliveries.c.status == "sent",
        deliveries.c.sent_at >= since))
    for (sent_at,) in rows:
        day = as_utc(sent_at).date().isoformat()  # type: ignore[union-attr]
        counts[day] = counts.get(day, 0) + 1
    return counts


def delivery_latencies(conn: Connection, since: datetime | None = None) -> list[tuple[str, float]]:
    """(channel, seconds from the article's first sight to the send) for every sent delivery."""
    query = (select(deliveries.c.channel, deliveries.c.sent_at, articles.c.first_seen_at)
             .join(articles, articles.c.id == deliveries.c.article_id)
             .where(deliveries.c.status == "sent", deliveries.c.sent_at.is_not(None)))
    if since is not None:
        query = query.where(deliveries.c.sent_at >= since)
    result = []
    for channel, sent_at, first_seen in conn.execute(query):
        delta = as_utc(sent_at) - as_utc(first_seen)  # type: ignore[operator]
        result.append((str(channel), max(0.0, delta.total_seconds())))
    return result


def delivery_counts(conn: Connection) -> list[tuple[str, str, int]]:
    """(channel, status, count) over the whole ledger."""
    return [(str(c), str(s), int(n)) for c, s, n in conn.execute(
        select(deliveries.c.channel, deliveries.c.status, func.count())
        .group_by(deliveries.c.channel, deliveries.c.status))]


def feed_error_counts(conn: Connection) -> list[tuple[str, int]]:
    """Feeds whose last poll failed, by error class."""
    return [(str(k), int(n)) for k, n in conn.execute(
        select(feeds.c.last_error_kind, func.count()).where(feeds.c.last_error_kind.is_not(None))
        .group_by(feeds.c.last_error_kind))]


def count_scored_articles(conn: Connection) -> int:
    return int(conn.execute(select(func.count(func.distinct(scores.c.article_id)))).scalar_one())


@dataclass(frozen=True)
class FeedCounts:
    enabled: int
    disabled: int
    polled_recently: int  # polled within the window given to feed_counts


def feed_counts(conn: Connection, polled_since: datetime) -> FeedCounts:
    enabled = func.sum(case((feeds.c.enabled.is_(True), 1), else_=0))
    recent = func.sum(case((feeds.c.last_polled_at >= polled_since, 1), else_=0))
    row = conn.execute(select(func.count(), enabled, recent).select_from(feeds)).one()
    total, on, polled = (int(v or 0) for v in row)
    return FeedCounts(enabled=on, disabled=total - on, polled_recently=polled)


def story_deliveries(conn: Connection, story_id: int) -> list[Row[Any]]:
    """Ledger rows of a story's alerts and updates, oldest first."""
    return list(conn.execute(
        select(deliveries.c.id, deliveries.c.subscription_id, deliveries.c.article_id,
               deliveries.c.topic_id, deliveries.c.kind, deliveries.c.channel,
               deliveries.c.status, deliveries.c.created_at, deliveries.c.sent_at)
        .where(deliveries.c.story_id == story_id).order_by(deliveries.c.id)))


def feedback_labels(conn: Connection, article_ids: Sequence[int]) -> dict[tuple[int, str], str]:
    """The current label per (article, topic) for the articles on a page."""
    found: dict[tuple[int, str], str] = {}
    ids = sorted(set(article_ids))
    for start in range(0, len(ids), 500):
        for article_id, topic_id, label in conn.execute(
                select(feedback.c.article_id, feedback.c.topic_id, feedback.c.label)
                .where(feedback.c.article_id.in_(ids[start : start + 500]))):
            found[(int(article_id), str(topic_id))] = str(label)
    return found


def feedback_counts(conn: Connection) -> dict[str, dict[str, int]]:
    """Labels per topic: {topic: {'relevant': n, 'not-relevant': m}}."""
    counts: dict[str, dict[str, int]] = {}
    for topic_id, label, n in conn.execute(
            select(feedback.c.topic_id, feedback.c.label, func.count())
            .group_by(feedback.c.topic_id, feedback.c.label)):
        counts.setdefault(str(topic_id), {})[str(label)] = int(n)
    return counts
