"""`run --once`: the poll runs in a forked child process that forwards its classify jobs.

Why a process and not a thread: scoring is CPU-bound Python, and so are the fetcher's event
loop, HTTP parsing and database writes; in one process they share one GIL, so one core. The
child fetches and stores while the parent classifies: two cores. The child forks before the
parent imports the scorers, so it starts downloading at once, and imports only the fetcher.

The pipe carries job messages (article ids), never data: the database is the source of
truth. Whatever the child stored but did not forward (it died, was killed) is found by the
parent's recovery sweep afterwards (`classifier_service.recover`), so nothing is lost.

The child leads its own process group, so one ``killpg`` ends it with its parse workers
and their forkserver. Messages are JSON lines: ``{"job": path, "args": [...]}`` for each
enqueue, ``{"stats": {...}}`` when the poll finished, ``{"error": line}`` when it failed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, NoReturn

from services.fetcher.stats import PollStats
from shared.context import AppContext
from shared.jobs import queue_for
from shared.signals import start_daemon

log = logging.getLogger(__name__)

STOP_GRACE = 10.0  # seconds a child asked to stop (SIGTERM) gets before SIGKILL
PR_SET_PDEATHSIG = 1  # prctl(2): a signal for this process when its parent dies


class PollFailed(RuntimeError):
    """The poll's process ended without finishing; the message says how (one line)."""


class PipeQueue:
    """The child's queue: every enqueue becomes one JSON line to the parent."""

    def __init__(self, fd: int) -> None:
        self._out = os.fdopen(fd, "wb", buffering=0)
        self._lock = threading.Lock()  # the fetcher's db thread and the main thread both send

    def enqueue(self, job: str, *args: Any, job_id: str | None = None) -> None:
        queue_for(job)  # an unknown job fails here, in the child, as it would in the parent
        self.send({"job": job, "args": list(args)})

    def send(self, message: dict[str, Any]) -> None:
        line = json.dumps(message, separators=(",", ":")).encode() + b"\n"
        with self._lock:
            self._out.write(line)


