"""CLI commands of the web view; newswatch.cli registers everything in COMMANDS."""

from __future__ import annotations

from pathlib import Path

import click

from newswatch.options import config_option, open_context


@click.command("web")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback needs NEWSWATCH_WEB_TOKEN.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@config_option
def web_command(host: str, port: int, config_path: Path | None) -> None:
    """The desk's web view: stories and why they scored, feedback, feeds, deliveries, /metrics."""
    from services.web.server import check_exposure, serve
    from shared.settings import get_settings

    settings = get_settings()
    check_exposure(host, settings.web_token.get_secret_value() if settings.web_token else None)
    # Embedded (no DATABASE_URL): create the SQLite schema if `newswatch run` has not yet.
    import threading

    from shared.context import watch_config

    ctx = open_context(config_path, migrate_first=not settings.database_url, require_queue=False)
    watch_config(ctx, threading.Event())  # topics and redaction follow the config file
    serve(ctx, host, port)


COMMANDS: list[click.Command] = [web_command]
