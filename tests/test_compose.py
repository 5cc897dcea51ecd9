"""docker-compose.yml and the Dockerfile, checked without a Docker engine (there is none in CI).

Structure is checked with PyYAML against what the rest of the suite proves works: every service
runs a `newswatch` subcommand that the end-to-end tests run, against the URLs they use. When a
compose CLI is installed (`docker-compose` from Debian, or the `docker compose` plugin) its own
validator runs too; it needs no engine.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from tests.conftest import REPO_ROOT

COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
DOCKERFILE = REPO_ROOT / "Dockerfile"
DOCKERIGNORE = REPO_ROOT / ".dockerignore"

# The subcommands the suite runs for real (tests/e2e): compose may run only these.
TESTED_SUBCOMMANDS = {"run", "fetcher", "classifier", "notifier", "migrate", "web"}
WORKERS = ("fetcher", "classifier", "notifier")
SECRETS = ("SLACK_WEBHOOK_URL", "SMTP_HOST", "SMTP_PORT", "SMTP_USERNAME", "SMTP_PASSWORD",
           "SMTP_FROM", "SMTP_TLS")
CONFIG_IN_CONTAINER = "/app/newswatch.yaml"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))  # SafeLoader merges `<<:`
    assert isinstance(data, dict) and isinstance(data.get("services"), dict)
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(compose["services"])


def _ours(services: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The services built from this repo's image (not redis/postgres)."""
    return {name: svc for name, svc in services.items() if "build" in svc}


def _environment(service: dict[str, Any]) -> dict[str, Any]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return dict(env)


def _depends(service: dict[str, Any]) -> dict[str, str]:
    depends = service.get("depends_on") or {}
    assert isinstance(depends, dict), "depends_on must use the long form with conditions"
    return {name: spec.get("condition", "") for name, spec in depends.items()}


def test_the_expected_services_exist(services: dict[str, dict[str, Any]]) -> None:
    assert {"redis", "postgres", "migrate", *WORKERS} <= set(services)
    assert set(_ours(services)) == {"migrate", "web", *WORKERS}


def test_every_service_runs_a_tested_newswatch_subcommand(services: dict[str, dict[str, Any]]) -> None:
    from newswatch.cli import main_group

    for name, service in _ours(services).items():
        assert "entrypoint" not in service, f"{name}: keep the image's `newswatch` entrypoint"
        command = service["command"]
        argv = command if isinstance(command, list) else command.split()
        assert argv[0] in TESTED_SUBCOMMANDS, f"{name}: {argv[0]!r} is not a subcommand the tests run"
        assert argv[0] in main_group.commands, f"{name}: newswatch has no {argv[0]!r} command"
    assert services["migrate"]["command"] == ["migrate"]
    for worker in WORKERS:
        assert services[worker]["command"] == [worker]


def test_datastores_have_healthchecks(services: dict[str, dict[str, Any]]) -> None:
    redis_test = " ".join(services["redis"]["healthcheck"]["test"])
    postgres_test = " ".join(services["postgres"]["healthcheck"]["test"])
    assert "redis-cli" in redis_test and "ping" in redis_test
    assert "pg_isready" in postgres_test


def test_start_order_waits_for_health_and_the_migration(services: dict[str, dict[str, Any]]) -> None:
    assert _depends(services["migrate"]) == {"postgres": "service_healthy"}
    for worker in WORKERS:
        assert _depends(services[worker]) == {
            "redis": "service_healthy", "postgres": "service_healthy",
            "migrate": "service_completed_successfully",
        }, worker


def test_restart_policies(services: dict[str, dict[str, Any]]) -> None:
    assert services["migrate"]["restart"] == "no"  # a one-shot: never loop on success
    for name in ("redis", "postgres", *WORKERS):
        assert services[name]["restart"] == "unless-stopped", name


def test_workers_can_be_scaled(services: dict[str, dict[str, Any]]) -> None:
    """`--scale classifier=4` fails on fixed container names or published host ports."""
    for name, service in services.items():
        assert "container_name" not in service, name
    for worker in WORKERS:
        assert "ports" not in services[worker], worker


