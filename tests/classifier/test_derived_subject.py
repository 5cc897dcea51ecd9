"""Derived topics read the description's exclusions, pool the evidence of rare names and
subject words, weigh a name's everyday companions less beside it, and find a name's aliases
(shared rare words, inflected forms) in the data."""

from __future__ import annotations

import pytest

from services.classifier.background import Background
from services.classifier.salience import EXCLUDED_GROUP, derive_refinements, split_description
from services.classifier.scorer import TopicScorer
from shared.topics import Reference, Refinements, ResolvedTopic

TANK_REFS = tuple(
    Reference(f"r{i}.md", text)
    for i, text in enumerate([
        "Germany will send Leopard tanks to Ukraine, Berlin said, after weeks of pressure from allies.",
        "Poland asked Berlin to approve the re-export of its Leopard tanks to Ukraine.",
        "The first Leopard tanks could reach Ukraine within months; crews start training in Germany.",
        "Kyiv welcomed the Leopard tanks decision while Moscow said the tanks would burn.",
    ])
)
# Ordinary news: Ukraine is everyday war news, where "allies" keeps it company; tanks are rare.
ORDINARY_DF = {"ukrain": 150.0, "germani": 300.0, "berlin": 150.0, "kyiv": 200.0, "moscow": 200.0,
               "alli": 60.0, "tank": 6.0, "leopard": 2.0, "train": 80.0, "crew": 40.0,
               "pressur": 90.0, "decis": 120.0, "poland": 90.0, "week": 900.0, "send": 200.0,
               "leopardów": 1.0, "export": 30.0}


def _ground(companions: dict[str, dict[str, float]] | None = None) -> Background:
    return Background(docs=10_000, df=dict(ORDINARY_DF), companions=companions or {})


def _scorer(description: str | None, ground: Background) -> TopicScorer:
    topic = ResolvedTopic(id="tanks", name="Tanks", threshold=0.5, references=TANK_REFS,
                          description=description)
    scorer = TopicScorer(topic)
    refinements = derive_refinements(TANK_REFS, description, ground)
    scorer.refinements = refinements
    return _rebuilt(topic, refinements)


def _rebuilt(topic: ResolvedTopic, refinements: Refinements) -> TopicScorer:
    """A scorer whose lexicon is compiled from the given derived refinements."""
    return TopicScorer(topic, refinements=refinements)


def test_the_description_request_and_exclusions_are_split() -> None:
    wanted, unwanted = split_description(
        "Alert me about Leopard tanks for Ukraine. Not other war news (missile strikes, fighter "
        "jets) unless it is about the tanks, and not think tanks. I do not want fuel tanks either.")
    assert wanted == "Leopard tanks for Ukraine."
    assert "missile strikes" in unwanted and "fighter jets" in unwanted and "think tanks" in unwanted
    assert "unless" not in unwanted and "it is about" not in unwanted
    assert "fuel tanks" in unwanted
    kept = "Tanks for Ukraine, not just Leopards."
    assert split_description(kept) == (kept, "")


def test_excluded_words_penalise_and_are_never_subject_terms() -> None:
    description = "Leopard tanks for Ukraine. Not fighter jets or missile strikes."
    refinements = derive_refinements(TANK_REFS, description, _ground())
    subject = {refinements.group(g).label for g in refinements.require[-1]}
    assert not {"fighter", "jets", "missile"} & subject
    excluded = refinements.group(EXCLUDED_GROUP)
    assert {"fighter jets", "missile strikes"} <= set(excluded.terms)
    assert "tanks" not in excluded.terms  # the wanted part uses it
    assert refinements.penalize == (EXCLUDED_GROUP,)
    scorer = _scorer(description, _ground())
    plain = scorer.score("Germany approves Leopard tanks for Ukraine", "")
    framed = scorer.score("Missile strikes hit Kyiv a day after the Leopard tanks pledge", "")
    assert plain.score >= 0.5 > framed.score
    assert "framed" in framed.explanation["components"]


def test_a_rare_name_needs_less_subject_than_a_common_one() -> None:
    scorer = _scorer(None, _ground())
    assert scorer.score("Leopard tanks are on their way", "").score >= 0.5
    assert scorer.score("Ukraine allies meet in Berlin", "").score < 0.5


def test_a_names_everyday_companion_weighs_less_beside_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from services.classifier import salience

    companions = {"ukrain": {"tank": 0.2, "alli": 0.3}}
    # "tanks" is in every reference: a core word keeps its weight beside the names ...
    core = derive_refinements(TANK_REFS, None, _ground(companions))
    assert not next(g for g in core.groups if g.label == "tanks").given
    # ... a word fewer references use is discounted beside the name it keeps company with.
    monkeypatch.setattr(salience, "CORE_SHARE", 1.01)
    plain = derive_refinements(TANK_REFS, None, _ground())
    contrasted = derive_refinements(TANK_REFS, None, _ground(companions))
    tanks = next(g for g in contrasted.groups if g.label == "tanks")
    ukraine = next(g.name for g in contrasted.groups if "Ukraine" in g.terms)
    beside = dict(tanks.given)
    assert ukraine in beside and beside[ukraine] < tanks.weight
    assert not next(g for g in plain.groups if g.label == "tanks").given


def test_inflected_forms_and_shared_rare_words_are_aliases_from_data() -> None:
    refinements = derive_refinements(TANK_REFS, None, _ground())
    leopard = next(g for g in refinements.groups if g.label == "Leopard")
    assert "leopardów" in leopard.terms
    refs = tuple(Reference(f"a{i}.md", text) for i, text in enumerate([
        "Shares of the Zorvex Group fell after Kalim Zorvex was accused of fraud by a short seller.",
        "Kalim Zorvex lost billions as the Zorvex Group denied the short seller's fraud claims.",
        "The Zorvex Group called the short seller report baseless; Kalim Zorvex stayed silent.",
    ]))
    names = [g for g in derive_refinements(refs, None, Background(docs=10_000, df={})).groups
             if g.name.startswith("entity:")]
    assert len([g for g in names if any("Zorvex" in t for t in g.terms)]) == 1


def test_a_word_only_the_description_uses_needs_more_than_an_everyday_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """"Canada" + "analysis" is everyday news: a subject word the user wrote once but no
    reference repeats weighs less, so beside a common name it no longer completes the subject;
    beside a rare name ("Leopard") it still does."""
    from services.classifier import salience

    description = "Leopard tanks for Ukraine and the debate over them."
    ground = Background(docs=10_000, df={**ORDINARY_DF, "debat": 3.0}, companions={})
    refinements = derive_refinements(TANK_REFS, description, ground)
    debate = next(g for g in refinements.groups if g.label == "debate")
    full = salience._weight(ground.rate("debat"), salience.TARGET_RATE)
    assert debate.weight == round(full * salience.DESCRIPTION_ONLY_SHARE, 3) < full
    tanks = next(g for g in refinements.groups if g.label == "tanks")
    assert tanks.weight == salience._weight(ground.rate("tank"), salience.TARGET_RATE)  # full
    common = ("Ukraine debate heats up in parliament", "")
    scorer = _scorer(description, ground)
    assert scorer.score(*common).score < 0.5
    assert scorer.score("Leopard debate heats up in parliament", "").score >= 0.5
    monkeypatch.setattr(salience, "DESCRIPTION_ONLY_SHARE", 1.0)
    assert _scorer(description, ground).score(*common).score >= 0.5  # full weight: it alerted
