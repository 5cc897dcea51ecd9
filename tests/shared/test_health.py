"""`newswatch health`: real PostgreSQL and Redis, a real RQ worker registration, real files."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

from click.testing import CliRunner
from redis import Redis
from rq import Queue, SimpleWorker

from newswatch.cli import main_group
from shared import jobs
from shared.health import FetcherBeat, check_service, fetcher_beat_path, worker_name
from shared.settings import Settings


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _settings(pg_url: str, redis_url: str, tmp_path: Path) -> Settings:
    return Settings(DATABASE_URL=pg_url, REDIS_URL=redis_url, NEWSWATCH_DATA_DIR=tmp_path / "data")


def _register(redis_url: str, name: str) -> SimpleWorker:
    connection = Redis.from_url(redis_url)
    worker = SimpleWorker([Queue(jobs.CLASSIFY_QUEUE, connection=connection)],
                          connection=connection, name=name)
    worker.register_birth()  # what RQ does when `newswatch classifier` starts its worker
    return worker


def test_fetcher_is_healthy_only_while_its_loop_beats(
        tmp_path: Path, pg_url: str, redis_clean: str) -> None:
    settings = _settings(pg_url, redis_clean, tmp_path)
    probes = check_service("fetcher", settings)
    assert [p.ok for p in probes] == [True, True, False]
    assert "has not started" in probes[-1].what
    FetcherBeat(settings).beat()
    assert all(p.ok for p in check_service("fetcher", settings))
    old = time.time() - 600
    os.utime(fetcher_beat_path(settings), (old, old))
    assert "stalled" in check_service("fetcher", settings)[-1].what


def test_a_worker_of_this_host_with_a_fresh_heartbeat_is_healthy(
        tmp_path: Path, pg_url: str, redis_clean: str) -> None:
    settings = _settings(pg_url, redis_clean, tmp_path)
    assert "no classify worker" in check_service("classifier", settings)[-1].what
    other_host = _register(redis_clean, f"{jobs.CLASSIFY_QUEUE}@another-container.7.abcdef")
    assert not check_service("classifier", settings)[-1].ok  # a sibling replica is not us
    ours = _register(redis_clean, worker_name([jobs.CLASSIFY_QUEUE]))
    assert all(p.ok for p in check_service("classifier", settings))
    assert not check_service("notifier", settings)[-1].ok  # a different queue
    ours.register_death()
    other_host.register_death()
    assert not check_service("classifier", settings)[-1].ok


def test_unreachable_redis_or_database_is_unhealthy_in_one_line(
        tmp_path: Path, pg_url: str, redis_clean: str) -> None:
    from shared.settings import get_settings

    runner = CliRunner()
    port = _closed_port()
    env = {"DATABASE_URL": pg_url, "REDIS_URL": f"redis://127.0.0.1:{port}/0",
           "NEWSWATCH_DATA_DIR": str(tmp_path / "data")}
    result = runner.invoke(main_group, ["health", "--service", "notifier"], env=env)
    assert result.exit_code == 1
    assert result.output.startswith("notifier unhealthy: redis unreachable")
    assert len(result.output.splitlines()) == 1

    env = {**env, "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{port}/postgres"}
    get_settings.cache_clear()  # a new process in real life
    result = runner.invoke(main_group, ["health", "--service", "fetcher"], env=env)
    assert result.exit_code == 1
    assert result.output.startswith("fetcher unhealthy: database unreachable")


def test_healthy_prints_one_line_and_exits_zero(tmp_path: Path, pg_url: str, redis_clean: str) -> None:
    from shared.settings import get_settings

    env = {"DATABASE_URL": pg_url, "REDIS_URL": redis_clean,
           "NEWSWATCH_DATA_DIR": str(tmp_path / "data")}
    get_settings.cache_clear()
    FetcherBeat(_settings(pg_url, redis_clean, tmp_path)).beat()
    result = CliRunner().invoke(main_group, ["health", "--service", "fetcher"], env=env)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("fetcher healthy: database ok; redis ok; fetcher loop alive")


def test_the_console_script_runs_health_without_loading_the_other_commands(
        tmp_path: Path, pg_url: str, redis_clean: str) -> None:
    """Healthchecks run every few seconds: `newswatch health` must not import the classifier."""
    import subprocess
    import sys

    probe = ("import sys\nfrom newswatch.entry import main\n"
             "sys.argv = ['newswatch', 'health', '--service', 'notifier']\n"
             "try:\n    main()\nfinally:\n"
             "    print('loaded:', sorted(m for m in ('sklearn', 'newswatch.cli') if m in sys.modules))")
    env = {**os.environ, "DATABASE_URL": pg_url, "REDIS_URL": redis_clean,
           "NEWSWATCH_DATA_DIR": str(tmp_path / "data")}
    result = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == [
        "notifier unhealthy: no notify worker of this host is registered in Redis", "loaded: []"]


def test_a_busy_worker_is_given_the_job_timeout_between_beats(
        tmp_path: Path, pg_url: str, redis_clean: str) -> None:
    """A SimpleWorker beats when it starts a job, not during it: a long batch is not death."""
    from datetime import timedelta

    from rq.worker import WorkerStatus

    from shared.health import MAX_BEAT_AGE, check_worker

    settings = _settings(pg_url, redis_clean, tmp_path)
    worker = _register(redis_clean, worker_name([jobs.CLASSIFY_QUEUE]))
    worker.heartbeat()
    assert worker.last_heartbeat is not None
    later = worker.last_heartbeat + timedelta(seconds=MAX_BEAT_AGE + 60)
    idle = check_worker(settings, jobs.CLASSIFY_QUEUE, now=later)
    assert not idle.ok and "heartbeat is" in idle.what

    worker.set_state(WorkerStatus.BUSY)  # what RQ records while it runs a job
    busy = check_worker(settings, jobs.CLASSIFY_QUEUE, now=later)
    assert busy.ok and "busy" in busy.what
    stuck = worker.last_heartbeat + timedelta(seconds=MAX_BEAT_AGE + jobs.JOB_TIMEOUT + 1)
    assert not check_worker(settings, jobs.CLASSIFY_QUEUE, now=stuck).ok  # past RQ's kill
    worker.register_death()


def test_jobs_are_enqueued_with_the_job_timeout(redis_clean: str) -> None:
    from shared.queue import RedisQueue
    from shared.retry import JOB_BUDGET

    RedisQueue(redis_clean).enqueue(jobs.CLASSIFY, [1, 2])
    (job,) = Queue(jobs.CLASSIFY_QUEUE, connection=Redis.from_url(redis_clean)).jobs
    assert job.timeout == jobs.JOB_TIMEOUT
    assert jobs.JOB_TIMEOUT >= JOB_BUDGET + 180  # the retry budget plus a slow batch


def test_a_worker_still_beating_after_redis_lost_its_data_is_healthy(
        tmp_path: Path, pg_url: str, redis_clean: str) -> None:
    """FLUSHALL / a restart without persistence empties RQ's worker sets; a running worker
    only beats into its own key afterwards (RQ registers a worker once, at start)."""
    settings = _settings(pg_url, redis_clean, tmp_path)
    worker = _register(redis_clean, worker_name([jobs.CLASSIFY_QUEUE]))
    Redis.from_url(redis_clean).flushdb()
    assert not check_service("classifier", settings)[-1].ok  # nothing left in Redis: no beat
    worker.heartbeat()  # the running worker's next beat
    probe = check_service("classifier", settings)[-1]
    assert probe.ok, probe.what
    Redis.from_url(redis_clean).delete(worker.key)  # the worker stopped beating: key expired
    assert not check_service("classifier", settings)[-1].ok
