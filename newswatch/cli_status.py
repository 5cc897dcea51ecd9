"""`newswatch status`: is everything flowing? Servers, queues, failed jobs, the ledger.

Works while a server is down (that is when it is needed): each part says what it can.
"""

from __future__ import annotations

from pathlib import Path

import click

from newswatch.options import config_option

STATUS_ORDER = ("pending", "sending", "retry", "held", "queued", "sent", "failed")


@click.command("status")
@config_option
def status(config_path: Path | None) -> None:
    """Database, Redis queues (queued / failed jobs), unscored articles, deliveries by status."""
    from shared.config import load_config
    from shared.settings import get_settings
    from shared.topics import resolve_topics

    settings = get_settings()
    config = load_config(config_path)
    problems = _database(settings.resolved_database_url(), [t.id for t in resolve_topics(config)])
    if settings.redis_url:
        problems += _queues(settings.redis_url)
    else:
        click.echo("queue: in-process (embedded mode)")
    if problems:
        raise SystemExit(1)


def _database(url: str, topic_ids: list[str]) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from shared import store
    from shared.db import make_engine
    from shared.retry import describe

    engine = make_engine(url)
    where = engine.url.render_as_string(hide_password=True)
    try:
        with engine.connect() as conn:
            articles = store.count_articles(conn)
            unscored = len(store.unscored_article_ids(conn, topic_ids))
            counts = store.delivery_status_counts(conn)
            unknown = len(store.outcome_unknown(conn))
            unfinished = store.unfinished(conn, limit=1)
    except SQLAlchemyError as exc:
        click.echo(f"database: UNREACHABLE {where}: {describe(exc)}")
        return 1
    finally:
        engine.dispose()
    click.echo(f"database: ok {where}")
    click.echo(f"articles: {articles} stored, {unscored} not yet scored")
    shown = [f"{counts[s]} {s}" for s in STATUS_ORDER if counts.get(s)]
    line = f"deliveries: {', '.join(shown) or 'none'}"
    if unfinished and unfinished[0].next_attempt_at is not None:
        when = store.as_utc(unfinished[0].next_attempt_at)
        line += f"; next attempt {when:%Y-%m-%d %H:%M:%SZ}" if when else ""
    click.echo(line)
    if unknown:
        click.echo(f"  {unknown} with outcome unknown (a worker stopped mid-send; "
                   "see `newswatch deliveries list`)")
    return 0


def _queues(redis_url: str) -> int:
    from redis.exceptions import RedisError

    from shared import jobs
    from shared.queue import MAX_REQUEUES, RedisQueue, safe_url
    from shared.retry import describe

    queue = RedisQueue(redis_url)
    try:
        queue.connection.ping()
        lines = [f"  {name}: {queue.queued_jobs(name)} queued, {queue.failed_jobs(name)} failed"
                 for name in (jobs.CLASSIFY_QUEUE, jobs.NOTIFY_QUEUE)]
    except RedisError as exc:
        click.echo(f"redis: UNREACHABLE {safe_url(redis_url)}: {describe(exc)}")
        return 1
    click.echo(f"redis: ok {safe_url(redis_url)}")
    for line in lines:
        click.echo(line)
    click.echo("  (failed jobs are put back by their service, each up to "
               f"{MAX_REQUEUES} times; those left failed too often: `rq info`, service logs)")
    return 0


COMMANDS: list[click.Command] = [status]
