"""CLI commands of the feeds area; newswatch.cli registers everything in COMMANDS.

    newswatch feeds list            health table of every feed
    newswatch feeds check URL       fetch once, show what would be stored and why
    newswatch feeds import F.opml   add an OPML subscription list to the config
    newswatch feeds export          the configured feeds as OPML
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click

from newswatch.options import config_option, open_context
from shared.exceptions import NewswatchError

ITEMS_WINDOW = timedelta(days=7)  # "items per day" in the health table averages this span
ERROR_WIDTH = 60
ENTRIES_SHOWN = 10


@click.group("feeds")
def feeds_group() -> None:
    """Feeds: health, one-off checks, OPML import and export."""


@feeds_group.command("list")
@config_option
def list_command(config_path: Path | None) -> None:
    """Every feed with status, last success, last error, error count, items/day, next poll."""
    from shared import store

    try:
        ctx = open_context(config_path)
        from services.fetcher.poller import sync

        sync(ctx)
        now = store.utcnow()
        with ctx.engine.connect() as conn:
            rows = store.all_feeds(conn)
            counts = store.feed_article_counts(conn, now - ITEMS_WINDOW)
    except NewswatchError as exc:
        raise click.ClickException(str(exc)) from exc
    if not rows:
        click.echo("no feeds configured (add them under `feeds:` in the config)")
        return
    click.echo(f"{'id':>4}  {'status':10}  {'last success':12}  {'errors':>6}  {'items/d':>7}  "
               f"{'next poll':10}  feed / last error")  # fmt: skip
    for row in rows:
        per_day = counts.get(row.id, 0) / (ITEMS_WINDOW / timedelta(days=1))
        if row.items_per_day is not None and not counts.get(row.id):
            per_day = row.items_per_day
        click.echo(
            f"{row.id:>4}  {_status(row):10}  {_ago(row.last_success_at, now):12}  "
            f"{row.error_count:>6}  {per_day:>7.1f}  {_next(row, now):10}  "
            f"{row.name or row.title or ''} <{row.fetch_url}>"
        )
        if row.last_error:
            click.echo(f"{'':>4}  {row.last_error_kind}: {_clip(row.last_error)}")
        elif row.last_warning:
            click.echo(f"{'':>4}  warning: {_clip(row.last_warning)}")


@feeds_group.command("check")
@click.argument("url")
@click.option("--allow-private", is_flag=True, help="Allow private/loopback addresses.")
@config_option
def check_command(url: str, allow_private: bool, config_path: Path | None) -> None:
    """Fetch URL once and show what would be stored and why, without storing anything."""
    from services.fetcher.check import check_feed, identity_reason
    from shared.config import load_config
    from shared.settings import get_settings

    config = load_config(config_path)
    env = get_settings().allow_private_networks
    allowed = allow_private or (config.fetcher.allow_private_networks if env is None else env)
    report = check_feed(url, config.fetcher, allow_private=allowed)
    result, parsed = report.result, report.parsed
    if result is not None:
        moved = f" (moved permanently to {result.permanent_url})" if result.permanent_url else ""
        click.echo(f"HTTP {result.status} from {result.final_url}{moved} in "
                   f"{result.elapsed * 1000:.0f} ms, {len(result.body)} bytes, "
                   f"ETag {result.etag or '-'}, Last-Modified {result.last_modified or '-'}")  # fmt: skip
    if report.error is not None:
        raise click.ClickException(f"{report.error.kind}: {report.error}")
    assert parsed is not None
    click.echo(f"feed: {parsed.title or '(untitled)'} [{parsed.version}], "
               f"{len(parsed.entries)} entries, parsed in {parsed.cpu_seconds * 1000:.1f} ms")
    if parsed.problem:
        click.echo(f"warning (used anyway): {parsed.problem}")
    for entry in parsed.entries[:ENTRIES_SHOWN]:
        published = f"{entry.published_at:%Y-%m-%d %H:%M}Z" if entry.published_at else "no date"
        click.echo(f"- {entry.title or '(no title)'}")
        click.echo(f"    {published}  {entry.url or '(no usable link)'}")
        click.echo(f"    identity {entry.identity[:80]}  <- {identity_reason(entry.identity)}")
        if entry.summary:
            click.echo(f"    {_clip(entry.summary)}")
    if len(parsed.entries) > ENTRIES_SHOWN:
        click.echo(f"... and {len(parsed.entries) - ENTRIES_SHOWN} more")


@feeds_group.command("import")
@click.argument("opml_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--write", is_flag=True,
              help="Add the new feeds to the config file (otherwise print them).")
@config_option
def import_command(opml_file: Path, write: bool, config_path: Path | None) -> None:
    """Read an OPML subscription list; print (or --write) the feeds the config lacks."""
    from services.fetcher.opml import append_to_config, new_feed_lines, read_opml
    from shared.config import load_config
    from shared.settings import get_settings

    try:
        config = load_config(config_path)
        found = read_opml(opml_file.read_bytes())
        known = [feed.url for feed in config.feeds]
        if not write:
            lines = new_feed_lines(found, known, indent=2)
            click.echo("\n".join(["feeds:", *lines]) if lines else "# nothing new")
            return
        target = config.source or get_settings().resolved_config_path(config_path)
        added = append_to_config(Path(target), found, known)
    except NewswatchError as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:  # e.g. the read-only config mount of docker compose
        raise click.ClickException(
            f"cannot write {exc.filename or config_path}: {exc.strerror}; edit the config where "
            "it is writable (in compose: on the host, the mounted config directory)") from None
    click.echo(f"{added} feeds added to {target} ({len(found) - added} already there); "
               "a running fetcher picks them up within a minute")  # fmt: skip


@feeds_group.command("export")
@config_option
def export_command(config_path: Path | None) -> None:
    """Write the configured feeds as OPML 2.0 to stdout."""
    from services.fetcher.opml import OpmlFeed, write_opml
    from shared.config import load_config

    config = load_config(config_path)
    feeds = [OpmlFeed(url=f.url, title=f.name) for f in config.feeds]
    click.echo(write_opml(feeds).decode("utf-8"), nl=False)


def _status(row: Any) -> str:
    if not row.enabled:
        return "gone" if row.disabled_reason else "removed"
    if row.last_polled_at is None:
        return "new"
    if row.last_error_kind:
        return row.last_error_kind[:10]  # type: ignore[no-any-return]
    return "ok"


def _ago(moment: datetime | None, now: datetime) -> str:
    from shared import store

    moment = store.as_utc(moment)
    if moment is None:
        return "never"
    return _span(now - moment) + " ago"


def _next(row: Any, now: datetime) -> str:
    from shared import store

    moment = store.as_utc(row.next_poll_at)
    if not row.enabled or moment is None:
        return "-"
    return "due" if moment <= now else "in " + _span(moment - now)


def _span(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= ERROR_WIDTH else text[: ERROR_WIDTH - 1] + "…"


COMMANDS: list[click.Command] = [feeds_group]
