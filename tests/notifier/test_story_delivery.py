"""The notifier reads each alert's story from the database at send time (real PostgreSQL, real
HTTP receiver): digests name every outlet the story has by then, updates link the others."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from services.notifier import jobs, service
from shared import store
from shared.config import FeedConfig
from shared.context import AppContext

from .conftest import Receiver
from .world import EXPLANATION, make_config, make_context

OUTLETS = {
    "alpha": FeedConfig(url="https://alpha.example.com/rss.xml", name="Alpha Daily"),
    "beta": FeedConfig(url="https://beta.example.org/feed", name="Beta Times"),
    "gamma": FeedConfig(url="https://gamma.example.net/news.rss", name="Gamma <!channel> News"),
}


@dataclass(frozen=True)
class Piece:
    key: str
    outlet: str
    title: str
    url: str
    age: timedelta


# One event, three outlets; Alpha reports it twice. Gamma's copy carries hostile text.
PIECES = [
    Piece("a1", "alpha", "Iranian freighter unloads drone parts at Astrakhan",
          "https://alpha.example.com/world/astrakhan-freighter", timedelta(hours=3)),
    Piece("b1", "beta", "Drone kits from Iran reach Russian Caspian port, officials say",
          "https://beta.example.org/2026/03/caspian-drone-kits?utm_source=rss&id=4", timedelta(hours=1)),
    Piece("a2", "alpha", "Astrakhan freighter: what we know",
          "https://alpha.example.com/world/astrakhan-explainer", timedelta(minutes=30)),
    Piece("g1", "gamma", "Caspian shipment\n<!here> confirmed", "javascript:alert(1)",
          timedelta(minutes=10)),
]


def _world(ctx: AppContext, now: datetime) -> dict[str, int]:
    """Feeds, articles, scores and one story holding all four pieces; returns article ids."""
    ids: dict[str, int] = {}
    with ctx.engine.begin() as conn:
        store.sync_feeds(conn, list(OUTLETS.values()), now)
        feed_ids = {f.url: f.id for f in store.all_feeds(conn)}
        story_id = 0
        for piece in PIECES:
            digest = hashlib.sha256(piece.key.encode()).hexdigest()
            seen = now - piece.age
            article_id, _ = store.upsert_article(
                conn, feed_ids[OUTLETS[piece.outlet].url], store.NewArticle(
                    identity=digest[:32], content_hash=digest, title=piece.title,
                    summary="Cargo unloaded.", url=piece.url, published_at=seen), now)
            store.save_score(conn, article_id, "axis", 0.8, EXPLANATION, digest, now)
            if not story_id:
                story_id = store.create_story(conn, title=piece.title, first_article_id=article_id,
                                              seen_at=seen)
            store.add_story_member(
                conn, article_id=article_id, story_id=story_id, outlet=str(OUTLETS[piece.outlet].name),
                reason="new" if piece.key == "a1" else "same_event", matched_article_id=None,
                similarity=0.5, seen_at=seen)
            ids[piece.key] = article_id
        ids["story"] = story_id
    return ids


def _delivery(ctx: AppContext, sub: str, article_id: int, story_id: int, *, score: float,
              kind: str, mode: str, channel: str, now: datetime) -> int:
    with ctx.engine.begin() as conn:
        delivery_id = store.create_delivery(
            conn, subscription_id=sub, article_id=article_id, topic_id="axis", score=score,
            channel=channel, mode=mode, status="queued" if mode == "digest" else "pending",
            now=now, story_id=story_id, kind=kind)
    assert delivery_id is not None
    return delivery_id


def _texts(payload: dict[str, Any]) -> str:
    """Every text field of a Block Kit message (sections, headers, context elements)."""
    found = [b["text"]["text"] for b in payload["blocks"] if "text" in b]
    found += [e["text"] for b in payload["blocks"] for e in b.get("elements", [])]
    return "\n".join(found)


def test_digest_lists_the_story_once_with_all_its_outlets(
    pg_clean: str, receiver: Receiver
) -> None:
    sub = {"id": "morning", "topics": ["axis"], "digest": {"every": "1h"},
           "slack": {"webhook_url": receiver.url + "/hook"}}
    ctx = make_context(pg_clean, make_config([sub]))
    now = store.utcnow()
    ids = _world(ctx, now)
    _delivery(ctx, "morning", ids["a1"], ids["story"], score=0.7, kind="alert", mode="digest",
              channel="slack", now=now)
    _delivery(ctx, "morning", ids["b1"], ids["story"], score=0.9, kind="update", mode="digest",
              channel="slack", now=now)
    service.tick(ctx)
    ctx.queue.run_pending()  # type: ignore[attr-defined]
    (post,) = receiver.ok()
    payload = json.loads(post.body)
    text = _texts(payload)
    assert payload["text"] == "newswatch digest: 2 alerts in 1 story"
    assert text.count("• `") == 1  # one story entry, led by its best-scoring article
    assert "• `0.90` <https://beta.example.org/2026/03/caspian-drone-kits?utm_source=rss&amp;id=4|" \
           "Drone kits from Iran" in text
    assert "First seen 3 h ago at *Alpha Daily* · reported by *3 outlets* so far" in text
    assert ("*Also reported by:* <https://alpha.example.com/world/astrakhan-freighter|Alpha Daily>,"
            " Gamma &lt;!channel&gt; News") in text
    assert "explainer" not in text  # one link per other outlet: Alpha's first article
    assert "<!channel>" not in post.body.decode() and "javascript" not in post.body.decode()


def test_update_by_webhook_carries_the_story_and_links_the_others(
    pg_clean: str, receiver: Receiver
) -> None:
    subs = [{"id": "hook", "topics": ["axis"], "webhook": {"url": receiver.url + "/in"}},
            {"id": "desk", "topics": ["axis"], "slack": {"webhook_url": receiver.url + "/s"}}]
    ctx = make_context(pg_clean, make_config(subs))
    now = store.utcnow()
    ids = _world(ctx, now)
    update = _delivery(ctx, "hook", ids["b1"], ids["story"], score=0.9, kind="update",
                       mode="instant", channel="webhook", now=now)
    first = _delivery(ctx, "desk", ids["a1"], ids["story"], score=0.8, kind="alert",
                      mode="instant", channel="slack", now=now)
    assert jobs.deliver_with(ctx, update) == "sent"
    assert jobs.deliver_with(ctx, first) == "sent"
    hook, slack = (json.loads(r.body) for r in receiver.ok())
    assert hook["schema"] == "newswatch.alert/v1" and hook["update"] is True
    story = hook["story"]
    assert (story["id"], story["first_outlet"], story["outlet_count"], story["article_count"]) == (
        ids["story"], "Alpha Daily", 3, 4)
    assert story["others"] == [
        {"outlet": "Alpha Daily", "title": PIECES[0].title, "url": PIECES[0].url},
        {"outlet": "Gamma <!channel> News", "title": PIECES[3].title, "url": None},
    ]
    assert datetime.fromisoformat(story["first_seen_at"]) == now - PIECES[0].age
    text = _texts(slack)
    assert "First seen 3 h ago at *Alpha Daily* · reported by *3 outlets* so far" in text
    assert "Also reported by" not in text  # a first alert: the others come with updates


def test_batched_story_blocks_match_the_single_form(pg_clean: str) -> None:
    ctx = make_context(pg_clean, make_config([]))
    ids = _world(ctx, store.utcnow())
    with ctx.engine.connect() as conn:
        batched = store.story_blocks(conn, [ids["story"], ids["story"], 999_999])
        assert batched == {ids["story"]: store.story_block(conn, ids["story"])}
        assert store.story_blocks(conn, []) == {}
