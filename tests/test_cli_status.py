"""`newswatch status` on real servers, and while one of them is down."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from redis import Redis
from rq import Queue, SimpleWorker

from newswatch.cli import main_group
from shared import jobs


def _status(config: Path) -> Result:
    return CliRunner().invoke(main_group, ["status", "--config", str(config)],
                              catch_exceptions=False)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "newswatch.yaml"
    path.write_text("feeds: []\n", encoding="utf-8")
    return path


def test_status_shows_queues_failed_jobs_and_the_ledger(
    config: Path, pg_clean: str, redis_clean: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    redis = Redis.from_url(redis_clean)
    Queue(jobs.NOTIFY_QUEUE, connection=redis).enqueue("builtins.int", "not a number")
    SimpleWorker([Queue(jobs.NOTIFY_QUEUE, connection=redis)], connection=redis).work(burst=True)
    Queue(jobs.CLASSIFY_QUEUE, connection=redis).enqueue(jobs.CLASSIFY, 1)
    monkeypatch.setenv("DATABASE_URL", pg_clean)
    monkeypatch.setenv("REDIS_URL", redis_clean)

    result = _status(config)

    assert result.exit_code == 0, result.output
    assert "database: ok" in result.output
    assert "articles: 0 stored, 0 not yet scored" in result.output
    assert "deliveries: none" in result.output
    assert "classify: 1 queued, 0 failed" in result.output
    assert "notify: 0 queued, 1 failed" in result.output


def test_status_says_which_server_is_down(
    config: Path, pg_clean: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", pg_clean)
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")

    result = _status(config)

    assert result.exit_code == 1
    assert "database: ok" in result.output
    assert "redis: UNREACHABLE redis://127.0.0.1:1/0" in result.output
