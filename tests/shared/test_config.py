"""Config errors name the file, line and key; ${VAR} comes from the environment."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from shared.config import load_config, parse_config
from shared.durations import format_duration, parse_duration, parse_size
from shared.exceptions import ConfigError

GOOD = """
alert_max_age: 24h
feeds:
  - url: https://news.example.org/world.xml
    name: Example World
    interval: 10m
topics:
  - id: axis
    threshold: 0.6
subscriptions:
  - id: desk
    topics: [axis]
    min_score: 0.7
    slack: {webhook_url: "${SLACK_WEBHOOK_URL}"}
  - id: morning
    topics: [axis]
    digest: {at: "08:00", tz: Europe/London}
    email: {to: [analyst@example.org]}
"""


def test_good_config_parses_with_env_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_WEBHOOK_URL", "https://hooks.slack.test/T/B/secret")
    config = parse_config(GOOD)
    assert config.alert_max_age == timedelta(hours=24)
    assert config.feeds[0].interval == timedelta(minutes=10)
    desk = config.subscription("desk")
    assert desk is not None and desk.channel == "slack" and desk.mode == "instant"
    assert desk.slack is not None
    assert desk.slack.webhook_url.get_secret_value().endswith("/secret")
    assert "secret" not in repr(desk)
    morning = config.subscription("morning")
    assert morning is not None and morning.mode == "digest"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("feeds:\n  - url: ftp://x.org/feed\n", "<config>:2: feeds[0].url: feed url must be http"),
        ("fetcher:\n  max_concurency: 3\n", "<config>:2: fetcher.max_concurency: unknown key"),
        ("subscriptions:\n  - id: a\n    topics: [axis]\n", "exactly one channel"),
        ("subscriptions:\n  - id: a\n    topics: [nope]\n    console: {}\n", "unknown topics"),
        ("feeds:\n  - url: https://a.org/x\n    interval: soon\n", "<config>:3: feeds[0].interval"),
        ("x: [\n", "invalid YAML"),
        ("alert_max_age: ${NEWSWATCH_UNSET_VAR}\n", "NEWSWATCH_UNSET_VAR is not set"),
        ("subscriptions:\n  - id: a\n    topics: [axis]\n    digest: {every: 1h, at: '08:00'}\n"
         "    console: {}\n", "exactly one of 'every'"),
    ],
)
def test_bad_config_names_line_and_key(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text)
    assert expected in str(info.value)


def test_env_default_and_missing_file(tmp_path: Path) -> None:
    assert parse_config("alert_max_age: ${NEWSWATCH_UNSET_VAR:-2h}\n").alert_max_age == timedelta(hours=2)
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "missing.yaml")


def test_relative_paths_resolve_against_config_folder(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "newswatch.yaml"
    path.parent.mkdir()
    path.write_text("feeds: []\n")
    assert load_config(path).base_dir == path.parent.resolve()


def test_durations_and_sizes() -> None:
    assert parse_duration("90s") == timedelta(seconds=90)
    assert parse_duration("2d") == timedelta(days=2)
    assert parse_duration(30) == timedelta(seconds=30)
    assert parse_size("15MiB") == 15 * 1024 * 1024
    assert format_duration(timedelta(hours=48)) == "2d"
    with pytest.raises(ValueError):
        parse_duration("tomorrow")
