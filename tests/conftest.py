"""Real servers for the suite: PostgreSQL and Redis on localhost, a database per session.

TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres) names a server where
we may create databases; TEST_REDIS_URL (default redis://127.0.0.1:6379) a Redis whose
numbered database we flush per test. `make test` starts both when they are not running.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from shared.db import make_engine, migrate
from shared.models import metadata
from shared.settings import get_settings

PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_BASE_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")
REPO_ROOT = Path(__file__).resolve().parent.parent


def _admin_engine():  # type: ignore[no-untyped-def]
    from shared.db import normalize_url

    return create_engine(normalize_url(PG_ADMIN_URL), isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test session, dropped afterwards."""
    name = f"newswatch_test_{uuid.uuid4().hex[:10]}"
    admin = _admin_engine()
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - turn any driver error into a clear failure
        pytest.fail(f"PostgreSQL not reachable at {PG_ADMIN_URL} ({exc}); run `make services`")
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    url = f"{base}/{name}"
    migrate(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def pg_clean(pg_url: str) -> str:
    """The session database, emptied: every test starts from no rows."""
    engine = make_engine(pg_url)
    with engine.begin() as conn:
        names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return pg_url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'newswatch.db'}"
    migrate(url)
    return url


REDIS_CLAIM = "newswatch-test:claim:{db}"  # in database 0: which session holds database N
REDIS_CLAIM_TTL = 4 * 3600  # seconds; a crashed session's claim also lapses when its pid is gone


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A numbered Redis database claimed for this pytest session (SET NX in database 0), so
    concurrent sessions on one machine never flush each other's queues."""
    from redis import Redis

    base = REDIS_BASE_URL.rstrip("/")
    admin = Redis.from_url(f"{base}/0")
    me = str(os.getpid())
    try:
        databases = int(admin.config_get("databases").get("databases", 16))
    except Exception:  # noqa: BLE001 - CONFIG may be disabled; Redis defaults to 16
        databases = 16
    claimed = None
    try:
        for db in range(1, databases):
            key = REDIS_CLAIM.format(db=db)
            if admin.set(key, me, nx=True, ex=REDIS_CLAIM_TTL):
                claimed = db
                break
            holder = admin.get(key)
            if holder is not None and not _pid_alive(int(holder)):
                admin.set(key, me, ex=REDIS_CLAIM_TTL)
                claimed = db
                break
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"Redis not reachable at {base} ({exc}); run `make services`")
    if claimed is None:
        pytest.fail(f"all {databases - 1} Redis test databases at {base} are claimed by live sessions")
    yield f"{base}/{claimed}"
    if admin.get(REDIS_CLAIM.format(db=claimed)) == me.encode():
        admin.delete(REDIS_CLAIM.format(db=claimed))
    admin.close()


@pytest.fixture
def redis_clean(redis_url: str) -> Iterator[str]:
    from redis import Redis

    connection = Redis.from_url(redis_url)
    try:
        connection.flushdb()
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"Redis not reachable at {redis_url} ({exc}); run `make services`")
    yield redis_url
    connection.flushdb()
    connection.close()


@pytest.fixture(autouse=True)
def _fresh_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Each test sees only the environment it sets; no stray DATABASE_URL from the shell."""
    for var in ("DATABASE_URL", "REDIS_URL", "NEWSWATCH_CONFIG", "NEWSWATCH_ALLOW_PRIVATE_NETWORKS",
                "SMTP_HOST", "SMTP_PORT", "SMTP_USERNAME", "SMTP_PASSWORD", "SMTP_FROM", "SMTP_TLS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NEWSWATCH_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    from shared.context import set_context

    set_context(None)
    yield
    set_context(None)
    get_settings.cache_clear()
