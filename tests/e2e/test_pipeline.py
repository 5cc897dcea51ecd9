"""The whole product, end to end, in both modes, with real processes and real servers.

A relevant item must reach Slack and email exactly once; an irrelevant one never; a second
poll adds nothing; a new relevant item alerts once more.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.conftest import (
    IRRELEVANT,
    LATER_RELEVANT,
    RELEVANT,
    newswatch,
    rss,
    write_config,
)
from tests.notifier.conftest import Receiver, Smtp
from tests.servers import FeedServer, Page


def _slack_texts(receiver: Receiver) -> list[str]:
    return [json.dumps(json.loads(r.body)) for r in receiver.ok()]


def _assert_one_alert_each(receiver: Receiver, smtp: Smtp, title: str, count: int) -> None:
    slack = [text for text in _slack_texts(receiver) if title.split(",")[0][:40] in text]
    assert len(slack) == count, _slack_texts(receiver)
    mails = [m for m in smtp.handler.messages if title.split(",")[0][:40] in str(m["Subject"])]
    assert len(mails) == count, [m["Subject"] for m in smtp.handler.messages]


def _env(receiver: Receiver, smtp: Smtp, extra: dict[str, str]) -> dict[str, str]:
    return {
        "SLACK_WEBHOOK_URL": receiver.url + "/services/T000/B000/XXXX",
        "SMTP_HOST": smtp.host, "SMTP_PORT": str(smtp.port), "SMTP_TLS": "none",
        "SMTP_FROM": "newswatch@example.org", **extra,
    }


def _check_flow(
    run_pass: list[list[str]], env: dict[str, str], feed_server: FeedServer,
    receiver: Receiver, smtp_server: Smtp,
) -> None:
    for args in run_pass:
        newswatch(args, env)
    _assert_one_alert_each(receiver, smtp_server, RELEVANT[0], 1)
    assert not any(IRRELEVANT[0] in text for text in _slack_texts(receiver))
    link = "https://news.example.org/iran-ships-fath-360-ballistic-missiles-to"
    assert any(link in text for text in _slack_texts(receiver))

    for args in run_pass:  # a second poll: nothing new, nothing sent
        newswatch(args, env)
    assert len(receiver.ok()) == 1
    assert len(smtp_server.handler.messages) == 1

    feed_server.pages["/world.xml"] = Page(rss([LATER_RELEVANT, RELEVANT, IRRELEVANT]))
    for args in run_pass:
        newswatch(args, env)
    _assert_one_alert_each(receiver, smtp_server, RELEVANT[0], 1)
    _assert_one_alert_each(receiver, smtp_server, LATER_RELEVANT[0], 1)
    assert len(receiver.ok()) == 2


def test_embedded_mode_end_to_end(
    tmp_path: Path, feed_server: FeedServer, receiver: Receiver, smtp_server: Smtp
) -> None:
    config = write_config(tmp_path / "newswatch.yaml", feed_server.url("/world.xml"), receiver.url)
    env = _env(receiver, smtp_server, {"NEWSWATCH_DATA_DIR": str(tmp_path / "data")})
    _check_flow([["run", "--once", "--config", str(config)]], env, feed_server, receiver,
                smtp_server)
    assert (tmp_path / "data" / "newswatch.db").exists()


def test_distributed_mode_end_to_end(
    tmp_path: Path, feed_server: FeedServer, receiver: Receiver, smtp_server: Smtp,
    pg_clean: str, redis_clean: str,
) -> None:
    config = write_config(tmp_path / "newswatch.yaml", feed_server.url("/world.xml"), receiver.url)
    env = _env(receiver, smtp_server, {"DATABASE_URL": pg_clean, "REDIS_URL": redis_clean})
    newswatch(["migrate", "--config", str(config)], env)
    steps = [
        ["fetcher", "--once", "--config", str(config)],
        ["classifier", "--burst", "--config", str(config)],
        ["notifier", "--burst", "--config", str(config)],
    ]
    _check_flow(steps, env, feed_server, receiver, smtp_server)
