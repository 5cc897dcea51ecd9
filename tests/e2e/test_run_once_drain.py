"""`run --once` finishes what it started: retries that fall due within `--drain-timeout` are
waited for; what is still unsent at the bound is named on one line and the exit code says so."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.e2e.conftest import RELEVANT, newswatch
from tests.notifier.conftest import Receiver, Reply
from tests.servers import FeedServer


def _config(path: Path, feed_url: str) -> Path:
    path.write_text(
        f"""
feeds:
  - url: {feed_url}
    name: Example World
fetcher:
  allow_private_networks: true
notifier:
  retry_base: 1s
  slack_min_interval: 0s
subscriptions:
  - id: desk
    topics: [axis]
    slack: {{webhook_url: "${{SLACK_WEBHOOK_URL}}"}}
""",
        encoding="utf-8",
    )
    return path


def _env(tmp_path: Path, receiver: Receiver) -> dict[str, str]:
    return {"SLACK_WEBHOOK_URL": receiver.url + "/services/T000/B000/XXXX",
            "NEWSWATCH_DATA_DIR": str(tmp_path / "data")}


def test_run_once_waits_for_retries_then_exits_zero(
    tmp_path: Path, feed_server: FeedServer, receiver: Receiver
) -> None:
    receiver.script = [Reply(429, "rate_limited", {"Retry-After": "1"}),
                       Reply(500, "oops"), Reply(500, "oops")]
    config = _config(tmp_path / "newswatch.yaml", feed_server.url("/world.xml"))

    result = newswatch(["run", "--once", "--config", str(config)], _env(tmp_path, receiver))

    assert [r.status for r in receiver.requests] == [429, 500, 500, 200]
    assert len(receiver.ok()) == 1
    assert RELEVANT[0][:30] in receiver.ok()[0].body.decode()
    keys = {r.headers.get("Idempotency-Key") for r in receiver.requests}
    assert len(keys) == 1 and keys != {None}  # one key for every attempt of the delivery
    assert "alerts delivered: 1" in result.stdout
    assert "not delivered yet" not in result.stderr


def test_run_once_names_what_is_left_and_exits_non_zero(
    tmp_path: Path, feed_server: FeedServer, receiver: Receiver
) -> None:
    receiver.script = [Reply(503, "down")] * 50
    config = _config(tmp_path / "newswatch.yaml", feed_server.url("/world.xml"))
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_"))},
           **_env(tmp_path, receiver)}

    result = subprocess.run(
        [sys.executable, "-m", "newswatch", "run", "--once", "--drain-timeout", "3s",
         "--config", str(config)],
        env=env, capture_output=True, text=True, timeout=120,
    )

    assert result.returncode == 1, result.stderr
    lines = [line for line in result.stderr.splitlines() if "not delivered yet" in line]
    assert len(lines) == 1, result.stderr
    assert "delivery 1 retry" in lines[0] and "next retry 20" in lines[0]
    assert "503" in lines[0]
    assert receiver.ok() == []
    assert 2 <= len(receiver.requests) <= 4, result.stderr  # retried within the 3 s bound, then stopped
