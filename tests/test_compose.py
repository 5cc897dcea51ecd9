"""docker-compose.yml and the Dockerfile, checked without a Docker engine (there is none in CI).

Structure is checked with PyYAML against what the rest of the suite proves works: every service
runs a `newswatch` subcommand that the end-to-end tests run, against the URLs they use. When a
Compose v2 CLI (>= 2.24: `env_file.required`) is installed its own validator runs too; it needs
no engine. The stack on a real engine is `make compose-test` (tests/compose/).
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
SHELL_PASSTHROUGH = (*SECRETS, "SMTP_TIMEOUT", "NEWSWATCH_ALLOW_PRIVATE_NETWORKS")
CONFIG_DIR_IN_CONTAINER = "/app/config"
CONFIG_IN_CONTAINER = "/app/config/newswatch.yaml"
CONFIG_MOUNT = "${NEWSWATCH_CONFIG_DIR:-./deploy/config}:/app/config:ro"
COMPOSE_CONFIG = REPO_ROOT / "deploy" / "config" / "newswatch.yaml"
IMAGE = "newswatch:local"
LOCK_FILE = REPO_ROOT / "requirements.lock"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))  # SafeLoader merges `<<:`
    assert isinstance(data, dict) and isinstance(data.get("services"), dict)
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(compose["services"])


def _ours(services: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The services running this repo's image (not redis/postgres)."""
    return {name: svc for name, svc in services.items() if svc.get("image") == IMAGE}


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


def test_one_image_is_built_once_and_reused(services: dict[str, dict[str, Any]]) -> None:
    """One `build:` (no parallel builds, no dangling images); the others never try to pull it."""
    assert [name for name, svc in services.items() if "build" in svc] == ["migrate"]
    for name, service in _ours(services).items():
        assert service["image"] == IMAGE, name
        assert service["pull_policy"] == "never", name


def test_workers_have_healthchecks_running_newswatch_health(
        services: dict[str, dict[str, Any]]) -> None:
    from newswatch.cli import main_group

    assert "health" in main_group.commands
    for worker in WORKERS:
        check = services[worker]["healthcheck"]
        assert check["test"] == ["CMD", "newswatch", "health", "--service", worker], worker
        assert check["start_period"] and check["retries"] >= 1, worker
    assert "healthcheck" not in services["migrate"]  # a one-shot: its exit status is the check


def test_scaling_can_be_made_sticky(services: dict[str, dict[str, Any]]) -> None:
    """`--scale` lasts until the next plain `up`; deploy.replicas (from .env) persists."""
    for worker in ("classifier", "notifier"):
        assert str(services[worker]["deploy"]["replicas"]).startswith("${"), worker


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
        for secret in SHELL_PASSTHROUGH:
            # Passed through from the shell, never written into the file.
            assert secret in env and env[secret] is None, f"{name}: {secret}"
        # Everything in an optional .env reaches the container (${VAR} in the config).
        assert service["env_file"] == [{"path": ".env", "required": False}], name


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


def test_the_config_directory_is_mounted_not_a_file(services: dict[str, dict[str, Any]]) -> None:
    """A file bind mount keeps the old inode after `mv`/safe writes; a directory does not."""
    for name, service in _ours(services).items():
        assert _environment(service)["NEWSWATCH_CONFIG"] == CONFIG_IN_CONTAINER, name
        assert service["volumes"] == [CONFIG_MOUNT], name
    assert COMPOSE_CONFIG.is_file() and (COMPOSE_CONFIG.parent / "topics").is_dir()


def test_the_mounted_config_exists_and_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    from shared.config import load_config

    assert load_config(REPO_ROOT / "newswatch.yaml").feeds
    monkeypatch.setenv("SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/T0/B0/xyz")
    compose_config = load_config(COMPOSE_CONFIG)
    assert compose_config.feeds == load_config(REPO_ROOT / "newswatch.yaml").feeds
    slack = [s for s in compose_config.subscriptions if s.slack is not None]
    assert [s.id for s in slack] == ["desk"]  # the README's compose section sends to Slack