class PollChild:
    """The parent's handle on the forked poll: a reader thread turns its lines into jobs."""

    def __init__(self, pid: int, fd: int, on_job: Callable[[str, list[Any]], None]) -> None:
        self.pid = pid
        self.done = threading.Event()  # set at EOF: the child exited or closed the pipe
        self.stats: PollStats | None = None
        self.error: str | None = None
        self.forwarded = 0  # classify jobs received
        self._status: int | None = None
        self._reader = start_daemon(self._read, fd, on_job, name="poll-reader")

    def _read(self, fd: int, on_job: Callable[[str, list[Any]], None]) -> None:
        """Until EOF (the child exited): a line that cannot be taken marks the poll failed
        but the reading goes on, or the child would block on a full pipe."""
        try:
            with os.fdopen(fd, "rb") as lines:
                for line in lines:
                    try:
                        self._take(json.loads(line), on_job)
                    except Exception:  # noqa: BLE001 - its articles are swept up afterwards
                        log.exception("a message of the fetcher process was lost")
                        self.error = self.error or "a message of it could not be read"
        finally:
            self.done.set()

    def _take(self, message: dict[str, Any], on_job: Callable[[str, list[Any]], None]) -> None:
        if "job" in message:
            on_job(message["job"], message["args"])
            self.forwarded += 1
        elif "stats" in message:
            self.stats = PollStats.from_dict(message["stats"])
        elif "error" in message:
            self.error = str(message["error"])

    def finish(self) -> PollStats:
        """Reap the child once its pipe closed; raises PollFailed unless it finished."""
        self.done.wait()
        self._reader.join()
        finished = self.stats is not None and self.error is None
        if not finished:  # before reaping: the group keeps its id while the child is a zombie
            self._kill_group(signal.SIGKILL)  # its parse workers, if they outlived it
        status = self._reap(block=True)
        if finished and status == 0:
            assert self.stats is not None
            return self.stats
        raise PollFailed(f"the fetcher process {self.pid} {_how(status)}"
                         + (f": {self.error}" if self.error else "")
                         + "; articles it stored were classified from the database")

    def stop(self) -> None:
        """End the child and its group (SIGTERM, then SIGKILL after ``STOP_GRACE``)."""
        if self._reap(block=False) is not None:
            return
        self._kill_group(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        while self._reap(block=False) is None:
            if time.monotonic() > deadline:
                log.warning("fetcher process %d ignored SIGTERM for %.0fs: killing it",
                            self.pid, STOP_GRACE)
                self._kill_group(signal.SIGKILL)
                self._reap(block=True)
                return
            time.sleep(0.05)

    def _reap(self, *, block: bool) -> int | None:
        """The child's wait status once it exited (None while it runs)."""
        if self._status is None:
            try:
                pid, status = os.waitpid(self.pid, 0 if block else os.WNOHANG)
            except ChildProcessError:  # reaped elsewhere: nothing to say about how it ended
                pid, status = self.pid, 255 << 8
            if pid == self.pid:
                self._status = status
        return self._status

    def _kill_group(self, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):  # the group is gone
            os.killpg(self.pid, sig)


def start(ctx: AppContext, on_job: Callable[[str, list[Any]], None]) -> PollChild:
    """Fork the poll. Call it while this process runs no other thread (a forked child
    inherits only the calling thread, and any lock another thread held stays locked)."""
    for stream in (sys.stdout, sys.stderr):
        stream.flush()  # or both processes would write what was buffered
    ctx.engine.dispose()  # pooled connections must not be shared across processes
    read_fd, write_fd = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        _child_main(ctx, write_fd, parent)
    os.close(write_fd)
    with contextlib.suppress(PermissionError, ProcessLookupError):  # it did so first, exited
        os.setpgid(pid, pid)  # the child does so too: whichever runs first
    log.debug("poll forked into process %d", pid)
    return PollChild(pid, read_fd, on_job)


def _child_main(ctx: AppContext, fd: int, parent: int) -> NoReturn:
    """Poll every feed once, forwarding jobs; never returns (``os._exit``: the parent's
    atexit handlers, buffers and pytest, when forked in a test, are not ours to run)."""
    code = 1
    queue: PipeQueue | None = None
    try:
        os.setpgid(0, 0)
        _die_with_parent(parent)
        _forget_parents_forkserver()
        queue = PipeQueue(fd)
        ctx.queue = queue
        from services.fetcher import poller

        stats = poller.run_once(ctx)
        queue.send({"stats": stats.as_dict()})
        code = 0
    except SystemExit as exc:  # SIGTERM/SIGINT (cli.exit_on_signals): unwound, workers shut down
        code = exc.code if isinstance(exc.code, int) else 1
    except BrokenPipeError:
        log.warning("fetcher process: the classifying process is gone; stopping")
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, then exit 1
        log.exception("fetcher process failed")
        _send_error(queue, exc)
    finally:
        logging.shutdown()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(code)


def _forget_parents_forkserver() -> None:
    """A forkserver the parent started (an earlier poll in the same process, as in tests) is
    the parent's child: the forked child must start its own. multiprocessing keeps the
    server in a module global whose ``waitpid`` would fail here with ECHILD, and has no
    public reset, so the instance is re-initialised (and the parent's liveness pipe closed).
    """
    forkserver = sys.modules.get("multiprocessing.forkserver")
    if forkserver is None:
        return
    server = forkserver._forkserver
    alive_fd = getattr(server, "_forkserver_alive_fd", None)
    if alive_fd is not None:
        with contextlib.suppress(OSError):
            os.close(alive_fd)
    server.__init__()


def _send_error(queue: PipeQueue | None, exc: BaseException) -> None:
    from shared.retry import describe

    if queue is not None:
        with contextlib.suppress(OSError):
            queue.send({"error": describe(exc)})


def _die_with_parent(parent: int) -> None:
    """SIGTERM this child when the parent dies (Linux); a SIGKILLed parent would else leave
    it polling. Elsewhere a write to the closed pipe stops it (BrokenPipeError)."""
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM))
    if os.getppid() != parent:  # it died before prctl took effect
        raise SystemExit(1)


def _how(status: int | None) -> str:
    if status is None:
        return "did not exit"
    if os.WIFSIGNALED(status):
        return f"was killed by {signal.Signals(os.WTERMSIG(status)).name}"
    code = os.waitstatus_to_exitcode(status)
    return "exited before reporting its result" if code == 0 else f"exited with code {code}"
