"""`make fault-test` only: the suite starts its own Redis and PostgreSQL and real services.

It is left out of `make test` (collected only with NEWSWATCH_FAULT_TESTS=1) because it takes
minutes and stops and restarts servers; it never touches the shared 6379/5432.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.faults.servers import PostgresServer, RedisServer

if not os.environ.get("NEWSWATCH_FAULT_TESTS"):
    collect_ignore_glob = ["test_*.py"]

RESULTS: list[str] = []  # one table row per scenario, printed at the end of the session


@dataclass
class FaultServers:
    redis: RedisServer
    pg: PostgresServer


@pytest.fixture(scope="session")
def fault_servers() -> Iterator[FaultServers]:
    # Not under pytest's tmp dir: as root, the server runs as `postgres`, which must reach it.
    base = Path(tempfile.mkdtemp(prefix="newswatch-faults-"))
    os.chmod(base, 0o755)
    redis = RedisServer(base / "redis")
    pg = PostgresServer(base / "pg")
    redis.start()
    try:
        pg.start()
    except BaseException:
        redis.stop()
        raise
    yield FaultServers(redis, pg)
    pg.stop()
    redis.stop()
    shutil.rmtree(base, ignore_errors=True)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not RESULTS:
        return
    from tests.faults.test_faults import TABLE_HEADER

    terminalreporter.section("fault suite: delivered once / lost / duplicated per channel")
    for line in [*TABLE_HEADER, *RESULTS]:
        terminalreporter.write_line(line)
