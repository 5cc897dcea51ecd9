"""SIGINT/SIGTERM reach the main thread's handlers, whichever thread the kernel picks.

Why: a process-directed signal goes to any thread that does not block it. CPython runs the
Python handler only in the main thread, and (3.11) a signal caught by another thread can
leave the main thread unaware of it while it waits on a lock, an Event or epoll: `run
--once` was seen ignoring SIGTERM for the rest of the poll. Two remedies, one per kind of
main thread:

* ``start_daemon``: a helper thread started with the stop signals blocked never catches
  them, so the kernel delivers them to the main thread, whose wait the signal interrupts.
* ``run_handlers``: a main thread that waits in a loop of short waits asks CPython to run
  the handlers of signals caught meanwhile by any thread (numpy's OpenBLAS pool, which no
  mask of ours reaches), instead of trusting its eval loop to notice.
* ``request_exit`` / ``exit_if_requested``: a handler that raises ``SystemExit`` can fire
  inside code that swallows it (seen: inside a C extension's module init, mid-import,
  under a classify job: `run --once` then ran on to the end and exited 0). The handler also
  records the request, and the main loop's safe points raise it again.
* ``through_loop``: an asyncio main thread cannot keep every thread off the signals
  (executors and multiprocessing start their own), so the loop takes them through its
  wakeup fd, which the C-level handler writes from any thread, and runs the Python handler
  installed before (``cli.exit_on_signals``, ``cli.stop_on_signals``) as a callback.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    import asyncio

STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})

_exit_code: int | None = None  # set by request_exit: the code a stop signal asked to exit with


def request_exit(code: int) -> NoReturn:
    """From a stop signal's handler: exit with ``code`` now (``SystemExit``) and, should the
    code the handler interrupted swallow that, at the next ``exit_if_requested``."""
    global _exit_code
    _exit_code = code
    raise SystemExit(code)


def exit_if_requested() -> None:
    """Raise the ``SystemExit`` a stop signal asked for, if it has not ended the process."""
    if _exit_code is not None:
        raise SystemExit(_exit_code)


def forget_exit_request() -> None:
    """For tests: the request outlives the handler's test, as it does a process."""
    global _exit_code
    _exit_code = None


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


def run_handlers() -> None:
    """Run the Python handlers of signals caught since the last look (in the main thread).

    ``signal.pthread_sigmask`` calls ``PyErr_CheckSignals`` after changing the mask (CPython's
    signalmodule.c: "if signals was unblocked, signal handlers have been called"), which runs
    every tripped handler whatever the eval loop's flags say; the empty change costs one
    syscall. A handler's exception (``SystemExit``) propagates from here, and so does an exit
    requested earlier whose ``SystemExit`` was swallowed (``exit_if_requested``)."""
    if hasattr(signal, "pthread_sigmask") and threading.current_thread() is threading.main_thread():
        signal.pthread_sigmask(signal.SIG_BLOCK, ())
    exit_if_requested()


@contextlib.contextmanager
def through_loop(loop: asyncio.AbstractEventLoop) -> Iterator[None]:
    """While inside: the stop signals' Python handlers run as ``loop`` callbacks (the same
    handlers: a ``SystemExit`` they raise leaves the loop as it would have); afterwards
    they are installed again as plain handlers. A no-op off the main thread and on Windows."""
    if threading.current_thread() is not threading.main_thread() or sys.platform == "win32":
        yield
        return
    handlers = {sig: signal.getsignal(sig) for sig in sorted(STOP_SIGNALS)}
    taken = {sig: handler for sig, handler in handlers.items() if callable(handler)}
    for sig, handler in taken.items():
        loop.add_signal_handler(sig, handler, sig, None)
    try:
        yield
    finally:
        for sig, handler in taken.items():
            loop.remove_signal_handler(sig)  # resets it to SIG_DFL: put the handler back
            signal.signal(sig, handler)
