"""Engines and migrations for SQLite (embedded) and PostgreSQL (compose)."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from shared.exceptions import StoreError

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_REVISION = re.compile(r"^(down_revision|revision)\s*=\s*(None|\"[^\"]*\"|'[^']*')\s*$", re.M)


def normalize_url(url: str) -> str:
    """Accept plain ``postgresql://`` / ``postgres://`` URLs and use psycopg 3 for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str) -> Engine:
    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    """WAL lets the fetcher write while the classifier and notifier read (and `run --once`'s
    two processes write in turn: one writer at a time, the other waits up to busy_timeout).

    synchronous=NORMAL: in WAL mode a commit then appends to the log without an fsync (the
    log is synced at checkpoints). The database cannot be corrupted, and a process crash
    loses nothing; only an OS crash or power cut can undo the last commits. FULL cost an
    fsync per commit, ~0.3-0.8 s of a `run --once` over a day of news (its ~80 commits)."""
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def ping(conn: Connection) -> None:
    """The cheapest round trip: raises SQLAlchemyError when the database does not answer."""
    conn.execute(text("SELECT 1"))


def check_connection(engine: Engine) -> None:
    """Fail early with one clear line when the database is unreachable."""
    try:
        with engine.connect() as conn:
            ping(conn)
    except SQLAlchemyError as exc:
        raise StoreError(
            f"database unreachable at {engine.url.render_as_string(hide_password=True)}: "
            f"{exc.orig if hasattr(exc, 'orig') else exc}"
        ) from None


def wait_for_database(url: str, timeout: float, every: float = 1.0) -> None:
    """Retry ``check_connection`` until it passes or ``timeout`` seconds went by (then raise)."""
    import time

    engine = make_engine(url)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                check_connection(engine)
                return
            except StoreError as exc:
                line = " ".join(str(exc).split())  # drivers add indented hint lines
                if time.monotonic() + every > deadline:
                    raise StoreError(f"{line} (waited {timeout:.0f}s)") from None
                log.info("waiting for the database: %s", line)
                time.sleep(every)
    finally:
        engine.dispose()


def alembic_config(url: str) -> object:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return config


def migrate(url: str) -> None:
    """Bring the schema to the newest revision (idempotent).

    A database already at the head is left alone without importing Alembic, which is most
    of what this costs every `run --once` and every service start; an empty SQLite file (the
    embedded default's first run) gets the schema at the head in one transaction, also without
    Alembic. PostgreSQL always goes through Alembic (compose runs it as a one-shot step)."""
    from shared.store.schema import create_at_head, schema_revisions

    engine = make_engine(url)
    check_connection(engine)
    head = head_revision()
    try:
        with engine.connect() as conn:
            current = schema_revisions(conn)
        if head is not None and current is None and engine.dialect.name == "sqlite":
            with engine.begin() as conn:  # the embedded default's first run
                if create_at_head(conn, head):
                    log.info("database created at %s url=%s", head, engine.url.render_as_string())
                    return
    finally:
        engine.dispose()
    if head is not None and current == {head}:
        log.debug("database schema at %s already", head)
        return
    from alembic import command

    command.upgrade(alembic_config(url), "head")  # type: ignore[arg-type]
    log.info("database migrated url=%s", make_url(normalize_url(url)).render_as_string(hide_password=True))


def head_revision(directory: Path = MIGRATIONS_DIR / "versions") -> str | None:
    """The one head of the migration scripts, read from their ``revision =`` lines; None
    when that is not plain (a merge, a branch, an odd script): then Alembic decides."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in directory.glob("*.py"):
        found = dict(_REVISION.findall(script.read_text(encoding="utf-8")))
        if "revision" not in found or "down_revision" not in found:
            return None
        revisions.add(found["revision"].strip("\"'"))
        if found["down_revision"] != "None":
            parents.add(found["down_revision"].strip("\"'"))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 and parents <= revisions else None
