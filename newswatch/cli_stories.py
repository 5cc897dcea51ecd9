"""CLI commands of the stories area; newswatch.cli registers everything in COMMANDS."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click

from newswatch.options import config_option, open_context
from shared.durations import format_duration, parse_duration
from shared.exceptions import NewswatchError

DEFAULT_SINCE = "24h"
MAX_OUTLETS_SHOWN = 6


@click.group("stories")
def stories_group() -> None:
    """Stories: coverage of one event grouped across outlets."""


@stories_group.command("list")
@click.option("--topic", "topic_id", default=None,
              help="Only stories with an article at or above this topic's threshold.")
@click.option("--since", default=DEFAULT_SINCE, show_default=True,
              help="Stories seen within this long (e.g. 6h, 2d).")
@click.option("--limit", default=100, show_default=True, help="At most this many stories.")
@config_option
def list_command(topic_id: str | None, since: str, limit: int, config_path: Path | None) -> None:
    """Show recent stories, newest first, with their article counts and outlets."""
    from shared import store
    from shared.topics import resolve_topics

    try:
        span: timedelta = parse_duration(since)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from exc
    try:
        ctx = open_context(config_path, require_queue=False)
        threshold = None
        if topic_id is not None:
            topics = {t.id: t for t in resolve_topics(ctx.config)}
            if topic_id not in topics:
                raise click.ClickException(
                    f"unknown topic {topic_id!r}; known topics: {', '.join(topics)}")
            threshold = topics[topic_id].threshold
        with ctx.engine.connect() as conn:
            rows = store.list_stories(conn, since=store.utcnow() - span, topic_id=topic_id,
                                      min_score=threshold, limit=limit)
            outlets = store.story_outlets(conn, [row.id for row in rows])
    except NewswatchError as exc:
        raise click.ClickException(str(exc)) from exc
    if not rows:
        click.echo(f"no stories in the last {format_duration(span)}")
        return
    click.echo(f"{'id':>6}  {'first seen (UTC)':16}  {'arts':>4}  {'outlets':>7}  title")
    for row in rows:
        first = store.as_utc(row.first_seen_at)
        names = outlets.get(row.id, [])
        shown = ", ".join(names[:MAX_OUTLETS_SHOWN])
        more = f" +{len(names) - MAX_OUTLETS_SHOWN}" if len(names) > MAX_OUTLETS_SHOWN else ""
        click.echo(f"{row.id:>6}  {first:%Y-%m-%d %H:%M}  {row.article_count:>4}  "
                   f"{row.outlet_count:>7}  {row.title}")
        click.echo(f"{'':>6}  outlets: {shown}{more}")


COMMANDS: list[click.Command] = [stories_group]
