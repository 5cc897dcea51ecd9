"""A desk's worth of data for the web view, written through the store functions the services use.

Three outlets, three stories on the built-in topic (one alerted above the threshold, one near
miss, one far below), a ledger with sent, failed, held and pending rows, and a feed whose
last poll timed out. Secrets sit where a careless page could leak them: a Slack webhook in
the config, an API key in a feed URL's query, a webhook URL inside a stored error.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from shared import store
from shared.config import FeedConfig
from shared.db import make_engine

THRESHOLD = 0.6
SLACK_SECRET = "https://hooks.slack.com/services/T0NEWSWATCH/B0DESK/s3cr3tWebhookToken"
FEED_KEY = "feedkey-9f8e7d6c"
SMTP_PASSWORD = "smtp-pass-7Yq2"
FEEDS = [
    FeedConfig(url="https://kyivwire.example.org/rss.xml", name="Kyiv Wire"),
    FeedConfig(url=f"https://balticdesk.example.net/feed?apikey={FEED_KEY}", name="Baltic Desk"),
    FeedConfig(url="https://caspian.example.com/news.atom", name="Caspian Monitor"),
]
HOSTILE_TITLE = '<script>alert(1)</script> "><img src=x onerror=alert(2)>'
HOSTILE_MARKERS = ("<script>alert(1)", "<img src=x onerror", "javascript:alert(3)")

EXPLANATION_HIT = {
    "summary": "Iranian drones shipped to Russia: actors, transfer and weapon all named",
    "evidence": ["Iran: Tehran, IRGC", "Russia: Moscow", "transfer: shipped, delivered",
                 "weapons: Shahed-136"],
    "passage": {"text": "Shahed-136 loitering munitions reached Russian units through the "
                        "Caspian port of Makhachkala.", "source": "brief.md", "similarity": 0.47},
    "penalties": ["'summit' discounted: reads as another story, no stronger evidence"],
    "components": {"clauses": 0.8, "similarity": 0.47, "z": 3.2},
}
EXPLANATION_NEAR = {
    "summary": "Iran and Russia named, but no transfer verb: a denial",
    "evidence": ["Iran: Tehran", "Russia: Moscow"],
    "passage": {"text": "Tehran has repeatedly denied supplying drones.", "source": "brief.md",
                "similarity": 0.31},
    "penalties": ["denial: 'denies' lowers the transfer evidence"],
}
EXPLANATION_LOW = {"summary": "no actor of the topic named", "evidence": []}


def config_yaml(path: Path) -> Path:
    """The config the web server reads: the feeds, the topic's threshold, two subscriptions."""
    feeds = "\n".join(f"  - url: {f.url}\n    name: {f.name}" for f in FEEDS)
    path.write_text(
        f"feeds:\n{feeds}\n"
        f"topics:\n  - id: axis\n    threshold: {THRESHOLD}\n"
        "subscriptions:\n"
        "  - id: desk-slack\n    topics: [axis]\n"
        f"    slack:\n      webhook_url: {SLACK_SECRET}\n"
        "  - id: analyst-mail\n    topics: [axis]\n"
        "    email:\n      to: [analyst@example.org]\n",
        encoding="utf-8")
    return path


@dataclass
class World:
    feed_ids: dict[str, int] = field(default_factory=dict)
    articles: dict[str, int] = field(default_factory=dict)
    stories: dict[str, int] = field(default_factory=dict)
    deliveries: dict[str, int] = field(default_factory=dict)


def _article(conn: Connection, world: World, key: str, feed: str, title: str, *, seen: datetime,
             score: float | None, explanation: dict[str, Any], url: str | None = None) -> int:
    digest = hashlib.sha256(f"{key}{title}".encode()).hexdigest()
    article_id, _ = store.upsert_article(conn, world.feed_ids[feed], store.NewArticle(
        identity=digest[:32], content_hash=digest, title=title,
        summary=f"{title}. Reported by {feed}.",
        url=url or f"https://{feed.lower().replace(' ', '')}.example.org/a/{digest[:10]}",
        published_at=seen - timedelta(minutes=5)), seen)
    if score is not None:
        store.save_score(conn, article_id, "axis", score, explanation, digest, seen)
    world.articles[key] = article_id
    return article_id


