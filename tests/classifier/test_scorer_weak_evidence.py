"""Weak evidence explained away by context, proximity, paraphrases, actors."""

from __future__ import annotations

import pytest

from services.classifier.salience import derive_refinements
from services.classifier.scorer import TopicScorer
from shared.topics import Reference


@pytest.mark.parametrize(
    ("title", "summary"),
    [
        ("Russia and China sign gas deal at Beijing summit", "The pipeline carries gas to China."),
        ("China buys record Russian crude", "Refiners bought discounted oil despite sanctions."),
        ("Russia sends grain to North Korea", "Moscow delivered wheat by rail, state media said."),
        ("US sanctions Russian officials over Navalny", "China criticised the move."),
    ],
)
def test_commercial_or_unrelated_context_discounts_weak_evidence(
    axis_scorer: TopicScorer, title: str, summary: str
) -> None:
    result = axis_scorer.score(title, summary)
    assert result.score < 0.3
    # weak evidence is either discounted by the context or, a bare verb, not counted at all
    assert any("discounted" in p or "not counted" in p for p in result.explanation["penalties"])


def test_strong_evidence_survives_an_off_topic_word(axis_scorer: TopicScorer) -> None:
    result = axis_scorer.score(
        "North Korea ships artillery shells to Russia in exchange for food and oil",
        "Trains carried the munitions to Russian depots, US officials said.",
    )
    assert result.score >= 0.5
    assert not any("discounted" in p for p in result.explanation["penalties"])


@pytest.mark.parametrize(
    "title",
    [
        "Pyongyang ships 152mm rounds to Moscow by rail",
        "Kim sends soldiers to Kursk",
        "Beijing funnelled drone engines to the Kremlin",
        "Moscow acquires howitzers from Pyongyang",
        "Tehran handed over Zolfaghar missiles to Russia's army",
    ],
)
def test_headline_only_paraphrases_alert(axis_scorer: TopicScorer, title: str) -> None:
    assert axis_scorer.score(title, "").score >= 0.5


def test_calibre_is_shown_as_written(axis_scorer: TopicScorer) -> None:
    result = axis_scorer.score("Pyongyang ships 152mm rounds to Moscow", "")
    evidence = " | ".join(result.explanation["evidence"])
    assert "152mm" in evidence


def test_clauses_far_apart_in_a_roundup_are_penalised(axis_scorer: TopicScorer) -> None:
    filler = "<p>Markets were mixed as investors awaited data and the central bank held rates.</p>" * 6
    summary = f"<p>North Korea shows new cruise missiles.</p>{filler}<p>Russia shells Kherson overnight.</p>"
    result = axis_scorer.score("World news briefing", summary)
    assert result.score < 0.5
    assert any("never meet" in p for p in result.explanation["penalties"])


def test_non_ascii_words_do_not_leak_english_fragments(axis_scorer: TopicScorer) -> None:
    result = axis_scorer.score("Rosja zaatakowała", "trzech w ciężkim stanie")  # "ciężkim" is not "Kim"
    assert not any(line.startswith("North Korea") for line in result.explanation["evidence"])


def test_derived_topic_merges_capitals_and_weighs_its_subject() -> None:
    text = (
        "Officials in Moscow said Russia would expand trade with Norway. Russia and Norway "
        "signed a fisheries treaty; Oslo praised the fisheries quotas. Russia, Norway and the "
        "fisheries treaty were discussed again as Moscow and Oslo set quotas for cod fisheries."
    )
    refs = (Reference("a.md", text), Reference("b.md", text), Reference("c.md", text))
    refinements = derive_refinements(refs)
    russia = next(g for g in refinements.groups if g.label == "Russia")
    assert "Moscow" in russia.terms
    assert not any(g.label == "Moscow" for g in refinements.groups)
    # Any name completes the actors' clause; the subject needs the pooled evidence (names' and
    # subject words' weights) to reach 1.
    assert refinements.min_groups == (0.0, 1.0) and refinements.pooled_decay > 0
    concepts = {g.label: g.weight for g in refinements.groups if g.name.startswith("concept:")}
    assert "fisheries" in concepts and not set(concepts) & {"said", "would", "officials"}
    assert all(0 < w <= 1.0 for w in concepts.values())
