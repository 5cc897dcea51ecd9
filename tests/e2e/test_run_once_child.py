"""`run --once` polls in a forked child process (newswatch.poll_child): a child that dies, is
killed or fails is named on one line with exit 1, and what it stored is still classified
(the database, not the pipe, is the source of truth); SIGTERM mid-poll ends both processes
and the child's parse workers."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from newswatch.embedded import run_embedded
from services.fetcher import poller
from shared import store
from shared.context import AppContext
from tests.e2e.conftest import IRRELEVANT, RELEVANT, embedded_context, rss
from tests.e2e.test_fetcher_sigterm import _alive, _children
from tests.notifier.conftest import Receiver
from tests.servers import FeedServer, Page

# --- in-process: the child's poll function is replaced by one that dies or fails -----------


class _Dropped:
    """The jobs of a child that dies before they reach the pipe."""

    def enqueue(self, job: str, *args: Any, job_id: str | None = None) -> None:
        return None


def _unscored(ctx: AppContext) -> list[int]:
    with ctx.engine.connect() as conn:
        return store.unscored_article_ids(conn, ["axis"])


def test_a_child_that_dies_unannounced_loses_nothing(
        sqlite_url: str, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = embedded_context(sqlite_url, feed_server.url("/world.xml"))
    real = poller.run_once

    def store_then_die(child_ctx: AppContext) -> poller.PollStats:
        child_ctx.queue = _Dropped()  # stored, but no classify job ever reaches the parent
        real(child_ctx)
        os._exit(3)

    monkeypatch.setattr(poller, "run_once", store_then_die)

    summary = run_embedded(ctx, once=True, stop=threading.Event(), drain_timeout=0)

    assert summary.poll_error is not None
    assert "exited with code 3" in summary.poll_error
    assert summary.problems()[0] == summary.poll_error
    assert _unscored(ctx) == [] and summary.matches == 1  # found in the database, scored


def test_a_child_that_fails_says_why(
        sqlite_url: str, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = embedded_context(sqlite_url, feed_server.url("/world.xml"))
    real = poller.run_once

    def store_then_fail(child_ctx: AppContext) -> poller.PollStats:
        real(child_ctx)
        raise RuntimeError("feeds table unreadable")

    monkeypatch.setattr(poller, "run_once", store_then_fail)

    summary = run_embedded(ctx, once=True, stop=threading.Event(), drain_timeout=0)

    assert summary.poll_error is not None
    assert "exited with code 1: RuntimeError: feeds table unreadable" in summary.poll_error
    assert _unscored(ctx) == [] and summary.matches == 1


def test_a_finished_child_reports_its_counts(sqlite_url: str, feed_server: FeedServer) -> None:
    ctx = embedded_context(sqlite_url, feed_server.url("/world.xml"))

    summary = run_embedded(ctx, once=True, stop=threading.Event(), drain_timeout=0)

    assert summary.poll_error is None and summary.problems() == []
    assert (summary.feeds_polled, summary.articles_new, summary.matches) == (1, 2, 1)


def test_a_child_starts_its_own_forkserver(sqlite_url: str, feed_server: FeedServer) -> None:
    """A forkserver this process started earlier (a poll in the same process) is not the
    child's to wait for: the child's parse pool must start its own, not fail with ECHILD."""
    ctx = embedded_context(sqlite_url, feed_server.url("/world.xml"))
    poller.run_once(ctx)  # parses in a pool: the forkserver now runs as our child
    feed_server.pages["/world.xml"] = Page(rss([RELEVANT, IRRELEVANT, ("Council meets on the "
        "harbour budget", "The harbour board discussed berths and fees.")]))

    summary = run_embedded(ctx, once=True, stop=threading.Event(), drain_timeout=0)

    assert summary.poll_error is None, summary.poll_error
    assert summary.articles_new == 1


# --- the real command: the child is killed from outside, the parent gets SIGTERM -----------


def _start(tmp_path: Path, server: FeedServer, receiver: Receiver) -> subprocess.Popen[str]:
    """`run --once` on a fast feed and one that answers after 30 s: the poll is under way."""
    requested = threading.Event()

    def slow(_headers: dict[str, str]) -> Page:
        requested.set()
        time.sleep(30)
        return Page(rss([IRRELEVANT]))

    server.pages["/slow.xml"] = slow
    config = tmp_path / "newswatch.yaml"
    config.write_text(
        f"feeds:\n  - url: {server.url('/world.xml')}\n  - url: {server.url('/slow.xml')}\n"
        "fetcher:\n  allow_private_networks: true\n  parse_processes: 2\n"
        "  read_timeout: 60s\n  deadline: 60s\n"
        "notifier: {slack_min_interval: 0s}\n"
        "subscriptions:\n  - id: desk\n    topics: [axis]\n"
        f"    slack: {{webhook_url: '{receiver.url}/services/T000/B000/XXXX'}}\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_"))}
    env["NEWSWATCH_DATA_DIR"] = str(tmp_path / "data")
    proc = subprocess.Popen([sys.executable, "-m", "newswatch", "run", "--once",
                             "--config", str(config)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert requested.wait(60), proc.poll() is not None and proc.communicate()
    _wait_for_articles(tmp_path / "data" / "newswatch.db", 2, proc)
    return proc


def _wait_for_articles(db: Path, count: int, proc: subprocess.Popen[str]) -> None:
    """Until the child stored the fast feed's articles (read from the database itself)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with sqlite3.connect(db, timeout=5) as conn:
                if conn.execute("SELECT count(*) FROM articles").fetchone()[0] >= count:
                    return
        except sqlite3.OperationalError:  # not migrated yet
            pass
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.1)
    raise AssertionError("the fast feed was never stored")


