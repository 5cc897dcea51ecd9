"""`newswatch score` and `newswatch eval` through the real click group (CliRunner)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from newswatch.cli import main_group
from tests.classifier.conftest import FIXTURES

METRIC_KEYS = {"topic", "n", "tp", "fp", "fn", "tn", "precision", "recall", "f1", "threshold"}


@pytest.fixture(autouse=True)
def _no_ambient_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run where no newswatch.yaml exists, so only the built-in topic is loaded."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEWSWATCH_CONFIG", raising=False)


def _run(*args: str, stdin: str | None = None) -> str:
    result = CliRunner().invoke(main_group, list(args), input=stdin, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_eval_last_line_is_the_metrics_object() -> None:
    out = _run("eval", "--labels", str(FIXTURES / "axis_small.jsonl"))
    metrics = json.loads(out.strip().splitlines()[-1])
    assert set(metrics) == METRIC_KEYS
    assert metrics["topic"] == "axis" and metrics["n"] == 22 and metrics["threshold"] == 0.5
    assert metrics["tp"] + metrics["fn"] == 10
    assert metrics["precision"] == 1.0 and metrics["recall"] == 1.0


def test_eval_errors_lists_each_fp_and_fn_before_the_metrics(tmp_path: Path) -> None:
    labels = tmp_path / "flipped.jsonl"
    labels.write_text(
        json.dumps({"title": "Iran ships Shahed drones to Russia", "summary": "", "label": 0})
        + "\n"
        + json.dumps({"title": "Marathon record falls", "summary": "In Berlin.", "label": 1, "x": 3})
        + "\n"
    )
    lines = _run("eval", "--labels", str(labels), "--errors").strip().splitlines()
    metrics = json.loads(lines[-1])
    assert (metrics["fp"], metrics["fn"], metrics["n"]) == (1, 1, 2)
    assert metrics["precision"] == 0.0 and metrics["f1"] == 0.0
    body = "\n".join(lines[:-1])
    assert body.startswith("FP 0.") and "Shahed" in body
    assert "\nFN 0." in body and "Marathon" in body
    assert "+ Iran: Iran" in body and "+ Iranian-designed drones: Shahed" in body  # the explanation


def test_eval_with_config_and_topic(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(f"topics:\n  - id: flu\n    references: ['{FIXTURES}/flu_refs/*.md']\n")
    out = _run(
        "eval", "--labels", str(FIXTURES / "flu_small.jsonl"), "--config", str(config), "--topic", "flu"
    )
    metrics = json.loads(out.strip().splitlines()[-1])
    assert metrics["topic"] == "flu" and metrics["n"] == 7 and metrics["f1"] == 1.0


def test_eval_rejects_a_bad_line(tmp_path: Path) -> None:
    labels = tmp_path / "bad.jsonl"
    labels.write_text('{"title": "x", "summary": "y"}\n')
    result = CliRunner().invoke(main_group, ["eval", "--labels", str(labels)])
    assert result.exit_code != 0 and "bad.jsonl:1" in result.output


def test_score_text_argument_prints_score_and_explanation() -> None:
    out = _run("score", "North Korea sent artillery shells to Russia")
    assert out.startswith("axis: 0.")
    assert "ALERT" in out and "+ North Korea: North Korea" in out and "nearest passage (" in out


def test_score_reads_stdin_and_prints_json() -> None:
    out = _run("score", "--json", "--topic", "axis", stdin="Local bakery wins award\nSourdough in Leeds.")
    record = json.loads(out.strip())
    assert record["topic"] == "axis" and record["relevant"] is False
    assert 0.0 <= record["score"] < 0.2
    assert {"summary", "evidence"} <= set(record["explanation"])


def test_score_unknown_topic_fails_clearly() -> None:
    result = CliRunner().invoke(main_group, ["score", "--topic", "nope", "text"])
    assert result.exit_code != 0 and "unknown topic 'nope'" in result.output
