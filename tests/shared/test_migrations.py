"""The Alembic revisions build exactly the schema the code declares, on both databases."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData

from shared.db import alembic_config, head_revision, make_engine, migrate
from shared.models import metadata
from shared.store.schema import schema_revisions


def _diff(url: str, against: MetaData) -> list[object]:
    engine = make_engine(url)
    with engine.connect() as conn:
        diff = list(compare_metadata(MigrationContext.configure(conn), against))
    engine.dispose()
    return diff


@pytest.mark.parametrize("fixture", ["sqlite_url", "pg_url"])
def test_migrations_match_models(fixture: str, request: pytest.FixtureRequest) -> None:
    url = str(request.getfixturevalue(fixture))
    migrate(url)  # idempotent: a second run is a no-op
    assert _diff(url, metadata) == [], "models changed without a migration"


def test_the_alembic_revisions_build_the_models_schema_on_sqlite(tmp_path: Path) -> None:
    """`migrate` creates an empty SQLite file from the models; the revisions must build the
    same schema, or a database created so would differ from one migrated up to the head."""
    url = f"sqlite:///{tmp_path / 'by-alembic.db'}"
    make_engine(url).dispose()
    command.upgrade(alembic_config(url), "head")  # type: ignore[arg-type]
    assert _diff(url, metadata) == [], "models changed without a migration"


def test_an_empty_sqlite_file_is_created_at_the_head_without_alembic(tmp_path: Path) -> None:
    fast, slow = f"sqlite:///{tmp_path / 'fast.db'}", f"sqlite:///{tmp_path / 'slow.db'}"
    migrate(fast)
    command.upgrade(alembic_config(slow), "head")  # type: ignore[arg-type]
    engine = make_engine(fast)
    with engine.connect() as conn:
        assert schema_revisions(conn) == {head_revision()}
        built = MetaData()
        built.reflect(conn)
    engine.dispose()
    assert _diff(slow, built) == []  # the Alembic-built schema is the one created
    command.upgrade(alembic_config(fast), "head")  # type: ignore[arg-type]  # Alembic agrees: at head


def _newswatch(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    import os
    import sys

    full = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_"))}
    return subprocess.run([sys.executable, "-m", "newswatch", *args], env={**full, **env},
                          capture_output=True, text=True, timeout=120, check=False)


def test_migrate_refuses_a_broken_config_before_touching_the_database(tmp_path: Path) -> None:
    """In compose a broken config must stop `up` at `migrate`, with the error shown."""
    config = tmp_path / "newswatch.yaml"
    config.write_text("subscriptions:\n  - id: desk\n    topic: [axis]\n    console: {}\n")
    result = _newswatch(["migrate", "--config", str(config)],
                        {"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/nowhere"})
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {config}:")
    assert f"{config}:3: subscriptions[0].topic: unknown key" in result.stderr
    assert "Traceback" not in result.stderr and "database" not in result.stderr


def test_migrate_waits_for_the_database_then_gives_up_in_one_line(tmp_path: Path) -> None:
    config = tmp_path / "newswatch.yaml"
    config.write_text("alert_max_age: 24h\n")
    result = _newswatch(["migrate", "--config", str(config), "--wait", "2s"],
                        {"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/nowhere"})
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert "Traceback" not in result.stderr
    assert all("waiting for the database" in line for line in lines[:-1]), lines
    assert lines[-1].startswith("error: database unreachable at postgresql+psycopg://postgres@127.0.0.1:1")
    assert lines[-1].endswith("(waited 2s)")


def test_migrate_with_a_valid_config_migrates(tmp_path: Path, pg_url: str) -> None:
    config = tmp_path / "newswatch.yaml"
    config.write_text("alert_max_age: 24h\n")
    result = _newswatch(["migrate", "--config", str(config)], {"DATABASE_URL": pg_url})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "database is up to date"
