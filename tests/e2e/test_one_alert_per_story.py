"""Two outlets reporting one event produce one alert; a different event with the same actors
produces its own."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import RELEVANT, newswatch, rss
from tests.notifier.conftest import Receiver
from tests.servers import FeedServer, Page

SAME_EVENT = (
    "Russia receives Iranian Fath-360 missiles, US and European officials say",
    "Moscow has taken delivery of more than 200 Fath-360 close-range ballistic missiles from "
    "Iran, US and European officials said, announcing sanctions on Iran Air and shipping firms.",
)
OTHER_EVENT = (
    "Iran and Russia sign comprehensive strategic partnership treaty in Moscow",
    "Presidents Putin and Pezeshkian signed a 20-year treaty deepening military and technical "
    "cooperation, which Western governments link to Iranian drone and missile supplies.",
)


def test_same_story_from_two_outlets_alerts_once(
    tmp_path: Path, feed_server: FeedServer, receiver: Receiver
) -> None:
    feed_server.pages["/other.xml"] = Page(rss([SAME_EVENT], base="https://other.example.com"))
    config = tmp_path / "newswatch.yaml"
    config.write_text(
        f"""
feeds:
  - {{url: "{feed_server.url('/world.xml')}", name: Example World}}
  - {{url: "{feed_server.url('/other.xml')}", name: Other Outlet}}
fetcher: {{allow_private_networks: true}}
subscriptions:
  - id: desk
    topics: [axis]
    slack: {{webhook_url: "{receiver.url}/hook"}}
"""
    )
    env = {"NEWSWATCH_DATA_DIR": str(tmp_path / "data")}
    newswatch(["run", "--once", "--config", str(config)], env)
    assert len(receiver.ok()) == 1, [r.body[:200] for r in receiver.ok()]

    feed_server.pages["/other.xml"] = Page(
        rss([OTHER_EVENT, SAME_EVENT], base="https://other.example.com"))
    newswatch(["run", "--once", "--config", str(config)], env)
    bodies = [r.body.decode() for r in receiver.ok()]
    assert len(bodies) == 2, bodies
    assert "treaty" in bodies[1]
    assert RELEVANT[0][:20] not in bodies[1]
