"""CLI commands of the notify area; newswatch.cli registers everything in COMMANDS.

    newswatch subscriptions list              each subscription, its last delivery and failures
    newswatch notify test SUBSCRIPTION_ID     a clearly marked test message through the real channel
    newswatch deliveries list [--failed]      the delivery ledger, newest first
    newswatch deliveries retry ID|--all-failed  send failed deliveries again
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from newswatch.options import config_option, open_context
from shared import jobs
from shared.durations import format_duration
from shared.exceptions import DeliveryError, NewswatchError
from shared.queue import InlineQueue

if TYPE_CHECKING:  # SQLAlchemy and the channels load with the commands that use them
    from shared.config import SubscriptionConfig
    from shared.context import AppContext

LIST_LIMIT = 50
TITLE_WIDTH = 50
ERROR_WIDTH = 70
TEST_EXPLANATION = {
    "summary": "This is what the explanation of a real alert looks like",
    "evidence": ["actors: example", "transfer: example"],
}


def _context(config_path: Path | None) -> AppContext:
    try:
        return open_context(config_path)
    except NewswatchError as exc:
        raise click.ClickException(str(exc)) from exc


def _when(moment: datetime | None) -> str:
    from shared import store

    value = store.as_utc(moment)
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


def _clip(text: str | None, width: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


@click.group("subscriptions")
def subscriptions_group() -> None:
    """Subscriptions: who is told what, and how it went."""


@subscriptions_group.command("list")
@config_option
def subscriptions_list(config_path: Path | None) -> None:
    """Each subscription with channel, mode, topics, last delivery, sent/failed/waiting counts."""
    from shared import store

    ctx = _context(config_path)
    with ctx.engine.connect() as conn:
        stats = store.subscription_stats(conn)
    if not ctx.config.subscriptions:
        click.echo("no subscriptions configured (add them under `subscriptions:` in the config)")
        return
    click.echo(f"{'id':20}  {'channel':8}  {'mode':16}  {'last sent':16}  {'sent':>5}  "
               f"{'failed':>6}  {'waiting':>7}  topics")
    for sub in ctx.config.subscriptions:
        stat = stats.get(sub.id)
        mode = _mode(sub)
        click.echo(
            f"{sub.id:20}  {sub.channel:8}  {mode:16}  "
            f"{_when(stat.last_sent_at) if stat else '-':16}  {stat.sent if stat else 0:>5}  "
            f"{stat.failed if stat else 0:>6}  {stat.waiting if stat else 0:>7}  "
            f"{', '.join(sub.topics)}"
        )


def _mode(sub: SubscriptionConfig) -> str:
    if sub.digest is None:
        return "instant"
    if sub.digest.every is not None:
        return f"digest {format_duration(sub.digest.every)}"
    return f"digest {sub.digest.at} {sub.digest.tz}"


@click.group("notify")
def notify_group() -> None:
    """Send notifications by hand."""


@notify_group.command("test")
@click.argument("subscription_id")
@config_option
def notify_test(subscription_id: str, config_path: Path | None) -> None:
    """Send a clearly marked [TEST] alert through the subscription's real channel."""
    from services.notifier import senders
    from services.notifier.render import Alert
    from shared import store

    ctx = _context(config_path)
    subscription = ctx.config.subscription(subscription_id)
    if subscription is None:
        known = ", ".join(s.id for s in ctx.config.subscriptions) or "none"
        raise click.ClickException(f"no subscription {subscription_id!r} (known: {known})")
    now = store.utcnow()
    alert = Alert(
        subscription_id=subscription.id, article_id=0,
        title="newswatch test alert: if you can read this, the channel works",
        url="https://example.org/newswatch-test", outlet="newswatch", published_at=now,
        first_seen_at=now, topic_id=subscription.topics[0], topic_name=subscription.topics[0],
        score=1.0, explanation=TEST_EXPLANATION, test=True,
    )
    try:
        channel = senders.channel_for(ctx, subscription)
        receipt = channel.send(alert, f"test-{int(now.timestamp())}", now)
    except DeliveryError as exc:
        raise click.ClickException(f"test message to {subscription.id} failed: {exc}") from exc
    click.echo(f"test message sent to {subscription.id} via {subscription.channel}: "
               f"{receipt.status} {receipt.detail}".rstrip())


@click.group("deliveries")
def deliveries_group() -> None:
    """The delivery ledger: what went out, what failed, and re-sending."""


@deliveries_group.command("list")
@click.option("--failed", is_flag=True, help="Only permanently failed deliveries.")
@click.option("--subscription", "subscription_id", default=None, help="Only this subscription.")
@click.option("--limit", default=LIST_LIMIT, show_default=True, type=click.IntRange(1, 10000))
@config_option
def deliveries_list(
    failed: bool, subscription_id: str | None, limit: int, config_path: Path | None
) -> None:
    """Deliveries newest first: status, attempts, last reply and error."""
    from shared import store

    ctx = _context(config_path)
    with ctx.engine.connect() as conn:
        rows = store.list_deliveries(conn, status="failed" if failed else None,
                                     subscription_id=subscription_id, limit=limit)
        unknown = store.outcome_unknown(conn, [row.id for row in rows])
    if not rows:
        click.echo("no failed deliveries" if failed else "no deliveries yet")
        return
    click.echo(f"{'id':>6}  {'subscription':16}  {'status':8}  {'tries':>5}  {'sent':16}  "
               f"{'reply':6}  article / last error")
    for row in rows:
        click.echo(f"{row.id:>6}  {_clip(row.subscription_id, 16):16}  {row.status:8}  "
                   f"{row.attempts:>5}  {_when(row.sent_at):16}  {row.last_status or '-':6}  "
                   f"{_clip(row.title, TITLE_WIDTH)}")
        if row.id in unknown:
            click.echo(f"{'':>6}  ↳ outcome unknown: a worker stopped mid-send; the receiver "
                       f"may have this {'twice' if row.status == 'sent' else 'already'}")
        if row.last_error and row.status != "sent":
            click.echo(f"{'':>6}  ↳ {_clip(row.last_error, ERROR_WIDTH)}")


@deliveries_group.command("retry")
@click.argument("delivery_id", type=int, required=False)
@click.option("--all-failed", is_flag=True, help="Retry every permanently failed delivery.")
@config_option
def deliveries_retry(delivery_id: int | None, all_failed: bool, config_path: Path | None) -> None:
    """Send failed deliveries again (alone, with a fresh retry budget)."""
    from shared import store

    if (delivery_id is None) == (not all_failed):
        raise click.UsageError("give a delivery ID or --all-failed (not both)")
    ctx = _context(config_path)
    now = store.utcnow()
    with ctx.engine.begin() as conn:
        ids = store.failed_delivery_ids(conn) if all_failed else [delivery_id or 0]
        retried = [i for i in ids if store.retry_delivery(conn, i, now)]
    if delivery_id is not None and not retried:
        raise click.ClickException(f"delivery {delivery_id} does not exist or has not failed")
    for retry_id in retried:
        ctx.queue.enqueue(jobs.DELIVER, retry_id)
    if isinstance(ctx.queue, InlineQueue):  # no worker in embedded mode: send from here
        ctx.queue.run_pending()
        with ctx.engine.connect() as conn:
            statuses = [store.get_delivery(conn, i) for i in retried]
        sent = sum(1 for row in statuses if row is not None and row.status == "sent")
        click.echo(f"retried {len(retried)} deliveries: {sent} sent now")
    else:
        click.echo(f"re-queued {len(retried)} deliveries for the notifier")


COMMANDS: list[click.Command] = [
    subscriptions_group, notify_group, deliveries_group,
]
