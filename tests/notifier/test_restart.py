"""A killed `newswatch notifier` process resumes without a duplicate (real Redis + PostgreSQL)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import yaml

from shared.queue import RedisQueue

from .conftest import Receiver, Reply
from .world import FAST, FEED_URL, add_article, attempts, delivery, make_config, make_context

SECRET = "/services/T1/B1/killtestsecret"
LEASE = 1.0
CLI = [sys.executable, "-c", "from newswatch.cli import main; main()"]


def _wait(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_killed_notifier_resumes_without_duplicate(
    pg_clean: str, redis_clean: str, receiver: Receiver, tmp_path: Path
) -> None:
    subscription = {"id": "ops", "topics": ["axis"],
                    "slack": {"webhook_url": "${TEST_SLACK_URL}"}}
    notifier = {**FAST, "lease": f"{LEASE}s"}
    config_file = tmp_path / "newswatch.yaml"
    config_file.write_text(yaml.safe_dump({
        "feeds": [{"url": FEED_URL, "name": "Example Wire"}],
        "subscriptions": [subscription], "notifier": notifier}))
    config = make_config([{**subscription, "slack": {"webhook_url": receiver.url + SECRET}}],
                         lease=f"{LEASE}s")
    ctx = make_context(pg_clean, config, queue=RedisQueue(redis_clean))
    ids = [add_article(ctx, f"Story number {n}", subscription="ops") for n in range(6)]
    receiver.script = [Reply(), Reply(), Reply(hang=True)]  # the 3rd send never gets an answer
    env = {**os.environ, "DATABASE_URL": pg_clean, "REDIS_URL": redis_clean,
           "NEWSWATCH_CONFIG": str(config_file), "TEST_SLACK_URL": receiver.url + SECRET}

    first = subprocess.Popen([*CLI, "notifier"], env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
    try:
        _wait(lambda: receiver.arrived >= 3, 30, "the third send")
        hung = next(i for i in ids if delivery(ctx, i).status == "sending")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        assert first.stderr is not None
        log = first.stderr.read().decode()
    assert "killtestsecret" not in log
    time.sleep(LEASE + 0.2)  # the dead worker's lease runs out

    second = subprocess.run([*CLI, "notifier", "--burst"], env=env, capture_output=True,
                            timeout=60)
    assert second.returncode == 0, second.stderr.decode()[-2000:]
    assert "killtestsecret" not in second.stderr.decode()

    titles = Counter(json.loads(r.body)["text"].split(" (")[0] for r in receiver.ok())
    assert titles == Counter({f"Story number {n}": 1 for n in range(6)})
    assert all(delivery(ctx, i).status == "sent" for i in ids)
    assert [a.outcome for a in attempts(ctx, hung)] == ["lost", "sent"]
