"""The repo's shape: services meet only in shared/, job paths resolve, the README covers the surface.

Each service must be deployable and scalable alone (compose runs one per container), so none
may import another's code; they enqueue each other by the dotted paths in shared/jobs.py.
"""

from __future__ import annotations

import ast
import re
import typing
from pathlib import Path

import click
import pytest
from pydantic import BaseModel

from tests.conftest import REPO_ROOT

SERVICES_DIR = REPO_ROOT / "services"
SHARED_DIR = REPO_ROOT / "shared"
README = REPO_ROOT / "README.md"
ENTRY_POINT_PACKAGE = "newswatch"


def _python_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module) for every import in the file at ``path``."""
    return imports_in(path.read_text(encoding="utf-8"), _module_name(path),
                      is_package=path.name == "__init__.py")


def imports_in(source: str, module: str, *, is_package: bool) -> list[tuple[int, str]]:
    """(line, absolute module) for every import in ``source``, relative ones resolved.

    ``from services import notifier`` yields ``services.notifier`` too: the imported name may
    be a subpackage, and counting it is what keeps the rule honest.
    """
    package = module if is_package else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.append((node.lineno, base))
            found.extend((node.lineno, f"{base}.{alias.name}") for alias in node.names)
    return found


def _service_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "services" else None


def test_the_import_parser_sees_every_form() -> None:
    """Guard the guard: a parser that missed a form would let violations through silently."""
    source = (
        "import services.notifier.render\n"
        "from services.classifier import scorer\n"
        "from services import notifier\n"
        "from ..fetcher import http\n"
        "from . import text\n"
        "def late() -> None:\n    import services.fetcher.poller\n"
    )
    modules = {m for _line, m in imports_in(source, "services.classifier.probe", is_package=False)}
    assert {"services.notifier.render", "services.classifier.scorer", "services.notifier",
            "services.fetcher.http", "services.classifier.text", "services.fetcher.poller"} <= modules


def test_services_exist() -> None:
    names = {p.name for p in SERVICES_DIR.iterdir() if (p / "__init__.py").exists()}
    assert {"fetcher", "classifier", "notifier"} <= names


def test_no_service_imports_another_service() -> None:
    violations = []
    for path in _python_files(SERVICES_DIR):
        own = _service_of(_module_name(path))
        if own is None:
            continue
        for line, module in imported_modules(path):
            other = _service_of(module)
            if other is not None and other != own:
                violations.append(f"{path.relative_to(REPO_ROOT)}:{line} imports {module}")
    assert not violations, "services meet only in shared/ (enqueue by shared.jobs paths):\n" + \
        "\n".join(violations)


@pytest.mark.parametrize("root", [SHARED_DIR, SERVICES_DIR], ids=["shared", "services"])
def test_libraries_do_not_import_upwards(root: Path) -> None:
    """shared/ imports no service; neither imports the entry points in newswatch/."""
    violations = []
    for path in _python_files(root):
        for line, module in imported_modules(path):
            top = module.split(".")[0]
            if top == ENTRY_POINT_PACKAGE or (root == SHARED_DIR and top == "services"):
                violations.append(f"{path.relative_to(REPO_ROOT)}:{line} imports {module}")
    assert not violations, "\n".join(violations)


def _job_paths() -> dict[str, str]:
    from shared import jobs

    return {
        name: value for name, value in vars(jobs).items()
        if name.isupper() and isinstance(value, str) and value.startswith("services.")
    }


def test_every_job_path_resolves_to_a_function() -> None:
    from shared import jobs
    from shared.queue import resolve_job

    paths = _job_paths()
    assert paths, "shared/jobs.py defines no job paths"
    for name, path in paths.items():
        function = resolve_job(path)
        assert callable(function), f"jobs.{name} = {path!r} is not callable"
        assert function.__module__ == path.rpartition(".")[0], f"jobs.{name} is re-exported"
        assert jobs.queue_for(path) in {jobs.CLASSIFY_QUEUE, jobs.NOTIFY_QUEUE}


def test_every_queued_job_is_a_named_constant() -> None:
    from shared import jobs

    assert set(jobs.QUEUE_FOR_JOB) == set(_job_paths().values())


# --- the README documents the whole surface (lands with the lead's config reference) ----------


def _readme() -> str:
    if not README.exists():
        pytest.fail("README.md is missing")
    return README.read_text(encoding="utf-8")


def cli_command_paths() -> list[str]:
    """Every leaf command of the CLI as typed after `newswatch`, e.g. 'run', 'feeds list'."""
    from newswatch.cli import main_group

    paths: list[str] = []

    def walk(command: click.Command, prefix: str) -> None:
        if isinstance(command, click.Group):
            for name, sub in sorted(command.commands.items()):
                walk(sub, f"{prefix} {name}".strip())
            return
        paths.append(prefix)

    walk(main_group, "")
    return paths


def config_keys(model: type[BaseModel] | None = None) -> set[str]:
    """Every key a config file may contain, walking nested models (lists, dicts, optionals)."""
    from shared.config import AppConfig

    found: set[str] = set()
    pending: list[type[BaseModel]] = [model or AppConfig]
    seen: set[type[BaseModel]] = set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        for name, field in current.model_fields.items():
            found.add(field.alias or name)
            pending.extend(_models_in(field.annotation))
    return found


def _models_in(annotation: typing.Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def test_config_key_walker_reaches_nested_sections() -> None:
    keys = config_keys()
    assert {"alert_max_age", "feeds", "interval", "webhook_url", "to", "every", "terms",
            "allow_private_networks", "retry_for", "window", "include"} <= keys


def test_readme_documents_every_cli_command() -> None:
    readme = _readme()
    missing = [
        path for path in cli_command_paths()
        if not re.search(rf"(newswatch\s+{re.escape(path)}|`{re.escape(path)})(?![\w-])", readme)
    ]
    assert not missing, f"README.md does not mention `newswatch <command>` for: {missing}"


def test_readme_documents_every_config_key() -> None:
    readme = _readme()
    missing = sorted(
        key for key in config_keys()
        if not re.search(rf"(?<![\w-])`?{re.escape(key)}(`|:)", readme)
    )
    assert not missing, f"README.md's config reference lacks these keys (as `key` or key:): {missing}"