def test_environment_wiring(services: dict[str, dict[str, Any]]) -> None:
    pg_env = _environment(services["postgres"])
    for name, service in _ours(services).items():
        env = _environment(service)
        database = urlsplit(env["DATABASE_URL"])
        assert database.scheme == "postgresql" and database.hostname == "postgres", name
        assert (database.username, database.password, database.path.lstrip("/")) == (
            pg_env["POSTGRES_USER"], pg_env["POSTGRES_PASSWORD"], pg_env["POSTGRES_DB"]), name
        assert env["DATABASE_URL"] == "postgresql://newswatch:newswatch@postgres:5432/newswatch"
        assert env["REDIS_URL"] == "redis://redis:6379/0", name
        assert env["NEWSWATCH_CONFIG"] == CONFIG_IN_CONTAINER, name
        assert f"./newswatch.yaml:{CONFIG_IN_CONTAINER}:ro" in service["volumes"], name
        for secret in SECRETS:
            # Passed through from the shell / .env, never written into the file.
            assert secret in env and env[secret] is None, f"{name}: {secret}"


def test_web_service_is_probed_and_published_on_loopback(
    services: dict[str, dict[str, Any]],
) -> None:
    web = services["web"]
    assert web["command"][0] == "web" and "8080" in web["command"]
    assert web["ports"] == ["127.0.0.1:8080:8080"]
    probe = " ".join(web["healthcheck"]["test"])
    assert probe.startswith("CMD python") and "/healthz" in probe
    assert _depends(web)["migrate"] == "service_completed_successfully"
    env = _environment(web)
    assert "NEWSWATCH_WEB_TOKEN" in env and env["NEWSWATCH_WEB_TOKEN"] is None  # from .env


def test_the_mounted_config_exists_and_is_valid() -> None:
    from shared.config import load_config

    config = load_config(REPO_ROOT / "newswatch.yaml")
    assert config.feeds


def _compose_cli() -> list[str] | None:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
        if probe.returncode == 0:
            return ["docker", "compose"]
    return None


def test_compose_cli_accepts_the_file(tmp_path: Path) -> None:
    cli = _compose_cli()
    if cli is None:
        pytest.skip("no docker-compose / `docker compose` installed (make services installs "
                    "Debian's docker-compose as root); the structural checks above still ran")
    env = {k: v for k, v in os.environ.items() if k not in SECRETS and not k.startswith("COMPOSE_")}
    result = subprocess.run([*cli, "-f", str(COMPOSE_FILE), "config", "-q"], cwd=REPO_ROOT, env=env,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr


# --- Dockerfile -----------------------------------------------------------------------------


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out


def test_dockerfile_builds_the_package_on_python_slim() -> None:
    steps = _instructions()
    assert steps[0] == ("FROM", "python:3.11-slim")
    runs = " ".join(args for keyword, args in steps if keyword == "RUN")
    assert re.search(r"pip install[^&]* \.(\s|$)", runs), "the image must `pip install .` the project"
    copied = " ".join(args for keyword, args in steps if keyword == "COPY")
    packages = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"]["find"]["include"]
    for package in packages:
        assert package.rstrip("*") in copied, f"the image does not COPY {package}"


def test_dockerfile_entrypoint_is_the_console_script_as_non_root() -> None:
    steps = _instructions()
    scripts = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    entrypoints = [yaml.safe_load(args) for keyword, args in steps if keyword == "ENTRYPOINT"]
    assert entrypoints == [["newswatch"]] and "newswatch" in scripts
    users = [args for keyword, args in steps if keyword == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert [i for i, (k, _a) in enumerate(steps) if k == "USER"][-1] < \
        [i for i, (k, _a) in enumerate(steps) if k == "ENTRYPOINT"][-1]


def test_dockerignore_keeps_secrets_and_local_state_out() -> None:
    ignored = {line.strip() for line in DOCKERIGNORE.read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    assert {".env", ".venv", ".git", "data"} <= ignored
    copied = {source for keyword, args in _instructions() if keyword == "COPY"
              for source in args.split()[:-1] if not source.startswith("--")}
    assert {"pyproject.toml", "README.md", "newswatch.yaml"} <= copied
    assert not copied & ignored, "the Dockerfile COPYs something .dockerignore excludes"
