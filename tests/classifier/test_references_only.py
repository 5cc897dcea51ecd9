"""A topic defined by reference documents alone derives its own term groups and scores well."""

from __future__ import annotations

from pathlib import Path

from services.classifier.evaluate import evaluate, read_labels
from services.classifier.salience import derive_refinements
from services.classifier.scorer import TopicScorer
from shared.config import parse_config
from shared.topics import resolve_topics
from tests.classifier.conftest import FIXTURES


def _flu_topic(tmp_path: Path) -> TopicScorer:
    config_file = tmp_path / "newswatch.yaml"
    refs = FIXTURES / "flu_refs"
    config_file.write_text(
        f"topics:\n  - id: flu\n    name: Bird flu in cattle\n    references: ['{refs}/*.md']\n"
    )
    config = parse_config(config_file.read_text(), source=config_file)
    topic = next(t for t in resolve_topics(config) if t.id == "flu")
    return TopicScorer(topic)


def test_derived_groups_are_salient_entities_and_concepts(tmp_path: Path) -> None:
    scorer = _flu_topic(tmp_path)
    labels = {g.label.lower() for g in scorer.refinements.groups}
    assert scorer.derived
    assert "h5n1" in labels
    assert {"dairy", "milk", "cattle"} <= labels
    assert not labels & {"said", "the", "year"}


def test_references_only_topic_separates_labelled_fixture(tmp_path: Path) -> None:
    scorer = _flu_topic(tmp_path)
    result = evaluate(scorer, read_labels(FIXTURES / "flu_small.jsonl"))
    assert (result.fp, result.fn) == (0, 0), [(k, i.title, s.score) for k, i, s in result.errors]


def test_derived_explanation_shows_matched_terms(tmp_path: Path) -> None:
    result = _flu_topic(tmp_path).score(
        "H5N1 found in raw milk from Texas dairy", "Officials ordered more testing of cattle."
    )
    assert result.score >= 0.8
    assert any(line.startswith("H5N1") for line in result.explanation["evidence"])
    assert result.explanation["passage"]["source"].startswith("brief_h5n1")


def test_no_references_yields_no_groups() -> None:
    assert derive_refinements(()).empty
