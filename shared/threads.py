"""Helper threads that leave SIGINT/SIGTERM to the main thread.

Why: a process-directed signal goes to any thread that does not block it. CPython runs the
Python handler only in the main thread, and (3.11) a signal caught by another thread can
leave the main thread unaware of it while it waits on a lock or an Event: `run --once`
was seen ignoring SIGTERM for the rest of the poll, and a worker's warm shutdown could be
delayed the same way. A thread started with the stop signals blocked never catches them,
so the kernel delivers them to the main thread, whose wait the signal interrupts.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import Any

STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})


def start_daemon(target: Callable[..., Any], *args: Any, name: str) -> threading.Thread:
    """Start ``target(*args)`` in a daemon thread that never receives the stop signals.

    The mask is set around ``start()``: a new thread inherits its creator's mask, so it is
    blocked from its first instruction. A signal arriving meanwhile stays pending and is
    delivered to this thread when the mask is restored."""
    thread = threading.Thread(target=target, args=args, name=name, daemon=True)
    if not hasattr(signal, "pthread_sigmask"):  # Windows: no per-thread masks
        thread.start()
        return thread
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        thread.start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
    return thread