def _poll_child(parent: int) -> int:
    """The forked poll: the parent's descendant that leads its own process group."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for pid in _children(parent):
            try:
                if os.getpgid(pid) == pid:
                    return pid
            except ProcessLookupError:
                continue
        time.sleep(0.05)
    raise AssertionError("no poll child process")


def _threads_taking(pid: int, signum: int) -> list[str]:
    """Threads of ``pid`` other than the main one that do not block ``signum`` (from /proc)."""
    takers = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        status = (task / "status").read_text()
        blocked = int(next(line.split()[1] for line in status.splitlines()
                           if line.startswith("SigBlk:")), 16)
        if int(task.name) != pid and not blocked & (1 << (signum - 1)):
            takers.append(f"{task.name} {(task / 'comm').read_text().strip()}")
    return takers


def _communicate_or_dump(proc: subprocess.Popen[str], timeout: float) -> tuple[str, str]:
    """A process that outlives the timeout is asked for its threads' stacks (SIGUSR1, see
    `newswatch.cli.dump_stacks_on_sigusr1`) before the test fails, so a rare hang shows where."""
    try:
        return proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGUSR1)
        time.sleep(2)
        proc.kill()
        _, stderr = proc.communicate()
        raise AssertionError(f"still running {timeout:.0f} s after SIGTERM:\n{stderr}") from None


def _gone(pids: set[int], timeout: float = 10) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.1)
    return [p for p in pids if _alive(p)]


def test_a_killed_child_is_reported_and_what_it_stored_is_delivered(
        tmp_path: Path, feed_server: FeedServer, receiver: Receiver) -> None:
    proc = _start(tmp_path, feed_server, receiver)
    try:
        child = _poll_child(proc.pid)
        workers = _children(child)  # its forkserver and parse workers
        assert workers, "the child runs its parse workers"

        os.kill(child, signal.SIGKILL)
        stdout, stderr = proc.communicate(timeout=60)

        assert proc.returncode == 1, stderr
        assert f"the fetcher process {child} was killed by SIGKILL" in stderr
        assert [RELEVANT[0][:30] in r.body.decode() for r in receiver.ok()] == [True]
        assert "alerts delivered: 1" in stdout
        assert _gone(workers) == [], "the killed child's parse workers left running"
    finally:
        if proc.poll() is None:
            proc.kill()


def test_sigterm_mid_poll_stops_both_processes(
        tmp_path: Path, feed_server: FeedServer, receiver: Receiver) -> None:
    proc = _start(tmp_path, feed_server, receiver)
    try:
        child = _poll_child(proc.pid)
        everyone = _children(proc.pid)
        assert child in everyone and len(everyone) >= 3  # the child, a forkserver, workers
        # only the main thread takes SIGTERM (CPython 3.11 can lose one a helper thread takes):
        # our threads block it, and OpenBLAS starts none
        assert _threads_taking(proc.pid, signal.SIGTERM) == []

        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        _, stderr = _communicate_or_dump(proc, timeout=30)

        assert proc.returncode == 128 + signal.SIGTERM, stderr
        assert time.monotonic() - started < 20  # not the slow feed's 30 s
        assert "stopping on signal SIGTERM" in stderr
        assert "Traceback" not in stderr, stderr
        assert _gone(everyone) == [], "processes left running after SIGTERM"
    finally:
        if proc.poll() is None:
            proc.kill()


def test_sigusr1_prints_every_threads_stack_and_the_run_goes_on(
        tmp_path: Path, feed_server: FeedServer, receiver: Receiver) -> None:
    proc = _start(tmp_path, feed_server, receiver)
    try:
        proc.send_signal(signal.SIGUSR1)
        time.sleep(1)
        assert proc.poll() is None, "SIGUSR1 is a diagnostic, not a stop"

        proc.send_signal(signal.SIGTERM)
        _, stderr = _communicate_or_dump(proc, timeout=30)

        assert "Current thread" in stderr or "Thread 0x" in stderr, stderr
        assert 'File "' in stderr and "run_embedded" in stderr, stderr
        assert proc.returncode == 128 + signal.SIGTERM, stderr
    finally:
        if proc.poll() is None:
            proc.kill()
