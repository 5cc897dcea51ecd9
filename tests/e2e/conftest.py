"""End-to-end fixtures: the notifier's real receivers plus a feed server and a config writer."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from shared.config import AppConfig
from shared.context import AppContext, set_context
from shared.db import make_engine
from shared.queue import InlineQueue
from shared.settings import Settings
from tests.notifier.conftest import receiver, smtp_server  # noqa: F401 - fixtures
from tests.servers import FeedServer, Page

RELEVANT = (
    "Iran ships Fath-360 ballistic missiles to Russia, Western officials say",
    "Tehran delivered more than 200 close-range ballistic missiles to Moscow for use "
    "against Ukraine, according to US and European officials, who announced new sanctions "
    "on Iranian shipping firms and Iran Air.",
)
IRRELEVANT = (
    "Local bakery wins national sourdough prize",
    "A family-run bakery in Leeds took the top prize at this year's bread awards.",
)
LATER_RELEVANT = (
    "North Korea sends artillery shells and KN-23 missiles to Russia, Seoul says",
    "South Korean intelligence said Pyongyang has shipped millions of artillery shells and "
    "KN-23 ballistic missiles to Russia in exchange for oil and military technology.",
)


def rss(items: list[tuple[str, str]], *, base: str = "https://news.example.org") -> bytes:
    now = datetime.now(UTC)
    body = []
    for i, (title, summary) in enumerate(items):
        slug = "-".join(title.lower().split()[:6]).replace(",", "")
        body.append(
            f"<item><title>{escape(title)}</title><link>{base}/{slug}</link>"
            f"<guid isPermaLink=\"false\">{escape(slug)}</guid>"
            f"<pubDate>{format_datetime(now - timedelta(minutes=10 + i))}</pubDate>"
            f"<description>{escape(summary)}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        "<title>Example World News</title><link>https://news.example.org/</link>"
        "<description>World news</description>" + "".join(body) + "</channel></rss>"
    ).encode()


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer().start()
    server.pages["/world.xml"] = Page(rss([RELEVANT, IRRELEVANT]))
    yield server
    server.stop()


def embedded_context(db_url: str, feed_url: str) -> AppContext:
    """An in-process embedded context (inline queue) watching one feed, set as current."""
    config = AppConfig.model_validate({
        "feeds": [{"url": feed_url, "name": "Example World"}],
        "fetcher": {"allow_private_networks": True},
    })
    ctx = AppContext(settings=Settings(), config=config, engine=make_engine(db_url),
                     queue=InlineQueue())
    set_context(ctx)
    return ctx


def write_config(path: Path, feed_url: str, slack_url: str) -> Path:
    path.write_text(
        f"""
feeds:
  - url: {feed_url}
    name: Example World
fetcher:
  allow_private_networks: true
subscriptions:
  - id: desk
    topics: [axis]
    slack: {{webhook_url: "${{SLACK_WEBHOOK_URL}}"}}
  - id: analyst
    topics: [axis]
    email: {{to: [analyst@example.org]}}
""",
        encoding="utf-8",
    )
    return path


def newswatch(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the real console entry point as a separate process."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_"))}
    full_env.update(env)
    result = subprocess.run(
        [sys.executable, "-m", "newswatch", *args], env=full_env, capture_output=True,
        text=True, timeout=timeout,
    )
    assert result.returncode == 0, f"newswatch {args} failed:\n{result.stdout}\n{result.stderr}"
    return result
