"""Helper threads never take SIGINT/SIGTERM: the main thread, whose handlers end the
process, gets them even while it waits on an Event (the `run --once` SIGTERM that was lost)."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from shared.threads import STOP_SIGNALS, start_daemon

pytestmark = pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="POSIX only")


def test_the_thread_blocks_the_stop_signals_and_the_caller_keeps_its_mask() -> None:
    before = signal.pthread_sigmask(signal.SIG_BLOCK, set())
    seen: list[set[signal.Signals]] = []

    thread = start_daemon(lambda: seen.append(signal.pthread_sigmask(signal.SIG_BLOCK, set())),
                          name="probe")
    thread.join(5)

    assert seen[0] >= STOP_SIGNALS
    assert signal.pthread_sigmask(signal.SIG_BLOCK, set()) == before


def test_a_sigterm_from_outside_waits_for_the_main_thread() -> None:
    """Helpers blocked in read(2), as the poll reader is: while the main thread blocks
    SIGTERM, one sent by another process stays pending for it (no helper takes it) and
    runs the main thread's handler as soon as it unblocks."""
    read_fd, write_fd = os.pipe()
    received: list[int] = []
    previous = signal.signal(signal.SIGTERM, lambda signum, _frame: received.append(signum))
    helpers = [start_daemon(os.read, read_fd, 1, name=f"reader-{i}") for i in range(4)]
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    try:
        subprocess.run(["kill", "-TERM", str(os.getpid())], check=True)
        deadline = time.monotonic() + 5
        while signal.SIGTERM not in signal.sigpending() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert signal.SIGTERM in signal.sigpending() and received == []

        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})

        assert received == [signal.SIGTERM]
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
        signal.signal(signal.SIGTERM, previous)
        os.write(write_fd, b"x" * 4)
        os.close(write_fd)
        for helper in helpers:
            helper.join(5)
        os.close(read_fd)
