"""`newswatch feedback ARTICLE_ID --topic ID relevant|not-relevant` against real PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from newswatch.cli import main_group
from shared import store
from shared.config import FeedConfig
from shared.db import make_engine


@pytest.fixture
def article_id(pg_clean: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> int:
    monkeypatch.setenv("DATABASE_URL", pg_clean)
    monkeypatch.chdir(tmp_path)  # no ./newswatch.yaml: built-in topics only
    engine = make_engine(pg_clean)
    now = store.utcnow()
    with engine.begin() as conn:
        store.sync_feeds(conn, [FeedConfig(url="https://wire.example.org/feed")], now)
        feed_id = store.enabled_feeds(conn)[0].id
        found, _ = store.upsert_article(conn, feed_id, store.NewArticle(
            identity="x", content_hash="x", title="Iran and Russia sign a gas deal",
            summary="The deal covers pipelines.", url="https://wire.example.org/x"), now)
    engine.dispose()
    return int(found)


def cli(*args: str) -> Result:
    return CliRunner().invoke(main_group, list(args), catch_exceptions=False)


def test_label_is_stored_and_can_be_changed(article_id: int, pg_clean: str) -> None:
    result = cli("feedback", str(article_id), "--topic", "axis", "not-relevant")
    assert result.exit_code == 0, result.output
    assert "labelled not-relevant for axis" in result.output
    result = cli("feedback", str(article_id), "--topic", "axis", "relevant")
    assert "(was not-relevant)" in result.output
    engine = make_engine(pg_clean)
    with engine.connect() as conn:
        rows = store.list_feedback(conn, "axis")
    engine.dispose()
    assert [(r.article_id, r.label, r.source) for r in rows] == [(article_id, "relevant", "cli")]


def test_unknown_article_topic_or_label_is_a_clear_error(article_id: int) -> None:
    missing = cli("feedback", str(article_id + 99), "--topic", "axis", "relevant")
    assert missing.exit_code == 1 and f"no article with id {article_id + 99}" in missing.output
    topic = cli("feedback", str(article_id), "--topic", "nope", "relevant")
    assert topic.exit_code == 1 and "unknown topic 'nope'" in topic.output
    label = cli("feedback", str(article_id), "--topic", "axis", "maybe")
    assert label.exit_code == 2 and "maybe" in label.output


def _add(pg_clean: str, rows: list[tuple[str, str, str]]) -> list[int]:
    engine = make_engine(pg_clean)
    now = store.utcnow()
    ids = []
    with engine.begin() as conn:
        feed_id = store.enabled_feeds(conn)[0].id
        for identity, title, label in rows:
            found, _ = store.upsert_article(conn, feed_id, store.NewArticle(
                identity=identity, content_hash=identity, title=title, summary="",
                url=f"https://wire.example.org/{identity}"), now)
            store.save_feedback(conn, found, "axis", label, "link", now)
            ids.append(int(found))
    engine.dispose()
    return ids


def test_eval_feedback_measures_the_collected_labels(article_id: int, pg_clean: str) -> None:
    _add(pg_clean, [
        ("r1", "Iran ships Shahed drones to Russia by sea", "relevant"),
        ("r2", "North Korea sends artillery shells to Russia, Seoul says", "relevant"),
        ("n1", "Khamenei says US weapons makers profit from the Ukraine war and Iran accuses Washington",
         "not-relevant"),
    ])
    result = cli("eval", "--feedback", "--topic", "axis")
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("3 feedback labels for axis: 2 relevant")
    assert any(line.startswith("as configured:") for line in lines)
    metrics = json.loads(lines[-1])
    assert metrics["n"] == 3 and metrics["tp"] == 2


def test_eval_needs_labels_or_feedback(article_id: int) -> None:
    assert cli("eval").exit_code == 2
    empty = cli("eval", "--feedback", "--topic", "axis")
    assert empty.exit_code == 1 and "no feedback labels" in empty.output


def test_topics_check_counts_stored_alerts_and_closest_misses(article_id: int, pg_clean: str) -> None:
    _add(pg_clean, [("r1", "Iran ships Shahed drones to Russia by sea", "relevant")])
    result = cli("topics", "check", "axis", "--show", "2")
    assert result.exit_code == 0, result.output
    assert "requires subject" in result.output and "closest misses:" in result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    assert summary == {"topic": "axis", "items": 2, "alerts": 1, "per_10k": 5000.0, "threshold": 0.5}


def test_topics_check_reads_a_sample_file(tmp_path: Path) -> None:
    sample = tmp_path / "day.jsonl"
    sample.write_text("\n".join(json.dumps(x) for x in [
        {"title": "Iran ships Shahed drones to Russia by sea", "summary": ""},
        {"title": "Council approves the school budget", "summary": "A long debate."},
    ]) + "\n")
    result = cli("topics", "check", "axis", "--sample", str(sample))
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.strip().splitlines()[-1])["alerts"] == 1
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n")
    failed = cli("topics", "check", "axis", "--sample", str(bad))
    assert failed.exit_code == 1 and "bad.jsonl:1" in failed.output


def test_labels_are_stored_while_redis_is_down(
        article_id: int, pg_clean: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{port}/0")  # nothing listens there
    from shared.settings import get_settings

    get_settings.cache_clear()
    try:
        result = cli("feedback", str(article_id), "--topic", "axis", "relevant")
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "labelled relevant for axis" in result.output
