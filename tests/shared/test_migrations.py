"""The Alembic revisions build exactly the schema the code declares, on both databases."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from shared.db import make_engine, migrate
from shared.models import metadata


@pytest.mark.parametrize("fixture", ["sqlite_url", "pg_url"])
def test_migrations_match_models(fixture: str, request: pytest.FixtureRequest) -> None:
    url = str(request.getfixturevalue(fixture))
    migrate(url)  # idempotent: a second run is a no-op
    engine = make_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert diff == [], f"models changed without a migration: {diff}"


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
