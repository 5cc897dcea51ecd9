"""Derived topics against ordinary news: rare subject terms weigh more, boilerplate never counts,
the description is read, acronyms and dotted forms are the same name, feedback moves weights."""

from __future__ import annotations

from dataclasses import replace

from services.classifier.background import Background, document_terms
from services.classifier.learning import Label, apply, learn
from services.classifier.salience import derive_refinements
from services.classifier.scorer import TopicScorer
from services.classifier.text import stems
from shared.topics import Reference, ResolvedTopic

REFS = tuple(
    Reference(f"r{i}.md", text)
    for i, text in enumerate([
        "Rescuers in Gaziantep pulled survivors from the rubble after the earthquake in Turkey. "
        "Continue reading on our site.",
        "The earthquake death toll in Turkey rose as rescuers searched the rubble in Gaziantep. "
        "Continue reading on our site.",
        "Aftershocks hit Gaziantep; the earthquake left survivors under rubble across Turkey. "
        "Continue reading on our site.",
        "Turkey mourns as the earthquake toll climbs and rescuers comb rubble in Gaziantep. "
        "Continue reading on our site.",
    ])
)
ORDINARY = [
    "Turkey's central bank held interest rates on Thursday. Continue reading on our site.",
    "Turkey and Sweden talked about NATO membership. Continue reading on our site.",
    "The council approved a new budget for schools. Continue reading on our site.",
    "A football club signed a striker from Turkey. Continue reading on our site.",
] * 500 + ["A small earthquake shook a town in Chile.", "Rescuers saved a dog from a frozen lake."]


def _background() -> Background:
    return Background.from_texts(ORDINARY, boilerplate=frozenset({"continu", "continu read", "read"}))


def _scorer(description: str | None = None) -> TopicScorer:
    topic = ResolvedTopic(id="quake", name="Quake", threshold=0.5, references=REFS,
                          description=description)
    scorer = TopicScorer(topic)
    scorer.refinements = derive_refinements(REFS, description, _background())
    return TopicScorer(replace(topic))


def test_subject_terms_are_weighed_by_rarity_and_boilerplate_is_never_a_term() -> None:
    refinements = derive_refinements(REFS, None, _background())
    labels = {g.label.lower(): g.weight for g in refinements.groups}
    assert {"earthquake", "rubble", "rescuers"} <= set(labels)
    assert not {"continue", "reading", "site"} & set(labels)
    # Turkey is everyday news in this background: only Gaziantep names the topic.
    assert "gaziantep" in labels and "turkey" not in labels
    assert refinements.require[-1] and all(n.startswith("concept:") for n in refinements.require[-1])


def test_the_description_adds_subject_terms() -> None:
    plain = derive_refinements(REFS, None, _background())
    described = derive_refinements(REFS, "Earthquake relief: field hospitals and tents for survivors.",
                                   _background())
    before = {g.label for g in plain.groups}
    after = {g.label for g in described.groups}
    assert {"hospitals", "tents"} <= after - before


def test_acronyms_and_dotted_forms_are_one_name() -> None:
    refs = tuple(Reference(f"{i}.md", "The International Criminal Court (ICC) issued a warrant. "
                           "The ICC prosecutor said the International Criminal Court acts.")
                 for i in range(3))
    refinements = derive_refinements(refs, None, Background(docs=1000, df={}))
    court = next(g for g in refinements.groups if g.label.startswith("International Criminal"))
    assert "ICC" in court.terms
    assert stems("A.I. and U.N.") == stems("AI and UN")
    assert document_terms("the U.N. said") == document_terms("the UN said")


def test_a_labelled_false_alert_of_a_kind_stops_recurring() -> None:
    refs = tuple(Reference(f"{i}.md", text) for i, text in enumerate([
        "Beirut and Lebanon: the port blast inquiry. Turkey earthquake rescuers searched rubble.",
        "Turkey earthquake: rescuers in Gaziantep searched rubble for survivors.",
        "Turkey earthquake survivors; rubble in Gaziantep; Lebanon sent rescuers.",
    ]))
    topic = ResolvedTopic(id="quake", name="Quake", threshold=0.5, references=refs)
    base = TopicScorer(topic)
    confirmed = [Label("Turkey earthquake: rescuers pull survivors from rubble in Gaziantep", "", True)]
    false_alerts = [("Lebanon: rescuers search rubble after Beirut building collapse", ""),
                    ("Beirut rescuers search rubble of a collapsed hotel, Lebanon says", "")]
    again = ("Beirut: rescuers dig through rubble of a collapsed block in Lebanon", "")
    assert all(base.score(*fa).score >= topic.threshold for fa in false_alerts)
    assert base.score(*again).score >= topic.threshold
    learned = learn(base, [*confirmed, *(Label(*fa, False) for fa in false_alerts)])
    taught = TopicScorer(apply(topic, learned))
    assert learned.weights and all(w < 1 for w in learned.weights.values())
    assert taught.score(*again).score < taught.topic.threshold
    assert taught.score(confirmed[0].title, "").score >= taught.topic.threshold


def test_a_spelled_out_phrase_joins_its_acronym() -> None:
    refs = tuple(Reference(f"{i}.md", "Regulators in Brussels said AI rules are coming. The AI Act "
                           "covers artificial intelligence models; artificial intelligence firms object.")
                 for i in range(3))
    refinements = derive_refinements(refs, None, Background(docs=1000, df={}))
    ai = next(g for g in refinements.groups if g.label == "AI")
    assert "artificial intelligence" in ai.terms
    assert not any(g.label == "artificial intelligence" for g in refinements.groups)
