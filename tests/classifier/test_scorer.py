"""The built-in topic's scores: range, structure of explanations, keyword traps, HTML."""

from __future__ import annotations

import json

import pytest

from services.classifier.evaluate import evaluate, read_labels
from services.classifier.scorer import TopicScorer, build_scorers
from shared.topics import Reference, ResolvedTopic
from tests.classifier.conftest import FIXTURES


def test_small_labelled_fixture_is_classified_correctly(axis_scorer: TopicScorer) -> None:
    result = evaluate(axis_scorer, read_labels(FIXTURES / "axis_small.jsonl"))
    assert (result.fp, result.fn) == (0, 0), [(k, i.title, s.score) for k, i, s in result.errors]


def test_scores_are_probabilities_with_margin(axis_scorer: TopicScorer) -> None:
    items = list(read_labels(FIXTURES / "axis_small.jsonl"))
    scores = [(axis_scorer.score(i.title, i.summary).score, i.label) for i in items]
    assert all(0.0 <= s <= 1.0 for s, _ in scores)
    assert min(s for s, label in scores if label) > 0.6
    assert max(s for s, label in scores if not label) < 0.4


def test_explanation_names_evidence_and_nearest_passage(axis_scorer: TopicScorer) -> None:
    result = axis_scorer.score(
        "Iran shipped Fath-360 ballistic missiles to Russia, US says",
        "Washington accused Tehran of delivering the missiles for the war in Ukraine.",
    )
    explanation = result.explanation
    assert result.score >= 0.8
    assert explanation["summary"].startswith("relevant")
    evidence = " | ".join(explanation["evidence"])
    assert "Iran: Iran" in evidence and "Fath-360" in evidence
    assert "Russia: Russia" in evidence
    assert "transfer: shipped" in evidence
    passage = explanation["passage"]
    assert passage["source"].startswith("brief") and passage["source"].endswith(".md")
    assert 0.0 < passage["similarity"] <= 1.0 and len(passage["text"]) > 40
    assert "penalties" not in explanation
    json.dumps(explanation)  # stored as JSON beside the score


def test_missing_russia_link_is_the_stated_penalty(axis_scorer: TopicScorer) -> None:
    result = axis_scorer.score(
        "Iran unveils new ballistic missile at military parade",
        "The IRGC displayed the missile in Tehran, state television reported.",
    )
    assert result.score < 0.3
    assert any("Russia" in p for p in result.explanation["penalties"])
    assert "Russia" in result.explanation["summary"]


def test_other_conflict_lowers_the_score(axis_scorer: TopicScorer) -> None:
    plain = axis_scorer.score("Iran sends drones to Russia", "Tehran shipped attack drones to Moscow.")
    mixed = axis_scorer.score(
        "Iran sends drones to Russia", "Tehran shipped attack drones to Moscow and to Hezbollah in Lebanon."
    )
    assert mixed.score < plain.score
    assert any("Hezbollah" in p for p in mixed.explanation["penalties"])


@pytest.mark.parametrize(
    ("title", "summary"),
    [
        ("Deadly crash on coastal highway", "A car overturned. (Mohamed El-Shahed/AFP via Getty Images)"),
        ("Reporter Abbey Geran on the flood", "The reporter spoke to residents in Queensland."),
        ("", ""),
    ],
)
def test_keyword_traps_and_empty_text_stay_low(
    axis_scorer: TopicScorer, title: str, summary: str
) -> None:
    result = axis_scorer.score(title, summary)
    assert result.score < 0.2
    assert result.explanation["summary"] and isinstance(result.explanation["evidence"], list)


def test_html_summary_is_read_as_text(axis_scorer: TopicScorer) -> None:
    html = (
        "<div><p>North Korea <b>shipped</b> artillery&nbsp;shells to Russia.</p>"
        "<script>var Iran = 1;</script><img src='x.jpg'></div>"
    )
    result = axis_scorer.score("Pyongyang arms Moscow", html)
    assert result.score >= 0.7
    evidence = " | ".join(result.explanation["evidence"])
    assert "artillery shells" in evidence and "<b>" not in evidence and "Iran" not in evidence


def test_build_scorers_keys_by_topic_id(axis_topic: ResolvedTopic) -> None:
    other = ResolvedTopic(
        id="other",
        name="Other",
        threshold=0.5,
        references=(Reference("x.md", "Volcano eruption in Iceland forces evacuation of Grindavik."),),
    )
    scorers = build_scorers([axis_topic, other])
    assert set(scorers) == {"axis", "other"}
    assert scorers["other"].derived and not scorers["axis"].derived