def _story(conn: Connection, world: World, key: str, members: list[tuple[str, str]]) -> int:
    """A story over already stored articles: (article key, outlet) in arrival order."""
    first = world.articles[members[0][0]]
    article = store.get_article(conn, first)
    assert article is not None
    story_id = store.create_story(conn, title=article.title, first_article_id=first,
                                  seen_at=store.as_utc(article.first_seen_at))  # type: ignore[arg-type]
    for index, (article_key, outlet) in enumerate(members):
        row = store.get_article(conn, world.articles[article_key])
        assert row is not None
        store.add_story_member(
            conn, article_id=row.id, story_id=story_id, outlet=outlet,
            reason="new" if index == 0 else "same_event",
            matched_article_id=None if index == 0 else first, similarity=0.0 if index == 0 else 0.52,
            seen_at=store.as_utc(row.first_seen_at))  # type: ignore[arg-type]
    world.stories[key] = story_id
    return story_id


def _delivery(conn: Connection, world: World, key: str, *, subscription: str, article: str,
              channel: str, status: str, now: datetime, **finish: Any) -> int:
    article_id = world.articles[article]
    score = store.get_score(conn, article_id, "axis")
    assert score is not None
    row = store.get_article(conn, article_id)
    delivery_id = store.create_delivery(
        conn, subscription_id=subscription, article_id=article_id, topic_id="axis",
        score=score.score, channel=channel, mode="instant",
        status="pending" if status in ("sent", "failed") else status, now=now,
        story_id=row.story_id if row else None)
    assert delivery_id is not None
    if status in ("sent", "failed"):
        token = store.claim_delivery(conn, delivery_id, now, timedelta(minutes=5))
        assert token is not None
        store.finish_delivery(conn, delivery_id, token, status=status, attempts=1, **finish)
    world.deliveries[key] = delivery_id
    return delivery_id


HISTORY_TITLES = [
    "North Korean artillery shells arrive at Russian depot near Tikhoretsk",
    "Chinese machine tools routed to Russian drone plant via Kyrgyz intermediaries",
    "Iran delivered Fath-360 missiles to Russia, Western officials say",
    "Satellite images show ammunition trains from Rason to Russia",
    "Alabuga plant expands Shahed output with Iranian engineers",
    "Sanctioned Chinese firm shipped drone engines to Russia",
    "Dozens of Iranian-designed drones launched at Kyiv overnight",
]


def _history(conn: Connection, world: World, now: datetime) -> None:
    """Older alerted stories (8–27 days ago): the topics page's chart has a month to show."""
    for index, title in enumerate(HISTORY_TITLES * 2):
        seen = now - timedelta(days=8 + (index * 19) % 20, hours=index % 5)
        key = f"old{index}"
        _article(conn, world, key, FEEDS[index % 3].name or "", f"{title} ({index})", seen=seen,
                 score=0.62 + (index % 4) * 0.07, explanation=EXPLANATION_HIT)
        _story(conn, world, key, [(key, FEEDS[index % 3].name or "")])
        _delivery(conn, world, key, subscription="desk-slack", article=key, channel="slack",
                  status="sent", now=seen, sent_at=seen + timedelta(seconds=40 + 30 * index))


