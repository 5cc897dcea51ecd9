"""Store: views (SQL over a caller-owned Connection; see shared/store/__init__.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, case, func, select

from shared.models import articles, deliveries, feedback, feeds, scores, stories, story_alerts, story_members
from shared.store.base import as_utc

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
