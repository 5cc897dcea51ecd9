"""Store: deliveries (SQL over a caller-owned Connection; see shared/store/__init__.py)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, and_, func, literal, or_, select, union_all, update

from shared.models import articles, deliveries, delivery_attempts, digests, feeds, scores
from shared.store.base import _insert, as_utc

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


def _update_claimed(
    conn: Connection, table: Any, row_id: int, token: str, values: dict[str, Any],
) -> bool:
    """Update a row only while ``token``'s claim holds it; False once the claim was lost."""
    result = conn.execute(
        update(table)
        .where(table.c.id == row_id, table.c.status == "sending", table.c.claim_token == token)
        .values(**values)
    )
    return result.rowcount == 1


def _finish(conn: Connection, table: Any, row_id: int, token: str, values: dict[str, Any]) -> bool:
    return _update_claimed(conn, table, row_id, token,
                           {"lease_until": None, "claim_token": None, **values})


def _table(kind: str) -> Any:
    return deliveries if kind == "delivery" else digests


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


def renew_claim(
    conn: Connection, kind: str, row_id: int, token: str, now: datetime, lease: timedelta,
) -> bool:
    """Restart a claim's lease just before the send, so the lease covers the send itself,
    not the preparation before it (a worker's first job imports its channel's libraries).
    False when the claim was lost meanwhile (reclaimed and maybe sent by another worker):
    then the caller must not send."""
    return _update_claimed(conn, _table(kind), row_id, token, {"lease_until": now + lease})


def reclaim_orphan(conn: Connection, kind: str, row_id: int, token: str, now: datetime) -> bool:
    """A 'sending' row whose owner process is known dead: back to retry now ('lost')."""
    table = _table(kind)
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
