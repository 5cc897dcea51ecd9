"""What every CLI command shares: the --config option and building the context."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from shared.context import AppContext

F = TypeVar("F", bound=Callable[..., Any])

config_option = click.option(
    "--config", "config_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
    help="Config file (default: $NEWSWATCH_CONFIG, else ./newswatch.yaml).",
)


def open_context(
    config_path: Path | None, *, embedded: bool | None = None, migrate_first: bool = False,
    require_queue: bool = True,
) -> AppContext:
    """Validate config, reach the database (and Redis), register as the process context."""
    from shared.config import load_config
    from shared.context import build_context, set_context
    from shared.db import migrate

    config = load_config(config_path)
    if migrate_first:
        from shared.settings import get_settings

        migrate(get_settings().resolved_database_url())
    ctx = build_context(config_path, embedded=embedded, config=config,
                        require_queue=require_queue)
    set_context(ctx)
    return ctx
