"""`newswatch feeds ...` through click, against a local server and a real SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from newswatch.cli import main_group
from services.fetcher.opml import read_opml, write_opml
from shared.config import parse_config
from shared.exceptions import ConfigError
from tests.fetcher.conftest import FIXTURES, FeedServer, fixture_bytes, reply


def invoke(*args: str) -> str:
    result = CliRunner().invoke(main_group, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_check_shows_what_would_be_stored_and_why(feed_server: FeedServer) -> None:
    feed_server.routes["/rss"] = reply(200, fixture_bytes("no_dates.xml"))
    out = invoke("feeds", "check", feed_server.url("/rss"), "--allow-private")
    assert "HTTP 200" in out and "3 entries" in out
    assert "canonical link" in out and "hash of title + summary" in out


def test_check_refuses_loopback_by_default_and_says_how_to_allow(feed_server: FeedServer) -> None:
    result = CliRunner().invoke(main_group, ["feeds", "check", feed_server.url("/rss")])
    assert result.exit_code != 0
    assert "blocked" in result.output and "allow_private_networks: true" in result.output


def test_list_after_a_poll(feed_server: FeedServer, tmp_path: Path) -> None:
    feed_server.routes["/rss"] = reply(200, fixture_bytes("rss20.xml"))
    feed_server.routes["/down"] = reply(503, b"")
    config = tmp_path / "newswatch.yaml"
    config.write_text(
        "fetcher: {allow_private_networks: true, parse_processes: 0}\nfeeds:\n"
        f"  - url: {feed_server.url('/rss')}\n    name: Harbour\n"
        f"  - url: {feed_server.url('/down')}\n"
    )
    invoke("migrate")
    from services.fetcher import poller
    from shared.context import build_context

    ctx = build_context(config, embedded=True)
    poller.run_once(ctx)
    out = invoke("feeds", "list", "--config", str(config))
    lines = out.splitlines()
    assert "Harbour" in lines[1] and " ok " in lines[1]
    assert " http " in lines[2] and "HTTP 503" in lines[3]


def test_import_writes_new_feeds_into_the_config_and_export_round_trips(tmp_path: Path) -> None:
    config = tmp_path / "newswatch.yaml"
    config.write_text(
        "# my feeds\nfeeds:\n  - url: https://steppe-courier.example/rss  # keep this comment\n"
        "    name: Steppe\n\nalert_max_age: 48h\n"
    )
    opml = str(FIXTURES / "subscriptions.opml")
    printed = invoke("feeds", "import", opml, "--config", str(config))
    assert "harbour-ledger" in printed and "steppe" not in printed
    out = invoke("feeds", "import", opml, "--write", "--config", str(config))
    assert out.startswith("2 feeds added")
    text = config.read_text()
    assert "# keep this comment" in text and "alert_max_age: 48h" in text
    loaded = parse_config(text)
    assert [f.url for f in loaded.feeds] == [
        "https://steppe-courier.example/rss",
        "https://harbour-ledger.example/rss.xml",
        "https://nordwind.example/feed.atom",
    ]
    assert loaded.feeds[1].name == "Harbour Ledger & Wire"
    exported = invoke("feeds", "export", "--config", str(config))
    assert [f.url for f in read_opml(exported.encode())] == [f.url for f in loaded.feeds]


def test_import_into_a_config_without_feeds(tmp_path: Path) -> None:
    config = tmp_path / "newswatch.yaml"
    config.write_text("alert_max_age: 24h\n")
    invoke("feeds", "import", str(FIXTURES / "subscriptions.opml"), "--write",
           "--config", str(config))  # fmt: skip
    assert len(parse_config(config.read_text()).feeds) == 3


def test_hostile_opml_is_refused() -> None:
    bomb = (FIXTURES / "billion_laughs.xml").read_bytes()
    with pytest.raises(ConfigError):
        read_opml(bomb)
    assert read_opml(write_opml([])) == []
