"""The compose stack on a real engine, as a user runs it: `make compose-test`.

Builds the project's own Dockerfile and docker-compose.yml, plus tests/compose/
docker-compose.test.yml (a feed server and a Slack receiver as services on the compose
network), with the config directory in a temporary folder the test edits while it runs.
Steps run in order on one stack; each waits with a deadline instead of sleeping blindly.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO_ROOT
from tests.e2e.conftest import IRRELEVANT, LATER_RELEVANT, RELEVANT, rss

PROJECT = "newswatch-compose-test"
FILES = ["-f", str(REPO_ROOT / "docker-compose.yml"),
         "-f", str(REPO_ROOT / "tests" / "compose" / "docker-compose.test.yml")]
WORKERS = ("fetcher", "classifier", "notifier")
THIRD_RELEVANT = (
    "Chinese firms supplied drone engines to Russia's Alabuga plant, US Treasury says",
    "The US Treasury sanctioned Chinese companies it said shipped engines and components for "
    "Shahed-type attack drones to Russia's Alabuga factory, which builds them for use against "
    "Ukraine.",
)
CONFIG = """\
feeds:
  - url: http://feeds:8000/world.xml
    name: Example World
    interval: 5s
fetcher: {{allow_private_networks: true, sync_every: 5s, parse_processes: 0}}
notifier: {{tick_every: 1s, slack_min_interval: 0}}
subscriptions:
  - id: desk
    topics: [axis]
    slack: {{webhook_url: "${{SLACK_WEBHOOK_URL}}"}}
{extra}"""
LATE = """\
  - id: late
    topics: [axis]
    slack: {webhook_url: "http://slack:8080/late"}
