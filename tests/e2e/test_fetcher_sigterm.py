"""`docker stop` sends SIGTERM to the fetcher's main process only: a `fetcher --once` stopped
mid-poll must exit promptly and take its parse worker processes (and the forkserver) with it,
not leave them running orphaned in the container."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.e2e.conftest import IRRELEVANT, RELEVANT, rss
from tests.servers import FeedServer, Page


def _children(pid: int) -> set[int]:
    """All live descendants of ``pid``, read from /proc (Linux)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z":
            parents[int(entry.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_sigterm_ends_fetcher_once_and_its_parse_workers(
    tmp_path: Path, pg_clean: str, redis_clean: str
) -> None:
    server = FeedServer().start()
    requested: list[str] = []

    def slow(_headers: dict[str, str]) -> Page:
        requested.append("slow")
        time.sleep(30)
        return Page(rss([IRRELEVANT]))

    server.pages["/world.xml"] = Page(rss([RELEVANT, IRRELEVANT]))
    server.pages["/slow.xml"] = slow
    config = tmp_path / "newswatch.yaml"
    config.write_text(
        f"feeds:\n  - url: {server.url('/world.xml')}\n  - url: {server.url('/slow.xml')}\n"
        "fetcher:\n  allow_private_networks: true\n  parse_processes: 2\n"
        "  read_timeout: 60s\n  deadline: 60s\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_"))}
    env.update(DATABASE_URL=pg_clean, REDIS_URL=redis_clean,
               NEWSWATCH_DATA_DIR=str(tmp_path / "data"))
    proc = subprocess.Popen([sys.executable, "-m", "newswatch", "fetcher", "--once",
                             "--config", str(config)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        workers: set[int] = set()
        while time.monotonic() < deadline and (len(workers) < 3 or not requested):
            workers = _children(proc.pid)  # the forkserver and its two parse workers
            time.sleep(0.1)
        assert requested and len(workers) >= 3, (workers, proc.poll() is not None
                                                  and proc.communicate())

        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=20)
        assert proc.returncode != 0
        assert "stopping on signal SIGTERM" in stderr
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(p) for p in workers):
            time.sleep(0.1)
        assert not [p for p in workers if _alive(p)], "parse workers left running"
    finally:
        if proc.poll() is None:
            proc.kill()
        server.stop()
