"""What a job needs to run, built once per process and reloaded by nothing else.

Jobs receive only ids; they call ``get_context()`` for the config, the database engine and
the queue. Entry points build the context explicitly (``build_context``) so a bad config or
an unreachable database fails at start with one clear line.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from shared.config import AppConfig, load_config
from shared.db import check_connection, make_engine
from shared.queue import InlineQueue, RedisQueue, TaskQueue
from shared.settings import Settings, get_settings


@dataclass
class AppContext:
    settings: Settings
    config: AppConfig
    engine: Engine
    queue: TaskQueue
    config_path: Path | None = None
    cache: dict[str, Any] = field(default_factory=dict)  # per-process warm state (scorers)

    @property
    def embedded(self) -> bool:
        return isinstance(self.queue, InlineQueue)

    def reload_config(self) -> bool:
        """Re-read the config file if it changed; True when it did (caches are dropped)."""
        if self.config_path is None or not self.config_path.exists():
            return False
        fresh = load_config(self.config_path)
        if fresh == self.config:
            return False
        self.config = fresh
        self.cache.clear()
        return True


_lock = threading.Lock()
_current: AppContext | None = None


def build_context(
    config_path: Path | None = None, *, settings: Settings | None = None,
    embedded: bool | None = None, config: AppConfig | None = None,
) -> AppContext:
    """Config + engine + queue. ``embedded`` forces the in-process queue even with REDIS_URL."""
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
        return _current
