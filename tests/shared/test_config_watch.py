"""The config watcher: replaced files, edited reference files, broken edits, throttling."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from shared.config import load_config
from shared.config_watch import ConfigWatcher
from shared.exceptions import ConfigError

BASE = """\
subscriptions:
  - id: console
    topics: [axis]
    console: {}
"""
WITH_DESK = BASE + """\
  - id: desk
    topics: [axis]
    slack: {webhook_url: "https://hooks.slack.com/services/T0/B0/xyz"}
"""
FLU_TOPIC = """\
topics:
  - id: flu
    references: [topics/flu/*.md]
    threshold: 0.4
"""
FLU_BRIEF = (
    "H5N1 avian influenza spreads among dairy cattle in several US states; health officials "
    "test farm workers and track the virus in raw milk.\n"
)


def replace(path: Path, text: str, *, keep_mtime: bool = False) -> None:
    """What an editor's safe write or `git pull` does: a new file renamed over the old one."""
    before = path.stat()
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    if keep_mtime:
        os.utime(tmp, ns=(before.st_atime_ns, before.st_mtime_ns))
    os.replace(tmp, path)


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "config"
    (folder / "topics" / "flu").mkdir(parents=True)
    (folder / "topics" / "flu" / "brief.md").write_text(FLU_BRIEF, encoding="utf-8")
    (folder / "newswatch.yaml").write_text(BASE, encoding="utf-8")
    return folder


def test_a_replaced_file_is_reloaded_even_with_the_same_mtime(config_dir: Path) -> None:
    path = config_dir / "newswatch.yaml"
    config = load_config(path)
    watcher = ConfigWatcher(path, config, every=0)
    assert watcher.check(config) is None  # nothing changed yet
    replace(path, WITH_DESK, keep_mtime=True)
    fresh = watcher.check(config)
    assert fresh is not None and [s.id for s in fresh.subscriptions] == ["console", "desk"]
    assert watcher.check(fresh) is None  # reported once


def test_an_edited_or_added_reference_file_counts_as_a_change(config_dir: Path) -> None:
    path = config_dir / "newswatch.yaml"
    replace(path, FLU_TOPIC + BASE)
    config = load_config(path)
    watcher = ConfigWatcher(path, config, every=0)
    brief = config_dir / "topics" / "flu" / "brief.md"
    brief.write_text(FLU_BRIEF + "Culling orders follow outbreaks at poultry farms.\n")
    os.utime(brief, ns=(time.time_ns(), time.time_ns() + 10**9))  # coarse clocks: force a new mtime
    assert watcher.check(config) is not None
    (config_dir / "topics" / "flu" / "response.md").write_text("Vaccines for farm workers.\n")
    assert watcher.check(config) is not None
    assert watcher.check(config) is None


def test_a_broken_edit_is_reported_once_then_the_fix_is_picked_up(config_dir: Path) -> None:
    path = config_dir / "newswatch.yaml"
    config = load_config(path)
    watcher = ConfigWatcher(path, config, every=0)
    replace(path, BASE.replace("topics: [axis]", "topics: [nonexistent]"))
    with pytest.raises(ConfigError, match="unknown topics"):
        watcher.check(config)
    assert watcher.check(config) is None  # the same broken file: no second error
    replace(path, WITH_DESK)
    fresh = watcher.check(config)
    assert fresh is not None and fresh.subscription("desk") is not None


def test_checks_are_throttled_and_a_missing_file_keeps_the_config(config_dir: Path) -> None:
    path = config_dir / "newswatch.yaml"
    config = load_config(path)
    now = [100.0]
    watcher = ConfigWatcher(path, config, every=2.0, clock=lambda: now[0])
    replace(path, WITH_DESK)
    now[0] += 1.0
    assert watcher.check(config) is None  # too soon after the last look
    now[0] += 1.5
    assert watcher.check(config) is not None
    path.unlink()  # mid-replace by a tool that deletes first
    now[0] += 5
    assert watcher.check(config) is None


def test_a_context_watch_thread_swaps_the_config_and_drops_caches(
        config_dir: Path, sqlite_url: str) -> None:
    from shared.context import AppContext, watch_config
    from shared.db import make_engine
    from shared.queue import InlineQueue
    from shared.settings import Settings

    path = config_dir / "newswatch.yaml"
    ctx = AppContext(settings=Settings(), config=load_config(path), engine=make_engine(sqlite_url),
                     queue=InlineQueue(), config_path=path)
    assert ctx.watcher is not None
    ctx.watcher.every = 0.05
    ctx.cache["scorers"] = object()
    stop = threading.Event()
    thread = watch_config(ctx, stop)
    try:
        replace(path, WITH_DESK)
        deadline = time.monotonic() + 5
        while ctx.config.subscription("desk") is None and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        stop.set()
        thread.join(timeout=2)
    assert ctx.config.subscription("desk") is not None
    assert "scorers" not in ctx.cache
