"""`newswatch subscriptions list`, `notify test`, `deliveries list|retry` on real servers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from newswatch.cli import main_group
from services.notifier import jobs

from .conftest import Receiver, Reply
from .world import FAST, FEED_URL, add_article, delivery, make_config, make_context

SECRET = "/services/T2/B2/clisecret"


@pytest.fixture
def setup(pg_clean: str, receiver: Receiver, tmp_path: Path,
          monkeypatch: pytest.MonkeyPatch) -> Path:
    config_file = tmp_path / "newswatch.yaml"
    config_file.write_text(yaml.safe_dump({
        "feeds": [{"url": FEED_URL, "name": "Example Wire"}],
        "subscriptions": [
            {"id": "ops", "topics": ["axis"], "slack": {"webhook_url": receiver.url + SECRET}},
            {"id": "morning", "topics": ["axis"], "console": {},
             "digest": {"at": "08:00", "tz": "Europe/London"}},
        ],
        "notifier": FAST,
    }))
    monkeypatch.setenv("DATABASE_URL", pg_clean)
    return config_file


def cli(*args: str) -> Result:
    return CliRunner().invoke(main_group, list(args), catch_exceptions=False)


def test_notify_test_sends_a_marked_message(setup: Path, receiver: Receiver) -> None:
    result = cli("notify", "test", "ops", "--config", str(setup))
    assert result.exit_code == 0, result.output
    assert "sent to ops via slack: 200" in result.output
    assert "[TEST]" in json.loads(receiver.ok()[0].body)["text"]
    assert "clisecret" not in result.output


def test_notify_test_reports_failure_without_secret(setup: Path, receiver: Receiver) -> None:
    receiver.script = [Reply(404, "no_service")]
    result = cli("notify", "test", "ops", "--config", str(setup))
    assert result.exit_code == 1 and "no_service" in result.output
    assert "clisecret" not in result.output
    assert cli("notify", "test", "nobody", "--config", str(setup)).exit_code == 1


def test_failed_deliveries_are_listed_and_retried(
    setup: Path, pg_clean: str, receiver: Receiver
) -> None:
    ctx = make_context(pg_clean, make_config([
        {"id": "ops", "topics": ["axis"], "slack": {"webhook_url": receiver.url + SECRET}}]))
    receiver.script = [Reply(404, "no_service"), Reply(410, "channel_is_archived")]
    first = add_article(ctx, "First failure", subscription="ops")
    second = add_article(ctx, "Second failure", subscription="ops")
    jobs.deliver(first)
    jobs.deliver(second)

    listed = cli("deliveries", "list", "--failed", "--config", str(setup))
    assert "First failure" in listed.output and "channel_is_archived" in listed.output
    subs = cli("subscriptions", "list", "--config", str(setup))
    assert "ops" in subs.output and "morning" in subs.output and "digest 08:00" in subs.output

    assert "1 sent now" in cli("deliveries", "retry", str(first), "--config", str(setup)).output
    assert delivery(ctx, first).status == "sent"
    result = cli("deliveries", "retry", "--all-failed", "--config", str(setup))
    assert "1 sent now" in result.output and delivery(ctx, second).status == "sent"
    assert cli("deliveries", "retry", str(first), "--config", str(setup)).exit_code == 1
    assert "no failed deliveries" in cli("deliveries", "list", "--failed", "--config",
                                         str(setup)).output
