"""A classify job lost with its worker (killed mid-job, Redis flushed) is recovered from the
database: the article is scored and alerted exactly once."""

from __future__ import annotations

from pathlib import Path

from redis import Redis

from tests.e2e.conftest import RELEVANT, newswatch, write_config
from tests.notifier.conftest import Receiver, Smtp
from tests.servers import FeedServer


def test_lost_classify_job_is_recovered_once(
    tmp_path: Path, feed_server: FeedServer, receiver: Receiver, smtp_server: Smtp,
    pg_clean: str, redis_clean: str,
) -> None:
    config = write_config(tmp_path / "newswatch.yaml", feed_server.url("/world.xml"), receiver.url)
    env = {"DATABASE_URL": pg_clean, "REDIS_URL": redis_clean,
           "SLACK_WEBHOOK_URL": receiver.url + "/hook", "SMTP_HOST": smtp_server.host,
           "SMTP_PORT": str(smtp_server.port)}
    newswatch(["migrate"], env)
    newswatch(["fetcher", "--once", "--config", str(config)], env)
    Redis.from_url(redis_clean).flushdb()  # the queued classify jobs die with their worker

    # Too fresh to be called lost: a sweep leaves them to their (lost) jobs.
    newswatch(["classifier", "--burst", "--recover-after", "10m", "--config", str(config)], env)
    newswatch(["notifier", "--burst", "--config", str(config)], env)
    assert receiver.ok() == []

    for _ in range(2):  # two sweeps (two workers, or a restart) still alert once
        newswatch(["classifier", "--burst", "--recover-after", "0s", "--config", str(config)], env)
        newswatch(["notifier", "--burst", "--config", str(config)], env)
    assert len(receiver.ok()) == 1
    assert RELEVANT[0][:30] in receiver.ok()[0].body.decode()
    assert len(smtp_server.handler.messages) == 1
