"""The `newswatch` command: one entry point for every service and tool."""

from __future__ import annotations

import faulthandler
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from newswatch import (
    cli_classify,
    cli_demo,
    cli_feedback,
    cli_feeds,
    cli_health,
    cli_notify,
    cli_status,
    cli_stories,
    cli_topics,
    cli_web,
)
from newswatch.options import config_option, open_context
from shared.exceptions import ConfigError, NewswatchError
from shared.logs import configure_logging
from shared.signals import exit_if_requested, request_exit

if TYPE_CHECKING:
    from sqlalchemy import Engine

log = logging.getLogger("newswatch")


def stop_on_signals() -> threading.Event:
    """SIGINT/SIGTERM (Ctrl-C, `docker stop`) end the loops cleanly instead of killing them."""
    stop = threading.Event()

    def handle(signum: int, _frame: object) -> None:
        log.info("stopping on signal %s", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)
    return stop


def exit_on_signals() -> None:
    """One-shot commands (`--once`) end on SIGINT/SIGTERM by unwinding, not by dying: the
    unwinding shuts the parse worker processes down, which a killed parent would orphan.
    The exit is also recorded, for the loops to raise again should the interrupted code
    swallow the ``SystemExit`` (``shared.signals.request_exit``)."""
    def handle(signum: int, _frame: object) -> None:
        log.info("stopping on signal %s", signal.Signals(signum).name)
        request_exit(128 + signum)

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)


def dump_stacks_on_sigusr1() -> None:
    """`kill -USR1 PID` prints every thread's stack to stderr: a process that seems stuck (a
    lock, a busy database, a server that never answers) says where, without a debugger."""
    faulthandler.register(signal.SIGUSR1, all_threads=True, chain=False)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--log-level", default=None, help="DEBUG, INFO, WARNING (default: $LOG_LEVEL or INFO).")
@click.option("--log-json", is_flag=True, default=None, help="Log as JSON lines ($LOG_FORMAT=json).")
def main_group(log_level: str | None, log_json: bool | None) -> None:
    """Watch news feeds, score articles against topics, alert subscribers once per story."""
    from shared.settings import get_settings

    settings = get_settings()
    configure_logging(log_level or settings.log_level,
                      json_format=bool(log_json) or settings.log_format == "json")


@main_group.command()
@config_option
@click.option("--once", is_flag=True, help="Poll every feed once, process and deliver, then exit.")
@click.option("--drain-timeout", default="120s", show_default=True,
              help="With --once: wait this long for retries that fall due; exit 1 if any "
                   "delivery is still unsent then.")
def run(config_path: Path | None, once: bool, drain_timeout: str) -> None:
    """All services in one process (SQLite + in-process queue unless DATABASE_URL/REDIS_URL)."""
    from newswatch.embedded import run_embedded
    from shared.durations import parse_duration

    try:
        timeout = parse_duration(drain_timeout).total_seconds()
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--drain-timeout") from None
    ctx = open_context(config_path, migrate_first=True)
    if once:
        exit_on_signals()
    summary = run_embedded(ctx, once=once, stop=threading.Event() if once else stop_on_signals(),
                           drain_timeout=timeout)
    if once:
        exit_if_requested()  # a stop signal whose SystemExit the last steps swallowed
        click.echo(summary.render())
        problems = summary.problems()
        for line in problems:
            click.echo(line, err=True)
        exit_now(1 if problems else 0, ctx.engine)


def exit_now(code: int, engine: Engine) -> NoReturn:
    """End a one-shot run without the interpreter's teardown, once all is done and said.

    Freeing the scorers' and the story index's objects one by one took ~0.3 s after the
    summary (seconds on a loaded machine). What teardown would do that matters is done
    here: the database closed (SQLite checkpoints its log), output and logs flushed."""
    engine.dispose()
    if sys.getprofile() is not None or sys.gettrace() is not None:
        sys.exit(code)  # a profiler or coverage writes its data at teardown: let it run
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(code)


@main_group.command()
@config_option
@click.option("--once", is_flag=True, help="Poll every feed once, then exit.")
def fetcher(config_path: Path | None, once: bool) -> None:
    """The fetcher service: poll feeds, store new articles, enqueue classification."""
    from services.fetcher import poller

    ctx = open_context(config_path, embedded=False)
    if once:
        exit_on_signals()
        stats = poller.run_once(ctx)
        log.info("fetcher pass done %s", stats)
    else:
        poller.run_forever(ctx, stop_on_signals())


@main_group.command()
@config_option
@click.option("--burst", is_flag=True, help="Drain the queue, then exit (RQ burst mode).")
@click.option("--recover-after", default="30s", show_default=True,
              help="Re-enqueue articles left unscored this long (a worker died mid-job, "
                   "Redis lost its jobs); swept every 10s while the queue is idle.")
def classifier(config_path: Path | None, burst: bool, recover_after: str) -> None:
    """The classifier worker: score articles against every topic, route matches."""
    from services.classifier import service
    from shared.durations import parse_duration

    try:
        age = parse_duration(recover_after)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--recover-after") from None
    service.run(open_context(config_path, embedded=False), burst=burst, recovery_age=age)


@main_group.command()
@config_option
@click.option("--burst", is_flag=True, help="Drain the queue, then exit (RQ burst mode).")
def notifier(config_path: Path | None, burst: bool) -> None:
    """The notifier worker: deliver alerts and digests to subscribers."""
    from services.notifier import service

    service.run(open_context(config_path, embedded=False), burst=burst)


@main_group.command()
@config_option
@click.option("--wait", "wait_for", default="60s", show_default=True,
              help="How long to wait for the database to accept connections.")
def migrate(config_path: Path | None, wait_for: str) -> None:
    """Validate the config, wait for the database, upgrade the schema (compose's first step)."""
    from shared.config import load_config
    from shared.db import migrate as run_migrations
    from shared.db import wait_for_database
    from shared.durations import parse_duration
    from shared.settings import get_settings
    from shared.topics import resolve_topics

    resolve_topics(load_config(config_path))  # a broken config stops `compose up` here, shown
    try:
        timeout = parse_duration(wait_for)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--wait") from None
    url = get_settings().resolved_database_url()
    wait_for_database(url, timeout.total_seconds())
    run_migrations(url)
    click.echo("database is up to date")


@main_group.command("check-config")
@config_option
def check_config(config_path: Path | None) -> None:
    """Validate the config file and say what it defines."""
    from shared.config import load_config
    from shared.topics import resolve_topics

    config = load_config(config_path)

    topics = resolve_topics(config)
    source = config.source or "(no config file: built-in defaults)"
    click.echo(f"{source}: OK: {len(config.feeds)} feeds, {len(topics)} topics "
               f"({', '.join(t.id for t in topics)}), {len(config.subscriptions)} subscriptions")


for _module in (
    cli_feeds,
    cli_classify,
    cli_feedback,
    cli_notify,
    cli_stories,
    cli_demo,
    cli_status,
    cli_health,
    cli_web,
    cli_topics,
):
    for _command in _module.COMMANDS:
        main_group.add_command(_command)


def main() -> None:
    """Expected failures print one line and exit non-zero; bugs keep their traceback."""
    dump_stacks_on_sigusr1()
    try:
        code = main_group.main(standalone_mode=False)
    except click.exceptions.Abort:
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except NewswatchError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    if isinstance(code, int):
        sys.exit(code)