"""


@dataclass
class Stack:
    config_dir: Path
    feeds_dir: Path
    out_dir: Path
    env: dict[str, str]

    def compose(self, *args: str, timeout: float = 600,
                check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(["docker", "compose", "-p", PROJECT, *FILES, *args], cwd=REPO_ROOT,
                                env=self.env, capture_output=True, text=True, timeout=timeout,
                                check=False)
        if check and result.returncode != 0:
            raise AssertionError(f"docker compose {' '.join(args)} failed:\n{result.stdout}\n"
                                 f"{result.stderr}\n{self.logs()}")
        return result

    def logs(self, *services: str) -> str:
        result = subprocess.run(["docker", "compose", "-p", PROJECT, *FILES, "logs", "--no-color",
                                 "--tail", "40", *services], cwd=REPO_ROOT, env=self.env,
                                capture_output=True, text=True, timeout=60, check=False)
        return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", result.stdout)[-6000:]  # no ANSI codes

    def messages(self, path: str | None = None) -> list[dict[str, Any]]:
        out = self.out_dir / "slack.jsonl"
        if not out.exists():
            return []
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line]
        return [row for row in rows if path is None or row["path"] == path]

    def publish(self, items: list[tuple[str, str]]) -> None:
        tmp = self.feeds_dir / "world.xml.tmp"
        tmp.write_bytes(rss(items))
        os.replace(tmp, self.feeds_dir / "world.xml")

    def write_config(self, text: str) -> None:
        """A new file renamed over the old one: what editors, `mv` and `git pull` do."""
        tmp = self.config_dir / "newswatch.yaml.tmp"
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, self.config_dir / "newswatch.yaml")

    def health(self, service: str) -> list[str]:
        ids = self.compose("ps", "-q", service).stdout.split()
        states = []
        for container in ids:
            inspected = subprocess.run(
                ["docker", "inspect", "-f", "{{.State.Health.Status}}", container], env=self.env,
                capture_output=True, text=True, timeout=30, check=False)
            states.append(inspected.stdout.strip())
        return states

    def started_at(self) -> dict[str, str]:
        ids = self.compose("ps", "-q", *WORKERS).stdout.split()
        result = subprocess.run(["docker", "inspect", "-f", "{{.Name}} {{.State.StartedAt}} "
                                 "{{.RestartCount}}", *ids], env=self.env, capture_output=True,
                                text=True, timeout=30, check=True)
        return dict(line.split(" ", 1) for line in result.stdout.splitlines())


def wait_until(what: str, condition: Callable[[], bool], timeout: float, stack: Stack) -> float:
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not within {timeout:.0f}s: {what}\n{stack.logs()}")
        time.sleep(2)
    return time.monotonic() - start


def _engine_problem() -> str | None:
    if shutil.which("docker") is None:
        return "no docker CLI on PATH"
    info = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True,
                          text=True, timeout=30, check=False)
    if info.returncode != 0:
        return f"no Docker engine reachable (docker info: {info.stderr.strip()[:200]})"
    version = subprocess.run(["docker", "compose", "version", "--short"], capture_output=True,
                             text=True, timeout=30, check=False)
    short = version.stdout.strip().lstrip("v")
    major_minor = tuple(int(p) for p in short.split(".")[:2] if p.isdigit())
    if version.returncode != 0 or major_minor < (2, 24):
        return f"Compose v2 >= 2.24 needed (env_file.required), found {short or 'none'}"
    return None


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    problem = _engine_problem()
    if problem:
        pytest.skip(f"compose-test skipped: {problem}; start dockerd or set DOCKER_HOST")
    root = tmp_path_factory.mktemp("compose")
    dirs = {name: root / name for name in ("config", "feeds", "out")}
    for path in dirs.values():
        path.mkdir()
        path.chmod(0o777)  # the containers run as uid 10001
    (dirs["config"] / "topics").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMPOSE_", "SLACK_", "SMTP_"))}
    env.update(NEWSWATCH_CONFIG_DIR=str(dirs["config"]), COMPOSE_TEST_FEEDS=str(dirs["feeds"]),
               COMPOSE_TEST_OUT=str(dirs["out"]), SLACK_WEBHOOK_URL="http://slack:8080/desk")
    stack = Stack(dirs["config"], dirs["feeds"], dirs["out"], env)
    stack.write_config(CONFIG.format(extra=""))
    stack.publish([])
    stack.compose("down", "-v", "--remove-orphans", check=False)
    yield stack
    stack.compose("down", "-v", "--remove-orphans", check=False, timeout=300)


def test_up_builds_one_image_and_waits_for_healthy(stack: Stack) -> None:
    started = time.monotonic()
    stack.compose("up", "-d", "--build", "--wait", timeout=900)
    for service in WORKERS:
        assert stack.health(service) == ["healthy"], service
    print(f"up --build --wait: healthy in {time.monotonic() - started:.0f}s")


def test_one_alert_for_the_relevant_article_none_for_the_irrelevant(stack: Stack) -> None:
    stack.publish([IRRELEVANT, RELEVANT])
    took = wait_until("a Slack message for the relevant article",
                      lambda: len(stack.messages("/desk")) >= 1, 180, stack)
    time.sleep(15)  # several more polls and ticks: nothing else may arrive
    bodies = [m["body"] for m in stack.messages()]
    assert len(bodies) == 1, bodies
    assert "Fath-360" in bodies[0] and IRRELEVANT[0] not in bodies[0]
    print(f"relevant article -> 1 Slack message in {took:.0f}s; irrelevant -> none")


def test_a_subscription_added_by_replacing_the_config_gets_the_next_article(stack: Stack) -> None:
    before = stack.started_at()
    stack.write_config(CONFIG.format(extra=LATE))
    time.sleep(6)  # the workers look every 2 s; the fetcher every sync_every (5 s)
    stack.publish([LATER_RELEVANT, IRRELEVANT, RELEVANT])
    took = wait_until("the new subscription's first message", lambda: len(stack.messages("/late")) == 1,
                      60, stack)
    wait_until("the desk's second message", lambda: len(stack.messages("/desk")) == 2, 60, stack)
    assert "KN-23" in stack.messages("/late")[0]["body"]
    assert stack.started_at() == before, "a container restarted"
    print(f"subscription added by `mv` of the config: its first alert {took:.0f}s after the "
          "article was published, no restart")


def test_cli_in_the_stack_and_a_read_only_config_write_in_one_line(stack: Stack) -> None:
    listed = stack.compose("exec", "-T", "fetcher", "newswatch", "feeds", "list")
    assert "Example World" in listed.stdout
    (stack.config_dir / "reader.opml").write_text(
        '<?xml version="1.0"?><opml version="2.0"><head><title>Reader</title></head><body>'
        '<outline type="rss" text="Harbour Ledger" xmlUrl="https://harbour-ledger.example/rss.xml"/>'
        "</body></opml>", encoding="utf-8")
    result = stack.compose("exec", "-T", "fetcher", "newswatch", "feeds", "import",
                           "/app/config/reader.opml", "--write", check=False)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Read-only file system" in lines[0], result.stderr
    print(f"exec fetcher newswatch feeds import --write: {lines[0]}")


def _all_health(stack: Stack) -> dict[str, list[str]]:
    return {service: stack.health(service) for service in WORKERS}


@pytest.mark.parametrize("datastore", ["redis", "postgres"])
def test_healthchecks_follow_an_outage_of(stack: Stack, datastore: str) -> None:
    stack.compose("stop", datastore)
    down = wait_until(f"workers unhealthy without {datastore}", lambda: all(
        states == ["unhealthy"] for states in _all_health(stack).values()), 120, stack)
    stack.compose("start", datastore)
    up = wait_until(f"workers healthy again after {datastore} is back", lambda: all(
        states == ["healthy"] for states in _all_health(stack).values()), 240, stack)
    print(f"{datastore} stopped: fetcher, classifier, notifier unhealthy after {down:.0f}s; "
          f"started: healthy again after {up:.0f}s")


def test_the_pipeline_still_delivers_after_the_outages(stack: Stack) -> None:
    stack.publish([THIRD_RELEVANT, LATER_RELEVANT, IRRELEVANT, RELEVANT])
    took = wait_until("an alert after the outages", lambda: len(stack.messages("/late")) == 2,
                      120, stack)
    print(f"after the outages: next relevant article delivered in {took:.0f}s")


def test_a_broken_config_fails_up_wait_with_the_error(stack: Stack) -> None:
    stack.compose("down", timeout=300)
    stack.write_config(CONFIG.format(extra="").replace("topics: [axis]", "topic: [axis]"))
    result = stack.compose("up", "-d", "--wait", timeout=600, check=False)
    assert result.returncode != 0, result.stdout + result.stderr
    logs = stack.logs("migrate")
    assert "subscriptions[0].topic: unknown key" in logs, logs
    shown = next(line for line in logs.splitlines() if "unknown key" in line)
    print(f"broken config: `up --wait` exit {result.returncode}; "
          f"{(result.stderr.strip().splitlines() or [''])[-1]}; migrate says: {shown.strip()}")
