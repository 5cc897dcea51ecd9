"""`newswatch demo` and the starter config: what a new user runs first must work offline.

The end-to-end test runs the real console script in a subprocess: a real HTTP server on
127.0.0.1 serves the bundled samples, the fetcher polls them, the classifier scores them, the
console channel prints the alerts.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import feedparser
import httpx
import pytest

from newswatch.demo import (
    SAMPLE_FEEDS,
    SampleServer,
    demo_config,
    fresh_documents,
    sample_document,
    shift_dates,
)
from shared.config import parse_config
from tests.conftest import REPO_ROOT

NEWSWATCH = Path(sys.executable).parent / "newswatch"
STARTER_CONFIG = REPO_ROOT / "newswatch.yaml"
DEMO_TIMEOUT = 90  # seconds; the pass itself takes about 3 s of CPU here

# Items whose facts are squarely the built-in topic: each must be alerted by the demo.
RELEVANT = (
    "Iran has sent Fath-360 short-range missiles to Russia",
    "Inside Alabuga: how Russia scaled up production of Iranian-designed Shahed drones",
    "Debris of North Korean KN-23 missile found after strike on Kharkiv",
    "North Korea has shipped millions of artillery shells to Russia",
    "Iran and Russia sign 20-year strategic partnership treaty",
)
# Two reports on Chinese dual-use supplies that story grouping may (rightly) join: whichever
# arrives first alerts, the other attaches to its story. Exactly one of them alerts.
ONE_STORY = (
    "US blacklists Chinese firms accused of supplying drone engines and chips",
    "Chinese machine tools and microchips keep Russia's arms factories running",
)
# Near-misses (right actors or weapons, wrong story) and ordinary news: never alerted.
NOT_RELEVANT = (
    "Israeli jets strike air-defence sites in Iran",
    "Houthi drone attack sets cargo ship ablaze in the Red Sea",
    "China stages large-scale military drills around Taiwan",
    "North Korea fires ballistic missile toward the Sea of Japan",
    "Ukrainian troops pull back from village near Pokrovsk",
    "Floods force tens of thousands from their homes in southern Brazil",
    "European Central Bank holds rates as inflation eases",
)
# Relevant but five days old at demo time: stored and scored, held back by alert_max_age.
TOO_OLD = "Kim Jong Un and Putin sign mutual defence treaty in Pyongyang"


# --- the sample documents -------------------------------------------------------------------


@pytest.mark.parametrize("filename", [name for name, _title in SAMPLE_FEEDS])
def test_every_sample_is_a_clean_feed(filename: str) -> None:
    parsed = feedparser.parse(sample_document(filename))
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert len(parsed.entries) >= 5
    for entry in parsed.entries:
        assert entry.title and entry.link.startswith("https://") and entry.get("summary")
        assert entry.get("published_parsed") or entry.get("updated_parsed")


def test_samples_mix_relevant_items_near_misses_and_ordinary_news() -> None:
    titles = [entry.title for name, _title in SAMPLE_FEEDS
              for entry in feedparser.parse(sample_document(name)).entries]
    for expected in (*RELEVANT, *ONE_STORY, *NOT_RELEVANT, TOO_OLD):
        assert sum(title.startswith(expected) for title in titles) == 1, expected


def test_shift_dates_keeps_each_notation_and_offset() -> None:
    document = (
        "<pubDate>Mon, 03 Mar 2025 18:00:00 +0900</pubDate>"
        "<lastBuildDate>Mon, 03 Mar 2025 09:45:00 GMT</lastBuildDate>"
        "<updated>2025-03-03T11:00:00Z</updated><published>2025-03-03T08:00:00+02:00</published>"
    )
    shifted = shift_dates(document, timedelta(days=1, hours=2))
    assert "<pubDate>Tue, 04 Mar 2025 20:00:00 +0900</pubDate>" in shifted
    assert re.search(r"<lastBuildDate>Tue, 04 Mar 2025 11:45:00 [+-]0000</lastBuildDate>", shifted)
    assert "<updated>2025-03-04T13:00:00Z</updated>" in shifted
    assert "<published>2025-03-04T10:00:00+02:00</published>" in shifted


def test_fresh_documents_are_dated_relative_to_now() -> None:
    now = datetime(2031, 7, 14, 9, 30, tzinfo=UTC)
    ages = []
    for body in fresh_documents(now).values():
        for entry in feedparser.parse(body).entries:
            stamp = entry.get("published") or entry.get("updated")
            moment = (datetime.fromisoformat(stamp) if stamp[:4].isdigit()
                      else parsedate_to_datetime(stamp))
            ages.append(now - moment)
    assert min(ages) >= timedelta(0), "a sample item is dated in the future"
    assert max(age for age in ages if age < timedelta(hours=48)) <= timedelta(hours=24)
    assert sum(age > timedelta(hours=48) for age in ages) == 1  # only the deliberately old one


def test_sample_server_serves_each_feed_with_a_feed_content_type() -> None:
    documents = fresh_documents(datetime.now(UTC))
    with SampleServer(documents) as server:
        for path, body in documents.items():
            response = httpx.get(server.url(path))
            assert response.status_code == 200 and response.content == body
            assert re.match(r"application/(rss|atom)\+xml", response.headers["content-type"])
        assert httpx.get(server.url("/missing.xml")).status_code == 404


# --- the demo config ------------------------------------------------------------------------


def test_default_demo_config_is_valid_and_local() -> None:
    feeds = [("http://127.0.0.1:8000/world.xml", "World")]
    config = parse_config(_yaml(demo_config(feeds)))
    assert [f.url for f in config.feeds] == ["http://127.0.0.1:8000/world.xml"]
    assert config.fetcher.allow_private_networks
    assert [(s.id, s.channel, s.topics) for s in config.subscriptions] == [
        ("console", "console", ["axis"])]


def test_demo_config_keeps_the_users_topics_and_subscriptions(tmp_path: Path) -> None:
    (tmp_path / "refs").mkdir()
    (tmp_path / "refs" / "extra.txt").write_text("Shahed drones assembled at Alabuga for Russia.")
    user = tmp_path / "mine.yaml"
    user.write_text(
        "feeds:\n  - url: https://example.org/rss.xml\n"
        "topics:\n  - id: axis\n    references: [refs/*.txt]\n"
        "subscriptions:\n  - id: console\n    topics: [axis]\n    slack: {webhook_url: 'https://hooks.example/x'}\n"
    )
    data = demo_config([("http://127.0.0.1:9/a.xml", "A")], user)
    assert data["topics"][0]["references"] == [str(tmp_path / "refs/*.txt")]
    config = parse_config(_yaml(data), source=Path("/elsewhere/demo.yaml"))
    assert [f.url for f in config.feeds] == ["http://127.0.0.1:9/a.xml"]
    assert [(s.id, s.channel) for s in config.subscriptions] == [
        ("console", "slack"), ("demo-console", "console")]


def _yaml(data: object) -> str:
    import yaml

    return yaml.safe_dump(data)


# --- the starter config -----------------------------------------------------------------------


def test_starter_config_is_valid_with_real_public_feeds() -> None:
    config = parse_config(STARTER_CONFIG.read_text(), source=STARTER_CONFIG)
    assert len(config.feeds) >= 5
    assert all(feed.url.startswith("https://") and feed.name for feed in config.feeds)
    assert not any("example" in feed.url for feed in config.feeds)
    assert [s.channel for s in config.subscriptions] == ["console"]
    assert config.alert_max_age == timedelta(hours=48)


def test_starter_config_commented_examples_are_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    """Uncommenting an example must give a working config, secrets read from ${ENV}."""
    text = STARTER_CONFIG.read_text()
    start = text.index("\nsubscriptions:")
    examples = re.sub(r"(?m)^  # (?=[ -])", "  ", text[start:])
    for var in ("SLACK_WEBHOOK_URL", "ALERT_WEBHOOK_URL", "ALERT_WEBHOOK_SECRET"):
        monkeypatch.setenv(var, f"https://hooks.example/{var.lower()}")
    config = parse_config(text[:start] + examples)
    channels = {s.id: s.channel for s in config.subscriptions}
    assert set(channels.values()) == {"console", "slack", "email", "webhook"}
    assert any(s.digest is not None for s in config.subscriptions)
    slack = config.subscription("desk")
    assert slack is not None and slack.slack is not None
    assert slack.slack.webhook_url.get_secret_value() == "https://hooks.example/slack_webhook_url"


# --- the demo, end to end ---------------------------------------------------------------------


def _run_demo(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SMTP_", "NEWSWATCH_"))}
    # The demo must ignore the shell's database, queue and config: it is self-contained.
    env.update(DATABASE_URL="postgresql://nobody@127.0.0.1:1/nowhere", REDIS_URL="redis://127.0.0.1:1",
               NEWSWATCH_CONFIG=str(cwd / "does-not-exist.yaml"))
    return subprocess.run([str(NEWSWATCH), "demo", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=DEMO_TIMEOUT, check=False)


def test_demo_prints_alerts_for_relevant_items_only_and_a_summary(tmp_path: Path) -> None:
    result = _run_demo(tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    summary = re.search(
        r"feeds polled: (\d+) \((\d+) failed\); articles stored: (\d+) new.*alerts delivered: (\d+)", out)
    assert summary, out[-2000:]
    polled, failed, stored, delivered = map(int, summary.groups())
    assert (polled, failed, stored) == (4, 0, 23)
    assert len(RELEVANT) + 1 <= delivered <= len(RELEVANT) + 3
    alerts, _, board = out.partition(summary.group(0))
    for title in RELEVANT:
        assert title in alerts, f"not alerted: {title}"
        assert re.search(rf"ALERT  {re.escape(title)}", board)
    alerted_of_story = [title for title in ONE_STORY if title in alerts]
    assert 1 <= len(alerted_of_story) <= len(ONE_STORY), "the Chinese-supplies story never alerted"
    for title in (*NOT_RELEVANT, TOO_OLD):
        assert title not in alerts, f"alerted but should not be: {title}"
        assert title in board
    assert re.search(rf"old    {re.escape(TOO_OLD)}", board)
    assert "https://ridgeline-defence.example/analysis/alabuga-shahed-geran-production" in alerts
    assert not (tmp_path / "data").exists(), "the demo wrote into the working directory"
    assert "INFO" not in result.stderr, "the demo should be quiet unless --log-level is given"


def test_demo_with_keep_leaves_a_database_to_inspect(tmp_path: Path) -> None:
    result = _run_demo(tmp_path, "--keep", "--no-scores")
    assert result.returncode == 0, result.stderr[-3000:]
    kept = re.search(r"kept (\S+) ", result.stdout)
    assert kept, result.stdout[-1000:]
    database = Path(kept.group(1)) / "data" / "newswatch.db"
    try:
        assert database.stat().st_size > 0
        assert "score         article" not in result.stdout
    finally:
        import shutil

        shutil.rmtree(kept.group(1), ignore_errors=True)
