"""Which subscriptions an article's scores reach, as delivery-ledger rows."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Connection, Row

from services.classifier.dedup_assign import story_gate
from shared import store
from shared.config import AppConfig, SubscriptionConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Match:
    topic_id: str
    score: float


def best_match(
    subscription: SubscriptionConfig, scores: Mapping[str, float], thresholds: Mapping[str, float]
) -> Match | None:
    """The subscription's highest-scoring topic that clears its bar, if any."""
    best: Match | None = None
    for topic_id in subscription.topics:
        score = scores.get(topic_id)
        if score is None:
            continue
        bar = subscription.min_score if subscription.min_score is not None else thresholds[topic_id]
        if score >= bar and (best is None or score > best.score):
            best = Match(topic_id, score)
    return best


def feed_allowed(subscription: SubscriptionConfig, article: Row[Any]) -> bool:
    rules = subscription.feeds
    if rules is None:
        return True
    names = [v for v in (article.feed_url, article.feed_name, article.feed_title) if v]

    def hit(patterns: list[str]) -> bool:
        return any(p.lower() in n.lower() for p in patterns for n in names)

    if rules.include and not hit(rules.include):
        return False
    return not (rules.exclude and hit(rules.exclude))


def too_old(config: AppConfig, article: Row[Any], now: datetime) -> bool:
    """Backlog guard: items published (or first seen) before alert_max_age never alert."""
    if not config.alert_max_age:
        return False
    when = store.as_utc(article.published_at) or store.as_utc(article.first_seen_at)
    return when is not None and now - when > config.alert_max_age


def create_deliveries(
    conn: Connection, config: AppConfig, article: Row[Any], scores: Mapping[str, float],
    thresholds: Mapping[str, float], now: datetime, story_id: int | None = None,
) -> list[int]:
    """Ledger rows for every matching subscription; returns the instant ones to enqueue."""
    if too_old(config, article, now):
        log.debug("article %s older than alert_max_age: stored, not alerted", article.id)
        return []
    instant: list[int] = []
    for subscription in config.subscriptions:
        match = best_match(subscription, scores, thresholds)
        if match is None or not feed_allowed(subscription, article):
            continue
        if store.delivery_exists(conn, subscription.id, article.id):
            continue  # a rerun of this job: the ledger already has it
        kind: Literal["alert", "update"] = "alert"
        if story_id is not None:
            # One alert per story: later articles attach, or send one marked update.
            gated = story_gate(conn, config.stories, subscription_id=subscription.id,
                               story_id=story_id, score=match.score, now=now)
            if gated is None:
                continue
            kind = gated
        digest = subscription.mode == "digest"
        delivery_id = store.create_delivery(
            conn, subscription_id=subscription.id, article_id=article.id, topic_id=match.topic_id,
            score=match.score, channel=subscription.channel, mode=subscription.mode,
            status="queued" if digest else "pending", now=now, story_id=story_id, kind=kind,
        )
        if delivery_id is not None and not digest:
            instant.append(delivery_id)
    return instant
