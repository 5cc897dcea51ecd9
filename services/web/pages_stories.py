"""/stories and /stories/{id}: what was found, where, who was told, and why it scored."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse

from services.web import feedback_view
from services.web.explain import Explanation, explanation
from services.web.rendering import render
from services.web.state import WebState, state_of
from shared import store
from shared.topics import ResolvedTopic

SINCE = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
BANDS = {"above": "above threshold", "near": "near misses", "all": "all scored"}
NEAR_MISS = 0.15  # the band just under the threshold where trust is won or lost
PAGE_SIZE = 50


@dataclass
class ArticleView:
    id: int
    title: str
    url: str | None
    outlet: str
    first_seen_at: datetime | None
    score: float | None
    reason: str
    explanation: Explanation
    label: str | None


@dataclass
class StoryView:
    id: int
    title: str
    topic: ResolvedTopic
    best: float
    first_seen_at: datetime | None
    last_seen_at: datetime | None
    article_count: int
    outlets: list[tuple[str, datetime | None]]
    articles: list[ArticleView]
    alerts: list[Row[Any]]
    best_article: ArticleView | None = None
    story_label: str | None = None  # the best article's label: what the story's button set
    deliveries: list[Row[Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Filters:
    topic: str
    subscription: str
    since: str
    alerted: str
    band: str

    @classmethod
    def parse(cls, request: Request, state: WebState) -> Filters:
        """The query string, checked: a bad value is a 400 naming what is allowed."""
        q = request.query_params
        found = cls(topic=q.get("topic", ""), subscription=q.get("subscription", ""),
                    since=q.get("since", "7d"), alerted=q.get("alerted", ""),
                    band=q.get("band", "above"))
        _allowed("topic", found.topic, ["", *(t.id for t in state.topics)])
        _allowed("subscription", found.subscription, ["", *(s.id for s in state.subscriptions)])
        _allowed("since", found.since, list(SINCE))
        _allowed("alerted", found.alerted, ["", "yes", "no"])
        _allowed("band", found.band, list(BANDS))
        return found


def _allowed(name: str, value: str, allowed: list[str]) -> None:
    if value not in allowed:
        shown = ", ".join(a or "(any)" for a in allowed)
        raise HTTPException(400, f"unknown {name} {value!r}; expected one of: {shown}")


def _band(band: str, threshold: float) -> tuple[float, float | None]:
    if band == "above":
        return threshold, None
    if band == "near":
        return max(0.0, threshold - NEAR_MISS), threshold
    return 0.0, None


def _article(row: Row[Any], labels: dict[tuple[int, str], str], topic_id: str) -> ArticleView:
    return ArticleView(
        id=int(row.id), title=row.title or "(untitled)", url=row.url, outlet=row.outlet,
        first_seen_at=store.as_utc(row.first_seen_at), score=row.score, reason=row.reason,
        explanation=explanation(row.explanation), label=labels.get((int(row.id), topic_id)),
    )


def story_view(
    row: Row[Any], topic: ResolvedTopic, rows: list[Row[Any]], alerts: list[Row[Any]],
    labels: dict[tuple[int, str], str],
) -> StoryView:
    articles = [_article(r, labels, topic.id) for r in rows]
    outlets: dict[str, datetime | None] = {}
    for article in articles:
        outlets.setdefault(article.outlet, article.first_seen_at)
    scored = [a for a in articles if a.score is not None]
    best = max(scored, key=lambda a: a.score or 0.0, default=None)
    return StoryView(
        id=int(row.id), title=row.title, topic=topic,
        best=float(best.score) if best and best.score is not None else 0.0,
        first_seen_at=store.as_utc(row.first_seen_at),
        last_seen_at=store.as_utc(row.last_seen_at), article_count=int(row.article_count),
        outlets=list(outlets.items()), articles=articles, alerts=alerts, best_article=best,
        story_label=best.label if best else None,
    )


def _topic_stories(conn: Connection, state: WebState, topic: ResolvedTopic, filters: Filters,
                   now: datetime) -> list[StoryView]:
    low, below = _band(filters.band, topic.threshold)
    rows = store.web_stories(
        conn, since=now - SINCE[filters.since], topic_id=topic.id, min_score=low, below=below,
        alerted={"yes": True, "no": False}.get(filters.alerted),
        subscription_id=filters.subscription or None, limit=PAGE_SIZE,
    )
    ids = [int(r.id) for r in rows]
    articles = store.web_stories_articles(conn, ids, topic.id)
    alerts = store.web_story_alerts(conn, ids)
    labels = feedback_view.labels(conn, [a.id for group in articles.values() for a in group])
    views = []
    for row in rows:
        shown = [a for a in alerts[int(row.id)]
                 if not filters.subscription or a.subscription_id == filters.subscription]
        views.append(story_view(row, topic, articles[int(row.id)], shown, labels))
    return views


def stories_page(request: Request) -> HTMLResponse:
    state = state_of(request)
    filters = Filters.parse(request, state)
    topics = state.topics
    if filters.topic:
        topics = [t for t in topics if t.id == filters.topic]
    if filters.subscription:
        sub = state.subscription(filters.subscription)
        wanted = set(sub.topics) if sub else set()
        topics = [t for t in topics if t.id in wanted]
    now = store.utcnow()
    with state.ctx.engine.connect() as conn:
        sections = [(t, _topic_stories(conn, state, t, filters, now)) for t in topics]
    return render(request, "stories.html", {
        "title": "Stories", "sections": sections, "filters": filters, "topics": state.topics,
        "subscriptions": state.subscriptions, "since_choices": list(SINCE), "bands": BANDS,
        "near_miss": NEAR_MISS,
    })


def story_page(request: Request) -> HTMLResponse:
    state = state_of(request)
    story_id = int(request.path_params["story_id"])
    with state.ctx.engine.connect() as conn:
        row = store.get_story(conn, story_id)
        if row is None:
            raise HTTPException(404, f"no story {story_id}")
        scored = set(store.story_topic_ids(conn, story_id))
        alerts = store.web_story_alerts(conn, [story_id])[story_id]
        deliveries = store.story_deliveries(conn, story_id)
        views = []
        for topic in state.topics:
            if topic.id not in scored:
                continue
            rows = store.web_story_articles(conn, story_id, topic.id)
            labels = feedback_view.labels(conn, [int(r.id) for r in rows])
            view = story_view(row, topic, rows, alerts, labels)
            view.deliveries = [d for d in deliveries if d.topic_id == topic.id]
            views.append(view)
        members = store.story_blocks(conn, [story_id]).get(story_id, {})
    return render(request, "story.html", {
        "title": row.title, "story": row, "views": views, "alerts": alerts,
        "members": members.get("articles", []), "near_miss": NEAR_MISS,
    })
