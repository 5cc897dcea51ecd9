"""`newswatch topics check ID` on a topic built from references: beside the alerts it counts,
it shows how many a derived topic would send by chance, by its calibration."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from click.testing import CliRunner

from newswatch.cli import main_group
from services.classifier.salience import TARGET_RATE, chance_per_10k
from services.classifier.scorer import TopicScorer
from shared.config import load_config
from shared.topics import resolve_topics

REFERENCES = [
    "# Quake kills thousands in Turkey and Syria\n\nRescuers searched the rubble of collapsed "
    "buildings after a magnitude 7.8 earthquake struck southern Turkey and northern Syria.",
    "# Earthquake death toll passes 20,000\n\nThe toll from the earthquake in Turkey and Syria "
    "rose as rescuers pulled survivors from the rubble in Hatay and Gaziantep.",
    "# Aid reaches Syria days after the earthquake\n\nThe first UN convoy crossed into northwest "
    "Syria; survivors of the earthquake sheltered in tents in freezing weather.",
]


def _config(tmp_path: Path) -> Path:
    folder = tmp_path / "refs"
    folder.mkdir()
    for number, text in enumerate(REFERENCES):
        (folder / f"ref{number}.md").write_text(text, encoding="utf-8")
    config = tmp_path / "newswatch.yaml"
    config.write_text(yaml.safe_dump({"topics": [{
        "id": "quake", "name": "Turkey-Syria earthquake", "references": [str(folder / "*.md")],
        "description": "The earthquake in Turkey and Syria: rescue, toll, survivors, aid.",
    }]}), encoding="utf-8")
    return config


def test_topics_check_shows_the_chance_alerts_a_derived_topic_expects(tmp_path: Path) -> None:
    config = _config(tmp_path)
    sample = tmp_path / "day.jsonl"
    sample.write_text("\n".join(json.dumps(x) for x in [
        {"title": "Earthquake survivors pulled from rubble in Turkey", "summary": ""},
        {"title": "Council approves the school budget", "summary": "A long debate."},
    ]) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main_group, ["topics", "check", "quake", "--sample", str(sample),
                                             "--config", str(config)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    (topic,) = [t for t in resolve_topics(load_config(config)) if t.id == "quake"]
    expected = chance_per_10k(TopicScorer(topic).refinements)
    # At least the full-subject calibration target; names alone or together add their rates.
    assert expected >= round(TARGET_RATE * 10_000, 2) > 0
    assert f"expected by chance (calibration): {expected:.2f} alerts per 10,000" in result.output
    assert f"{expected:.2f} expected by chance" in result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    assert summary["chance_per_10k"] == expected and summary["alerts"] == 1


def test_a_refined_topic_has_no_calibrated_chance(tmp_path: Path) -> None:
    sample = tmp_path / "day.jsonl"
    sample.write_text(json.dumps({"title": "Council approves the school budget"}) + "\n")
    result = CliRunner().invoke(main_group, ["topics", "check", "axis", "--sample", str(sample),
                                             "--config", str(_config(tmp_path))],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "expected by chance" not in result.output
    assert "chance_per_10k" not in json.loads(result.output.strip().splitlines()[-1])
