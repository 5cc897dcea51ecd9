"""`newswatch web` follows its config file: an edited threshold shows without a restart, and a
webhook added later is redacted like the others."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from shared.config import load_config
from shared.context import AppContext
from shared.db import make_engine
from shared.queue import InlineQueue
from shared.settings import Settings
from tests.web.conftest import WebServer
from tests.web.world import config_yaml, seed

RELOAD_WAIT = 30.0  # seconds the test waits for the server's next look (it looks every 2 s)


def test_an_edited_threshold_shows_without_a_restart(
        web_factory: Callable[..., WebServer], config_file: Path) -> None:
    server = web_factory()
    seed(server.db_url)
    with server.client() as client:
        assert "Threshold</dt><dd>0.60" in client.get("/topics").text
        text = config_file.read_text(encoding="utf-8").replace("threshold: 0.6", "threshold: 0.3")
        tmp = config_file.with_name("newswatch.yaml.new")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, config_file)
        deadline = time.monotonic() + RELOAD_WAIT
        page = client.get("/topics").text
        while "Threshold</dt><dd>0.30" not in page and time.monotonic() < deadline:
            time.sleep(0.2)
            page = client.get("/topics").text
        assert "Threshold</dt><dd>0.30" in page


def test_a_webhook_added_later_is_among_the_secrets(tmp_path: Path, sqlite_url: str) -> None:
    from services.web.state import WebState

    path = config_yaml(tmp_path / "newswatch.yaml")
    ctx = AppContext(settings=Settings(), config=load_config(path), engine=make_engine(sqlite_url),
                     queue=InlineQueue())
    state = WebState.build(ctx)
    hook = "https://hooks.example.org/late/s3cr3t-path"
    topics = state.topics
    assert hook not in state.secrets
    path.write_text(path.read_text(encoding="utf-8")
                    + f"  - id: late\n    topics: [axis]\n    webhook:\n      url: {hook}\n",
                    encoding="utf-8")
    ctx.config = load_config(path)  # what the config-watch thread does on a change
    assert hook in state.secrets
    assert state.topics is not topics and [t.id for t in state.topics] == ["axis"]
