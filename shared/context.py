"""What a job needs to run, built once per process; its config follows the file.

Jobs receive only ids; they call ``get_context()`` for the config, the database engine and
the queue. Entry points build the context explicitly (``build_context``) so a bad config or
an unreachable database fails at start with one clear line. A context built from a config
file watches it (``shared.config_watch``): ``get_context()`` and the services' watch threads
call ``refresh_config()``, so an edited topic, threshold, subscription or channel reaches
every service within seconds, without a restart; a broken edit keeps the last good config.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from shared.config import AppConfig, load_config
from shared.config_watch import ConfigWatcher
from shared.db import check_connection, make_engine
from shared.exceptions import ConfigError
from shared.queue import InlineQueue, RedisQueue, TaskQueue
from shared.settings import Settings, get_settings
from shared.signals import start_daemon

log = logging.getLogger(__name__)


@dataclass
class AppContext:
    settings: Settings
    config: AppConfig
    engine: Engine
    queue: TaskQueue
    config_path: Path | None = None
    cache: dict[str, Any] = field(default_factory=dict)  # config-derived state: cleared on reload
    # Process resources that outlive a reload (HTTP pool, send pacing): never cleared.
    resources: dict[str, Any] = field(default_factory=dict)

    @property
    def embedded(self) -> bool:
        return isinstance(self.queue, InlineQueue)

    watcher: ConfigWatcher | None = None

    def __post_init__(self) -> None:
        if self.watcher is None and self.config_path is not None:
            self.watcher = ConfigWatcher(self.config_path, self.config)

    def reload_config(self) -> bool:
        """Re-read the config now if it changed; True when it did (caches are dropped).

        Raises ConfigError when the changed file is invalid (once per broken state).
        """
        return self._apply(force=True)

    def refresh_config(self) -> bool:
        """``reload_config`` at most every few seconds, logging instead of raising."""
        try:
            return self._apply(force=False)
        except ConfigError as exc:
            log.error("config reload failed, keeping the previous one: %s", exc)
            return False

    def _apply(self, *, force: bool) -> bool:
        if self.watcher is None and self.config_path is not None:  # path set after creation
            self.watcher = ConfigWatcher(self.config_path, self.config)
        if self.watcher is None:
            return False
        fresh = self.watcher.check(self.config, force=force)
        if fresh is None:
            return False
        self.config = fresh
        self.cache.clear()  # scorers, routing and topic names are rebuilt from the new config
        log.info("config reloaded from %s: %d feeds, %d topics, %d subscriptions",
                 self.watcher.path, len(fresh.feeds), len(fresh.topics), len(fresh.subscriptions))
        return True


def watch_config(ctx: AppContext, stop: threading.Event) -> threading.Thread:
    """A daemon thread that refreshes the config while a worker waits for jobs."""

    def loop() -> None:
        every = ctx.watcher.every if ctx.watcher else 0.0
        while ctx.watcher is not None and not stop.wait(every):
            ctx.refresh_config()

    return start_daemon(loop, name="config-watch")


_lock = threading.Lock()
_current: AppContext | None = None


def build_context(
    config_path: Path | None = None, *, settings: Settings | None = None,
    embedded: bool | None = None, config: AppConfig | None = None, require_queue: bool = True,
) -> AppContext:
    """Config + engine + queue. ``embedded`` forces the in-process queue even with REDIS_URL.

    ``require_queue=False`` is for commands that only read or write the database (feedback,
    eval, topics check, the web view): they start during a Redis outage."""
    settings = settings or get_settings()
    path = settings.resolved_config_path(config_path)
    config = config or load_config(config_path)
    engine = make_engine(settings.resolved_database_url())
    check_connection(engine)
    queue: TaskQueue
    if embedded or (embedded is None and not settings.redis_url):
        queue = InlineQueue()
    else:
        if not settings.redis_url:
            raise ValueError("REDIS_URL is required for the distributed services")
        redis_queue = RedisQueue(settings.redis_url)
        if require_queue:
            redis_queue.ping()
        queue = redis_queue
    return AppContext(settings=settings, config=config, engine=engine, queue=queue,
                      config_path=path if path.exists() else None)


def set_context(context: AppContext | None) -> None:
    global _current
    with _lock:
        _current = context


def get_context() -> AppContext:
    """The process's context, built from the environment on first use (RQ workers)."""
    global _current
    with _lock:
        if _current is None:
            _current = build_context()
        current = _current
    current.refresh_config()
    return current
