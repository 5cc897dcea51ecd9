"""/topics, /feeds, /deliveries (and its Retry action): how the machine is doing."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from redis.exceptions import RedisError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from services.web.charts import DayChart, day_chart
from services.web.pages_stories import NEAR_MISS
from services.web.redact import clean_text, public_url
from services.web.rendering import render
from services.web.security import checked_form
from services.web.state import state_of
from shared import jobs, store
from shared.exceptions import QueueError
from shared.queue import InlineQueue
from shared.topics import ResolvedTopic

log = logging.getLogger(__name__)

CHART_DAYS = 28
DELIVERY_LIMIT = 200
ITEMS_WINDOW = timedelta(days=7)


@dataclass
class TopicView:
    topic: ResolvedTopic
    chart: DayChart
    relevant: int
    not_relevant: int
    above: int  # stored articles scoring at or above the threshold
    near: int  # ... within NEAR_MISS under it


def topics_page(request: Request) -> HTMLResponse:
    state = state_of(request)
    now = store.utcnow()
    since = datetime.combine(now.date() - timedelta(days=CHART_DAYS - 1), datetime.min.time(),
                             tzinfo=now.tzinfo)
    views = []
    with state.ctx.engine.connect() as conn:
        counts = store.feedback_counts(conn)
        for topic in state.topics:
            above = store.count_scores_at_least(conn, {topic.id: topic.threshold})
            near = store.count_scores_at_least(
                conn, {topic.id: max(0.0, topic.threshold - NEAR_MISS)}) - above
            labels = counts.get(topic.id, {})
            views.append(TopicView(
                topic=topic, chart=day_chart(store.alerts_per_day(conn, topic.id, since),
                                             now.date(), CHART_DAYS),
                relevant=labels.get("relevant", 0), not_relevant=labels.get("not-relevant", 0),
                above=above, near=near))
    return render(request, "topics.html", {"title": "Topics", "views": views,
                                           "near_miss": NEAR_MISS, "days": CHART_DAYS})


@dataclass
class FeedView:
    id: int
    name: str
    url: str
    enabled: bool
    disabled_reason: str
    status: int | None
    last_polled_at: datetime | None
    last_success_at: datetime | None
    last_error: str
    error_kind: str
    error_count: int
    items_per_day: float | None
    seen_per_day: float
    next_poll_at: datetime | None
    warning: str

    @property
    def overdue(self) -> bool:
        return self.enabled and self.next_poll_at is not None and self.next_poll_at <= store.utcnow()


FEED_SORTS: dict[str, Any] = {
    "name": lambda f: f.name.lower(),
    "status": lambda f: (f.error_kind or "", f.status or 0),
    "last_success": lambda f: f.last_success_at,
    "errors": lambda f: f.error_count,
    "items": lambda f: f.items_per_day,
    "next_poll": lambda f: f.next_poll_at,
}


def _feed_view(row: Any, seen: int, secrets: list[str]) -> FeedView:
    url = public_url(row.url)
    return FeedView(
        id=int(row.id), name=row.name or row.title or url, url=url, enabled=bool(row.enabled),
        disabled_reason=clean_text(row.disabled_reason, secrets), status=row.last_status,
        last_polled_at=store.as_utc(row.last_polled_at),
        last_success_at=store.as_utc(row.last_success_at),
        last_error=clean_text(row.last_error, secrets), error_kind=row.last_error_kind or "",
        error_count=int(row.error_count or 0), items_per_day=row.items_per_day,
        seen_per_day=seen / ITEMS_WINDOW.days, next_poll_at=store.as_utc(row.next_poll_at),
        warning=clean_text(row.last_warning, secrets),
    )


def feeds_page(request: Request) -> HTMLResponse:
    state = state_of(request)
    sort = request.query_params.get("sort", "name")
    order = request.query_params.get("order", "asc")
    if sort not in FEED_SORTS or order not in ("asc", "desc"):
        raise HTTPException(400, f"sort must be one of {', '.join(FEED_SORTS)} and order asc|desc")
    with state.ctx.engine.connect() as conn:
        seen = store.feed_article_counts(conn, store.utcnow() - ITEMS_WINDOW)
        views = [_feed_view(r, seen.get(int(r.id), 0), state.secrets)
                 for r in store.all_feeds(conn)]
    key = FEED_SORTS[sort]
    present = [v for v in views if key(v) is not None]
    missing = [v for v in views if key(v) is None]  # unknown values last, either order
    present.sort(key=key, reverse=order == "desc")
    return render(request, "feeds.html", {
        "title": "Feeds", "feeds": present + missing, "sort": sort, "order": order,
        "sorts": list(FEED_SORTS),
    })


NOTICES = {
    "retried": "Delivery {id} is pending again: the notifier sends it next.",
    "not-failed": "Delivery {id} was not in the failed state: nothing changed.",
    "queue-down": "Delivery {id} is pending again; Redis did not answer, so the notifier's "
                  "next housekeeping tick enqueues it.",
}


def deliveries_page(request: Request) -> HTMLResponse:
    state = state_of(request)
    status = request.query_params.get("status", "")
    subscription = request.query_params.get("subscription", "")
    if status and status not in store.DELIVERY_STATUSES:
        raise HTTPException(400, f"status must be one of {', '.join(store.DELIVERY_STATUSES)}")
    if subscription and state.subscription(subscription) is None:
        raise HTTPException(400, f"unknown subscription {subscription!r}")
    notice = ""
    code, raw_id = request.query_params.get("notice", ""), request.query_params.get("id", "")
    if code in NOTICES and raw_id.isdigit():
        notice = NOTICES[code].format(id=int(raw_id))
    with state.ctx.engine.connect() as conn:
        rows = store.list_deliveries(conn, status=status or None,
                                     subscription_id=subscription or None, limit=DELIVERY_LIMIT)
        totals = {s: store.count_deliveries(conn, s) for s in store.DELIVERY_STATUSES}
    shown = [(row, clean_text(row.last_error, state.secrets)) for row in rows]
    return render(request, "deliveries.html", {
        "title": "Deliveries", "rows": shown, "status": status, "subscription": subscription,
        "statuses": store.DELIVERY_STATUSES, "subscriptions": state.subscriptions,
        "totals": totals, "notice": notice, "limit": DELIVERY_LIMIT,
    })


async def retry_delivery(request: Request) -> Response:
    """POST /deliveries/{id}/retry: a failed row goes out again with a fresh budget.

    With Redis the job is enqueued here; on the in-process queue the row is left pending and
    un-enqueued so the running `newswatch run` notifier tick sends it (the web process sends
    nothing itself).
    """
    state = state_of(request)
    await checked_form(request)
    delivery_id = int(request.path_params["delivery_id"])
    queue = state.ctx.queue
    inline = isinstance(queue, InlineQueue)

    def retry() -> bool:
        with state.ctx.engine.begin() as conn:
            if store.get_delivery(conn, delivery_id) is None:
                raise HTTPException(404, f"no delivery {delivery_id}")
            return store.retry_delivery(conn, delivery_id, store.utcnow(), enqueued=not inline)

    done = await run_in_threadpool(retry)
    code = "retried" if done else "not-failed"
    if done and not inline:
        try:
            await run_in_threadpool(queue.enqueue, jobs.DELIVER, delivery_id)
        except (QueueError, RedisError) as exc:  # pending in the DB: the tick re-enqueues it
            log.warning("web: retry of delivery %d not enqueued: %s", delivery_id, exc)
            code = "queue-down"
    return RedirectResponse(f"/deliveries?status=failed&notice={code}&id={delivery_id}",
                            status_code=303)
