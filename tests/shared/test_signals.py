"""SIGINT/SIGTERM reach the main thread's handlers, whichever thread the kernel gives them
to: helper threads never take them, and an asyncio loop runs them through its wakeup fd
(the `run --once` SIGTERM that was lost)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from shared import jobs
from shared.queue import InlineQueue
from shared.signals import (
    STOP_SIGNALS,
    forget_exit_request,
    request_exit,
    run_handlers,
    start_daemon,
    through_loop,
)

pytestmark = pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="POSIX only")


def test_the_thread_blocks_the_stop_signals_and_the_caller_keeps_its_mask() -> None:
    before = signal.pthread_sigmask(signal.SIG_BLOCK, set())
    seen: list[set[signal.Signals]] = []

    thread = start_daemon(lambda: seen.append(signal.pthread_sigmask(signal.SIG_BLOCK, set())),
                          name="probe")
    thread.join(5)

    assert seen[0] >= STOP_SIGNALS
    assert signal.pthread_sigmask(signal.SIG_BLOCK, set()) == before


# Run in a fresh interpreter: a thread the test process has without our mask (numpy's
# OpenBLAS pool, started by an earlier test's import) would take the signal there.
_ONLY_HELPERS = """
import os, signal, subprocess, sys, time
from shared.signals import start_daemon

received = []
signal.signal(signal.SIGTERM, lambda signum, _frame: received.append(signum))
read_fd, write_fd = os.pipe()
helpers = [start_daemon(os.read, read_fd, 1, name=f"reader-{i}") for i in range(4)]
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
subprocess.run(["kill", "-TERM", str(os.getpid())], check=True)
deadline = time.monotonic() + 5
while signal.SIGTERM not in signal.sigpending() and time.monotonic() < deadline:
    time.sleep(0.01)
pending = signal.SIGTERM in signal.sigpending()
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
print(pending, received == [signal.SIGTERM])
"""


def test_a_sigterm_from_outside_waits_for_the_main_thread() -> None:
    """Helpers blocked in read(2), as the poll reader is: while the main thread blocks
    SIGTERM, one sent by another process stays pending for it (no helper takes it) and
    runs the main thread's handler as soon as it unblocks."""
    done = subprocess.run([sys.executable, "-c", _ONLY_HELPERS], capture_output=True,
                          text=True, timeout=60, check=False)

    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True"]  # pending for the main thread, then run


def _exit_on_sigterm(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def test_an_asyncio_main_thread_takes_a_sigterm_another_thread_caught() -> None:
    """The main thread waits in epoll and blocks SIGTERM, so the kernel gives it to a helper:
    the loop still runs the handler at once (through its wakeup fd), not when it next wakes."""
    read_fd, write_fd = os.pipe()
    helper = threading.Thread(target=os.read, args=(read_fd, 1), daemon=True)
    helper.start()  # before the mask: the helper takes SIGTERM
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})

    async def poll() -> None:
        with through_loop(asyncio.get_running_loop()):
            subprocess.run(["kill", "-TERM", str(os.getpid())], check=True)
            await asyncio.sleep(5)  # a feed that answers late

    started = time.monotonic()
    try:
        with pytest.raises(SystemExit) as stopped:
            asyncio.run(poll())
        assert stopped.value.code == 128 + signal.SIGTERM
        assert time.monotonic() - started < 2
        assert signal.getsignal(signal.SIGTERM) is _exit_on_sigterm  # installed again
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
        signal.signal(signal.SIGTERM, previous)
        os.write(write_fd, b"x")
        helper.join(5)
        os.close(read_fd)
        os.close(write_fd)



def _swallowing_job() -> None:
    """A job whose code swallows the handler's SystemExit, as a C extension's module init
    did mid-import (the `run --once` that ran on to the end after SIGTERM and exited 0)."""
    with contextlib.suppress(SystemExit):
        signal.raise_signal(signal.SIGTERM)


def test_an_exit_a_job_swallowed_is_raised_again_after_the_job(
        monkeypatch: pytest.MonkeyPatch) -> None:
    job = "tests.shared.test_signals._swallowing_job"
    monkeypatch.setitem(jobs.QUEUE_FOR_JOB, job, "classify")
    previous = signal.signal(signal.SIGTERM, lambda signum, _frame: request_exit(128 + signum))
    queue = InlineQueue()
    try:
        queue.enqueue(job)
        queue.enqueue(job)

        with pytest.raises(SystemExit) as stopped:
            queue.run_pending()

        assert stopped.value.code == 128 + signal.SIGTERM
        assert queue.pending() == 1  # the next job did not start
        with pytest.raises(SystemExit):
            run_handlers()  # and every later safe point says so too
    finally:
        signal.signal(signal.SIGTERM, previous)
        forget_exit_request()
    run_handlers()  # forgotten: nothing raised