def seed(db_url: str, *, hostile: bool = False, history: bool = False) -> World:
    """The realistic world (and, with ``hostile``, markup in every feed-supplied text)."""
    engine = make_engine(db_url)
    world = World()
    now = store.utcnow()
    feeds = list(FEEDS)
    if hostile:
        feeds.append(FeedConfig(url="https://hostile.example.net/rss", name=HOSTILE_TITLE))
    with engine.begin() as conn:
        store.sync_feeds(conn, feeds, now - timedelta(days=3))
        for row in store.all_feeds(conn):
            world.feed_ids[row.name] = int(row.id)
        store.update_feed(conn, world.feed_ids["Kyiv Wire"], last_status=200,
                          last_polled_at=now - timedelta(minutes=4),
                          last_success_at=now - timedelta(minutes=4),
                          next_poll_at=now + timedelta(minutes=11), items_per_day=38.5)
        store.update_feed(conn, world.feed_ids["Baltic Desk"], last_error_kind="timeout",
                          last_error=f"GET https://balticdesk.example.net/feed?apikey={FEED_KEY} "
                                     "timed out after 30s", error_count=3,
                          last_polled_at=now - timedelta(minutes=2),
                          last_success_at=now - timedelta(hours=5),
                          next_poll_at=now + timedelta(minutes=20), items_per_day=12.0)
        if history:
            _history(conn, world, now)
        t0 = now - timedelta(hours=3)
        _article(conn, world, "hit1", "Kyiv Wire",
                 "Iranian Shahed drones shipped to Russia via Caspian port, officials say",
                 seen=t0, score=0.81, explanation=EXPLANATION_HIT)
        _article(conn, world, "hit2", "Caspian Monitor",
                 "Cargo of Shahed-136 drones reached Makhachkala, port records show",
                 seen=t0 + timedelta(minutes=40), score=0.74, explanation=EXPLANATION_HIT)
        _article(conn, world, "hit3", "Baltic Desk", "Drone shipments to Russia continue",
                 seen=t0 + timedelta(minutes=75), score=0.66, explanation=EXPLANATION_HIT)
        _story(conn, world, "hit", [("hit1", "Kyiv Wire"), ("hit2", "Caspian Monitor"),
                                    ("hit3", "Baltic Desk")])
        _article(conn, world, "near1", "Kyiv Wire",
                 "Tehran denies arms transfers as Iranian minister visits Moscow",
                 seen=now - timedelta(hours=2), score=0.52, explanation=EXPLANATION_NEAR)
        _story(conn, world, "near", [("near1", "Kyiv Wire")])
        _article(conn, world, "low1", "Baltic Desk", "Baltic ferry timetable changes for winter",
                 seen=now - timedelta(hours=1), score=0.08, explanation=EXPLANATION_LOW)
        _story(conn, world, "low", [("low1", "Baltic Desk")])
        store.claim_story_alert(conn, subscription_id="desk-slack", story_id=world.stories["hit"],
                                outlet_count=1, score=0.81, now=t0 + timedelta(minutes=1))
        _delivery(conn, world, "sent", subscription="desk-slack", article="hit1", channel="slack",
                  status="sent", now=t0, sent_at=t0 + timedelta(seconds=95), last_status="200")
        _delivery(conn, world, "failed", subscription="analyst-mail", article="hit1",
                  channel="email", status="failed", now=t0,
                  last_status="550", last_error=f"550 mailbox unavailable (via {SLACK_SECRET})")
        _delivery(conn, world, "held", subscription="desk-slack", article="hit2", channel="slack",
                  status="held", now=t0 + timedelta(minutes=41))
        if hostile:
            _article(conn, world, "evil", HOSTILE_TITLE, HOSTILE_TITLE,
                     seen=now - timedelta(minutes=30), score=0.9, url="javascript:alert(3)",
                     explanation={"summary": HOSTILE_TITLE, "evidence": [f"Iran: {HOSTILE_TITLE}"],
                                  "passage": {"text": HOSTILE_TITLE, "source": HOSTILE_TITLE},
                                  "penalties": [HOSTILE_TITLE]})
            _story(conn, world, "evil", [("evil", HOSTILE_TITLE)])
            _delivery(conn, world, "evil", subscription="desk-slack", article="evil",
                      channel="slack", status="failed", now=now, last_error=HOSTILE_TITLE)
    engine.dispose()
    return world