def test_the_compose_config_names_the_missing_slack_variable() -> None:
    from shared.config import load_config
    from shared.exceptions import ConfigError

    with pytest.raises(ConfigError, match=r"newswatch.yaml:\d+: .*SLACK_WEBHOOK_URL is not set"):
        load_config(COMPOSE_CONFIG)


def _compose_v2() -> list[str] | None:
    """A Compose v2 CLI (the `docker compose` plugin or a standalone v2 binary), else None.

    Debian's docker-compose 1.29 cannot read `env_file: {path, required}` (Compose >= 2.24).
    """
    candidates: list[list[str]] = []
    if shutil.which("docker"):
        candidates.append(["docker", "compose"])
    if shutil.which("docker-compose"):
        candidates.append(["docker-compose"])
    for cli in candidates:
        probe = subprocess.run([*cli, "version", "--short"], capture_output=True, text=True,
                               check=False)
        if probe.returncode == 0 and probe.stdout.strip().lstrip("v").startswith("2."):
            return cli
    return None


def test_compose_cli_accepts_the_file(tmp_path: Path) -> None:
    cli = _compose_v2()
    if cli is None:
        pytest.skip("no Compose v2 CLI (`docker compose` >= 2.24) installed; Debian's "
                    "docker-compose 1.x cannot read env_file.required; structural checks ran")
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
    """The context is an allow-list: only what the Dockerfile COPYs, never .env or .venv."""
    lines = [line.strip() for line in DOCKERIGNORE.read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert lines[0] == "*"
    allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    assert {".env", ".venv", ".git", "data"} <= set(lines)
    copied = {source.rstrip("/") for keyword, args in _instructions() if keyword == "COPY"
              for source in args.split()[:-1] if not source.startswith("--")}
    assert copied == allowed == {"requirements.lock", "pyproject.toml", "README.md", "shared",
                                 "services", "newswatch", "newswatch.yaml"}


def test_the_dependency_layer_is_keyed_on_the_lock_file_only() -> None:
    """Editing README.md or code must not reinstall numpy and friends."""
    steps = _instructions()
    first_copy = next(args for keyword, args in steps if keyword == "COPY")
    assert first_copy.split() == ["requirements.lock", "./"]
    first_run = next(args for keyword, args in steps if keyword == "RUN")
    assert "pip install" in first_run and "-r requirements.lock" in first_run


# The package an extra of a dependency brings, which the lock must pin too.
EXTRA_PACKAGES = {("psycopg", "binary"): "psycopg-binary", ("httpx", "http2"): "h2"}


def test_the_lock_file_pins_every_dependency() -> None:
    """A dependency added to pyproject.toml without `bash scripts/lock-requirements.sh` fails."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    pinned: dict[str, str] = {}
    for line in LOCK_FILE.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].split(";", 1)[0].strip()  # drop comments and markers
        if line:
            name, _, version = line.partition("==")
            assert version, f"requirements.lock: {line!r} is not pinned with =="
            pinned[canonicalize_name(name)] = version
    for spec in tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["dependencies"]:
        requirement = Requirement(spec)
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{requirement.name} is not in requirements.lock: regenerate it"
        assert requirement.specifier.contains(pinned[name]), f"{spec} vs {pinned[name]}"
        for extra in requirement.extras:
            package = EXTRA_PACKAGES.get((name, extra))
            assert package is not None, f"{spec}: name the package its extra adds in EXTRA_PACKAGES"
            assert package in pinned, f"{spec}: {package} is not in requirements.lock: regenerate it"


def test_the_modules_the_image_precompiles_are_installed() -> None:
    """The Dockerfile's precompile step imports these: a dependency dropped from the lock but
    left in that list breaks `docker compose build` and nothing else would notice."""
    import importlib.util
    import re

    dockerfile = (REPO_ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    match = re.search(r"PYTHONDONTWRITEBYTECODE= python -c 'import ([^']+)'", dockerfile)
    assert match, "the precompile step is gone from the Dockerfile"
    modules = [m.strip() for m in match.group(1).split(",") if m.strip()]
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    assert not missing, f"Dockerfile precompiles modules that are not installed: {missing}"
