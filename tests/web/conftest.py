"""A real `newswatch web` process on a free port, against the test session's PostgreSQL."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.web.world import SMTP_PASSWORD, config_yaml

SECRET_KEY = "test-secret-key-for-feedback-links"
START_TIMEOUT = 30.0
CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def newswatch_command() -> list[str]:
    script = Path(sys.executable).parent / "newswatch"
    return [str(script)] if script.exists() else [sys.executable, "-m", "newswatch"]


@dataclass
class WebServer:
    url: str
    process: subprocess.Popen[bytes]
    db_url: str

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10.0, **kwargs)  # type: ignore[arg-type]


def web_env(db_url: str, config: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(DATABASE_URL=db_url, NEWSWATCH_CONFIG=str(config), LOG_LEVEL="WARNING",
               NEWSWATCH_SECRET_KEY=SECRET_KEY, SMTP_PASSWORD=SMTP_PASSWORD, **extra)
    return env


def start_server(db_url: str, config: Path, log: Path, **extra: str) -> WebServer:
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*newswatch_command(), "web", "--host", "127.0.0.1", "--port", str(port)],
            env=web_env(db_url, config, **extra), stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"newswatch web exited {process.returncode}: {log.read_text()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200:
                return WebServer(url=url, process=process, db_url=db_url)
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    process.kill()
    pytest.fail(f"newswatch web did not answer /healthz within {START_TIMEOUT}s: {log.read_text()}")


def stop_server(server: WebServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    return config_yaml(tmp_path / "newswatch.yaml")


@pytest.fixture
def web_factory(pg_clean: str, config_file: Path, tmp_path: Path
                ) -> Iterator[Callable[..., WebServer]]:
    """Start servers (extra env as keywords) on the emptied database; all stopped afterwards."""
    started: list[WebServer] = []

    def start(**extra: str) -> WebServer:
        server = start_server(pg_clean, config_file, tmp_path / f"web-{len(started)}.log",
                              **extra)
        started.append(server)
        return server

    yield start
    for server in started:
        stop_server(server)


@pytest.fixture(scope="module")
def module_server(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    """One server for a module's tests (starting one costs seconds); ``web`` empties the DB."""
    folder = tmp_path_factory.mktemp("web")
    server = start_server(pg_url, config_yaml(folder / "newswatch.yaml"), folder / "web.log")
    yield server
    stop_server(server)


@pytest.fixture
def web(pg_clean: str, module_server: WebServer) -> WebServer:
    """The module's server over a database emptied for this test."""
    return module_server


def csrf_of(html: str) -> str:
    found = CSRF_FIELD.search(html)
    assert found, "page has no CSRF field"
    return found.group(1)
