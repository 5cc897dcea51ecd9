"""The notifier's jobs: ``deliver(delivery_id)`` and ``send_digest(digest_id)``.

Jobs are at-least-once (RQ may run one twice; tick re-enqueues what looks lost); the ledger
makes the effect exactly-once. A job first *claims* its row (pending/retry -> sending, with a
lease and a token) in its own short transaction, sends outside any transaction, then settles
the row only if it still holds the token. A duplicate job finds nothing to claim; a killed
worker's row is reclaimed by ``service.tick`` once its lease expires.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, Row

from services.notifier import policy, senders
from services.notifier.channels import Receipt
from services.notifier.liveness import current_owner
from services.notifier.render import (
    OTHERS_SHOWN,
    Alert,
    Batch,
    BatchKind,
    Message,
    Story,
    StoryLink,
)
from shared import store
from shared.config import SubscriptionConfig
from shared.context import AppContext, get_context
from shared.exceptions import (
    ConfigError,
    DeliveryError,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from shared.feedback_tokens import feedback_url_from_settings
from shared.retry import call_with_retry, transient_retry
from shared.settings import Settings
from shared.topics import resolve_topics

log = logging.getLogger(__name__)

_TOPIC_NAMES_KEY = "notifier.topic_names"
STORY_ARTICLES = 50  # members read per story: enough to find OTHERS_SHOWN other outlets
SETTLE_BUDGET = 120.0  # seconds the bookkeeping after a send waits for the database (< lease)


@transient_retry
def deliver(delivery_id: int) -> None:
    """RQ job: send one alert (idempotent)."""
    deliver_with(get_context(), delivery_id)


@transient_retry
def send_digest(digest_id: int) -> None:
    """RQ job: send one digest or summary (idempotent)."""
    send_digest_with(get_context(), digest_id)


@dataclass(frozen=True)
class Claim:
    """What a job holds while sending: the token and the retry-budget facts."""

    row_id: int
    token: str
    subscription_id: str
    attempt: int  # this send's number, 1-based
    first_attempt_at: datetime


def deliver_with(ctx: AppContext, delivery_id: int) -> str | None:
    """Claim, apply holds, send, settle. Returns the new status, None if not ours to send."""
    now = store.utcnow()
    with ctx.engine.begin() as conn:
        token = store.claim_delivery(conn, delivery_id, now, ctx.config.notifier.lease,
                                     owner=current_owner())
        if token is None:
            log.debug("delivery %d not claimable (done, held or taken)", delivery_id)
            return None
        row = store.get_delivery(conn, delivery_id)
        assert row is not None
        claim = _claim(row, token, now)
        subscription = find_subscription(ctx, row.subscription_id)
        hold = _hold(conn, subscription, now) if subscription else None
        if hold is not None:
            until, reason = hold
            store.finish_delivery(conn, delivery_id, token, status="held", hold_reason=reason,
                                  next_attempt_at=until, enqueued_at=None,
                                  first_attempt_at=None)  # a hold does not spend retry budget
            log.info("delivery %d held (%s) until %s", delivery_id, reason, until.isoformat())
            return "held"
        alert_row = store.delivery_alert(conn, delivery_id)
        blocks = story_blocks(conn, [alert_row] if alert_row is not None else [])
    if subscription is None or alert_row is None:
        missing = "subscription is no longer configured" if subscription is None else (
            "article is gone")
        return _settle(ctx, "delivery", claim, PermanentDeliveryError(missing), 0)
    alert = alert_from_row(alert_row, topic_names(ctx), blocks, ctx.settings)
    return _send(ctx, "delivery", claim, subscription, alert, f"delivery-{delivery_id}")


def send_digest_with(ctx: AppContext, digest_id: int) -> str | None:
    now = store.utcnow()
    with ctx.engine.begin() as conn:
        token = store.claim_digest(conn, digest_id, now, ctx.config.notifier.lease,
                                   owner=current_owner())
        if token is None:
            log.debug("digest %d not claimable (done or taken)", digest_id)
            return None
        row = store.get_digest(conn, digest_id)
        assert row is not None
        claim = _claim(row, token, now)
        rows = store.digest_alerts(conn, digest_id)
        if not rows:  # an empty digest is not sent
            store.finish_digest(conn, digest_id, token, status="empty")
            return "empty"
        blocks = story_blocks(conn, rows)
    subscription = find_subscription(ctx, row.subscription_id)
    if subscription is None:
        error = PermanentDeliveryError("subscription is no longer configured")
        return _settle(ctx, "digest", claim, error, 0)
    names = topic_names(ctx)
    kind: BatchKind = "summary" if row.kind == "summary" else "digest"
    alerts = [alert_from_row(r, names, blocks, ctx.settings) for r in rows]
    batch = Batch(subscription.id, kind, alerts, digest_id)
    return _send(ctx, "digest", claim, subscription, batch, f"digest-{digest_id}")


def find_subscription(ctx: AppContext, subscription_id: str) -> SubscriptionConfig | None:
    """The subscription, re-reading the config first if this process does not know it yet.

    The classifier may see a new subscription (and route to it) before this process's
    periodic look at the config file; only after a forced reload is "not configured" final.
    """
    subscription = ctx.config.subscription(subscription_id)
    if subscription is not None:
        return subscription
    try:
        ctx.reload_config()
    except ConfigError as exc:
        log.error("config reload failed, keeping the previous one: %s", exc)
    return ctx.config.subscription(subscription_id)


def _claim(row: Row[Any], token: str, now: datetime) -> Claim:
    return Claim(
        row_id=int(row.id), token=token, subscription_id=row.subscription_id,
        attempt=int(row.attempts) + 1, first_attempt_at=store.as_utc(row.first_attempt_at) or now,
    )


def _hold(
    conn: Connection, subscription: SubscriptionConfig, now: datetime
) -> tuple[datetime, str] | None:
    """Quiet hours first, then max_per_hour: both hold the alert for a later summary."""
    until = policy.quiet_until(subscription.quiet_hours, now)
    if until is not None:
        return until, "quiet_hours"
    if subscription.max_per_hour is not None:
        since = now - policy.RATE_WINDOW
        sent = store.messages_sent_since(conn, subscription.id, since)
        until = policy.rate_hold_until(subscription.max_per_hour, sent, now)
        if until is not None:
            return until, "rate"
    return None


def _send(
    ctx: AppContext, table: str, claim: Claim, subscription: SubscriptionConfig,
    message: Message, key: str,
) -> str:
    started = time.monotonic()
    try:
        channel = senders.channel_for(ctx, subscription)
        if not _renew(ctx, table, claim):
            return "lost"
        receipt = channel.send(message, key, store.utcnow())
    except DeliveryError as exc:
        return _settle(ctx, table, claim, exc, _ms(started))
    except Exception as exc:  # noqa: BLE001 - a rendering bug must not strand the lease
        log.exception("%s %d crashed while sending; retrying later", table, claim.row_id)
        error = TransientDeliveryError(f"internal error: {type(exc).__name__}")
        return _settle(ctx, table, claim, error, _ms(started))
    return _settle(ctx, table, claim, receipt, _ms(started))


def _renew(ctx: AppContext, table: str, claim: Claim) -> bool:
    """The lease restarts now, before the send: a slow start (imports, a loaded machine)
    must not let the housekeeping tick hand the row to another worker while this one sends
    it too. A claim already lost is not sent here (the worker that took it sends it)."""
    with ctx.engine.begin() as conn:
        renewed = store.renew_claim(conn, table, claim.row_id, claim.token, store.utcnow(),
                                    ctx.config.notifier.lease)
    if not renewed:
        log.warning("%s %d lease lost before sending; left to the worker that took it",
                    table, claim.row_id)
    return renewed


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _settle(
    ctx: AppContext, table: str, claim: Claim, outcome: Receipt | DeliveryError, duration_ms: int
) -> str:
    """Record the attempt and move the row on, in one transaction, if the lease is still ours."""
    now = store.utcnow()
    config = ctx.config.notifier
    values: dict[str, Any] = {"attempts": claim.attempt}
    if isinstance(outcome, Receipt):
        status, kind, detail = "sent", "sent", outcome.detail or None
        values.update(status="sent", sent_at=now, last_status=outcome.status, last_error=None)
        code: str | None = outcome.status
    else:
        code, detail = outcome.status, str(outcome)
        values.update(last_status=code, last_error=detail)
        if isinstance(outcome, TransientDeliveryError):
            kind = "transient"
            retry_at = now + policy.retry_delay(claim.attempt, outcome.retry_after, config)
            if policy.budget_spent(claim.first_attempt_at, retry_at, config):
                status = "failed"
                values["last_error"] = (f"gave up after {claim.attempt} attempts over "
                                        f"{_age(now - claim.first_attempt_at)}: {detail}")
            else:
                status = "retry"
                values.update(next_attempt_at=retry_at, enqueued_at=None)
        else:
            kind, status = "permanent", "failed"
        values["status"] = status
    tries = 0

    def bookkeeping() -> bool:
        """The settling transaction; False when the lease was lost. Retried on a database
        outage: a row left 'sending' would be reclaimed after its lease and sent again."""
        nonlocal tries
        tries += 1
        with ctx.engine.begin() as conn:
            finish = store.finish_delivery if table == "delivery" else store.finish_digest
            if not finish(conn, claim.row_id, claim.token, **values):
                # A retry after a commit whose reply was lost finds its own work done.
                return tries > 1 and _already_settled(conn, table, claim.row_id, status)
            store.record_attempt(
                conn, delivery_id=claim.row_id if table == "delivery" else None,
                digest_id=claim.row_id if table == "digest" else None, outcome=kind, now=now,
                status=code, detail=detail, duration_ms=duration_ms,
            )
            if table == "digest" and status in ("sent", "failed"):
                extra = ({"sent_at": now} if status == "sent"
                         else {"last_error": values["last_error"]})
                store.finish_batch_items(conn, claim.row_id, status=status, **extra)
        return True

    budget = min(SETTLE_BUDGET, config.lease.total_seconds() * 0.8)
    if not call_with_retry(bookkeeping, what=f"settling {table} {claim.row_id}", budget=budget):
        log.warning("%s %d lease lost before settling; outcome %s not applied",
                    table, claim.row_id, kind)
        return "lost"
    log_level = logging.INFO if status == "sent" else logging.WARNING
    log.log(log_level, "%s %d %s subscription=%s attempt=%d status=%s%s", table, claim.row_id,
            status, claim.subscription_id, claim.attempt, code,
            "" if status == "sent" else f" error={values['last_error']}")
    return status


def _already_settled(conn: Connection, table: str, row_id: int, status: str) -> bool:
    row = store.get_delivery(conn, row_id) if table == "delivery" else store.get_digest(conn, row_id)
    return row is not None and row.status == status and row.claim_token is None


def _age(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"


def topic_names(ctx: AppContext) -> dict[str, str]:
    """Topic names of the current config; cached with the config they came from, so names
    computed from a config a reload replaced meanwhile are not kept for the new one."""
    config = ctx.config
    cached = ctx.cache.get(_TOPIC_NAMES_KEY)
    if isinstance(cached, tuple) and cached[0] is config:
        names: dict[str, str] = cached[1]
        return names
    names = {topic.id: topic.name for topic in resolve_topics(config)}
    ctx.cache[_TOPIC_NAMES_KEY] = (config, names)
    return names


def story_blocks(conn: Connection, rows: Sequence[Row[Any]]) -> dict[int, dict[str, Any]]:
    """The stories of these alert rows as they stand now (read at send time, so a digest or
    an update counts the outlets that joined after the first article)."""
    ids = [int(row.story_id) for row in rows if row.story_id is not None]
    return store.story_blocks(conn, ids, limit=STORY_ARTICLES)


def story_view(block: Mapping[str, Any], article_id: int, outlet: str) -> Story | None:
    """The story as one alert tells it: the others are one article per *other* outlet."""
    first_seen = block.get("first_seen_at")
    if not first_seen:
        return None
    seen_outlets = {outlet}
    others: list[StoryLink] = []
    for item in block.get("articles", []):
        if len(others) >= OTHERS_SHOWN:
            break
        if item["article_id"] == article_id or item["outlet"] in seen_outlets:
            continue
        seen_outlets.add(item["outlet"])
        others.append(StoryLink(str(item["outlet"]), str(item["title"] or ""), item["url"]))
    return Story(
        story_id=int(block["id"]), first_seen_at=datetime.fromisoformat(first_seen),
        first_outlet=str(block.get("first_outlet") or outlet),
        outlet_count=int(block["outlet_count"]), article_count=int(block["article_count"]),
        others=tuple(others),
    )


def alert_from_row(
    row: Row[Any], names: Mapping[str, str],
    blocks: Mapping[int, Mapping[str, Any]] | None = None, settings: Settings | None = None,
) -> Alert:
    """An alert from a ``store.delivery_alert`` row; ``blocks`` from ``story_blocks``."""
    explanation = row.explanation if isinstance(row.explanation, Mapping) else {}
    outlet = row.feed_name or row.feed_title or urlsplit(row.feed_url or "").hostname or "unknown"
    first_seen = store.as_utc(row.first_seen_at)
    assert first_seen is not None
    block = (blocks or {}).get(row.story_id) if row.story_id is not None else None
    story = story_view(block, int(row.article_id), outlet) if block else None
    return Alert(
        subscription_id=row.subscription_id, article_id=int(row.article_id),
        title=row.title or "", url=row.url, outlet=outlet,
        published_at=store.as_utc(row.published_at), first_seen_at=first_seen,
        topic_id=row.topic_id, topic_name=names.get(row.topic_id, row.topic_id),
        score=float(row.score), explanation=explanation, delivery_id=int(row.delivery_id),
        update=row.kind == "update", story=story,
        feedback_url=feedback_url_from_settings(
            settings, int(row.article_id), row.topic_id, now=store.utcnow()) if settings else None,
    )
