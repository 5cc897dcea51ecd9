"""`newswatch demo`; newswatch.cli registers everything in COMMANDS."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from newswatch.options import config_option


@click.command()
@config_option
@click.option("--keep", is_flag=True, help="Keep the temporary database and config; print where.")
@click.option("--scores/--no-scores", default=True, show_default=True,
              help="After the summary, list every sample article with its score.")
def demo(config_path: Path | None, keep: bool, scores: bool) -> None:
    """One offline pass over the bundled sample feeds: prints the alerts and a summary.

    With --config, your topics and subscriptions are used (the sample feeds replace your feeds);
    without it, the built-in topic and a console subscription.
    """
    from newswatch.demo import render_scoreboard, run_demo

    _quiet_unless_asked()
    result = run_demo(config_path, keep=keep, announce=lambda line: click.echo(f"demo: {line}"))
    click.echo("-" * 72)
    click.echo(result.summary_line)
    if scores:
        click.echo("")
        click.echo(render_scoreboard(result.articles))
    if result.workdir is not None:
        click.echo(f"\nkept {result.workdir} (DATABASE_URL=sqlite:///{result.workdir}/data/newswatch.db)")



def _quiet_unless_asked() -> None:
    """The demo's output is the alerts: service logs only with an explicit --log-level."""
    parent = click.get_current_context().parent
    if parent is None or parent.params.get("log_level") is None:
        logging.getLogger().setLevel(logging.WARNING)


COMMANDS: list[click.Command] = [demo]
