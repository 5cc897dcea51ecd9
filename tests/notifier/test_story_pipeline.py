"""End to end in embedded mode (`newswatch run --once`, real feeds over HTTP, real Slack
receiver): two outlets report one event, and the digest names the story's first outlet and
counts both, while listing the story once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import IRRELEVANT, RELEVANT, newswatch, rss
from tests.servers import FeedServer, Page

from .conftest import Receiver

# The same event as RELEVANT, told in other words by a second outlet.
RETOLD = (
    "Moscow takes delivery of Iranian Fath-360 missiles, US and European officials say",
    "More than 200 Fath-360 close-range ballistic missiles have been delivered by Tehran to "
    "Russia, US and European officials said, announcing sanctions on Iran Air and on Iranian "
    "shipping firms.",
)


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    server = FeedServer().start()
    yield server
    server.stop()


def test_digest_names_first_outlet_and_counts_both(
    tmp_path: Path, feeds: FeedServer, receiver: Receiver
) -> None:
    # rss() dates items 10 min + position ago: the second outlet's report is a minute older
    feeds.pages["/world.xml"] = Page(rss([RELEVANT]))
    feeds.pages["/caspian.xml"] = Page(rss([IRRELEVANT, RETOLD], base="https://caspian.example"))
    config = tmp_path / "newswatch.yaml"
    config.write_text(
        f"""
feeds:
  - {{url: "{feeds.url('/world.xml')}", name: Example World}}
  - {{url: "{feeds.url('/caspian.xml')}", name: Caspian Courier}}
fetcher: {{allow_private_networks: true}}
subscriptions:
  - id: morning
    topics: [axis]
    digest: {{every: 1h}}
    slack: {{webhook_url: "{receiver.url}/hook"}}
""",
        encoding="utf-8",
    )
    newswatch(["run", "--once", "--config", str(config)],
              {"NEWSWATCH_DATA_DIR": str(tmp_path / "data")})
    posts = [json.loads(r.body) for r in receiver.ok()]
    assert len(posts) == 1, posts
    body = "\n".join(block["text"]["text"] for block in posts[0]["blocks"])
    assert body.count("• `") == 1, body  # one story entry
    assert "First seen" in body and "at *Caspian Courier* · reported by *2 outlets* so far" in body
    assert "*Also reported by:* <https://" in body
    assert "Example World" in body and "Caspian Courier" in body
