"""How derived topics weigh the names their references share: a name few references use is
peripheral, two of the story's names together can carry the subject, particle names stay
whole, and a phrase's words are counted once."""

from __future__ import annotations

from dataclasses import replace

import pytest

from services.classifier import salience
from services.classifier.background import Background
from services.classifier.lexicon import Lexicon
from services.classifier.salience import PERIPHERAL_SHARE, derive_refinements
from services.classifier.scorer import TopicScorer
from services.classifier.text import stems, tokenize
from shared.topics import Reference, Refinements, ResolvedTopic

FRAUD_REFS = tuple(
    Reference(f"r{i}.md", text)
    for i, text in enumerate([
        "Shares of the Zorvex Group plunged after the short seller Kestrel Research accused it of "
        "accounting fraud; the group's port near Brisbane was also named.",
        "Kestrel Research said the Zorvex Group had engaged in stock manipulation; Zorvex called "
        "the short seller report baseless.",
        "Zorvex Group bonds fell as lenders weighed the short seller's fraud claims; protesters in "
        "Brisbane said the mine should close.",
        "Kalim Zorvex lost billions in a week; Kestrel Research said it stood by its report.",
        "The Zorvex Group cancelled a share sale after the Kestrel Research report on fraud.",
    ])
)
FRAUD_DF = {"zorvex": 1.0, "kestrel": 3.0, "research": 400.0, "brisbane": 40.0, "fraud": 60.0,
            "short": 300.0, "seller": 50.0, "short seller": 8.0, "report": 900.0}


def _ground() -> Background:
    return Background(docs=10_000, df=dict(FRAUD_DF))


def _scorer(references: tuple[Reference, ...], refinements: Refinements) -> TopicScorer:
    """A scorer of a references-only topic whose derived refinements are the given ones."""
    topic = ResolvedTopic(id="t", name="T", threshold=0.5, references=references)
    return TopicScorer(topic, refinements=refinements)


def _entity(refinements: Refinements, word: str) -> float:
    return next(g.weight for g in refinements.groups if g.name.startswith("entity:") and word in g.terms)


def test_a_name_few_references_use_weighs_half_unless_the_description_names_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """"Brisbane" in two of five reports of a fraud story says where a mine is."""
    plain = derive_refinements(FRAUD_REFS, None, _ground())
    monkeypatch.setattr(salience, "PERIPHERAL_SHARE", 1.0)
    full = derive_refinements(FRAUD_REFS, None, _ground())
    monkeypatch.undo()
    assert _entity(plain, "Brisbane") == round(_entity(full, "Brisbane") * PERIPHERAL_SHARE, 3)
    # Named in four of five: the story's own.
    assert _entity(plain, "Kestrel Research") == _entity(full, "Kestrel Research")
    # A place keeps the discount even when the description names it.
    described = derive_refinements(FRAUD_REFS, "The Zorvex Group fraud claims and the port near Brisbane.",
                                   _ground())
    assert _entity(described, "Brisbane") == _entity(plain, "Brisbane")


def test_a_peripheral_person_the_description_names_keeps_full_weight() -> None:
    refs = (*FRAUD_REFS[:3], Reference("r3.md", "Kalim Zorvex said Priya Raman, the group's finance "
                                       "chief, would answer the short seller."),
            Reference("r4.md", "Lenders heard Priya Raman say the Zorvex Group fraud claims were false."),
            Reference("r5.md", "The Zorvex Group said it would sue Kestrel Research over the fraud report."))
    ground = Background(docs=10_000, df={**FRAUD_DF, "priya": 5.0, "raman": 5.0, "priya raman": 1.0})
    plain = derive_refinements(refs, None, ground)
    described = derive_refinements(refs, "Zorvex Group fraud claims and Priya Raman's answer.", ground)
    assert abs(_entity(described, "Priya Raman") * PERIPHERAL_SHARE - _entity(plain, "Priya Raman")) < 2e-3



def test_a_matched_phrase_consumes_its_words() -> None:
    """"short seller" is one piece of evidence, not also "short" and "seller"."""
    groups = [("concept:short seller", ["short seller"]), ("concept:short", ["short"]),
              ("concept:seller", ["seller"]), ("concept:fraud", ["fraud"])]
    text = "Short seller accuses Zorvex of fraud; shares fall as seller pressure mounts"
    tokens = tokenize(text)
    shared = Lexicon(groups).match(text, tokens, len(text))
    assert {"concept:short seller", "concept:short"} <= set(shared)  # the old double count
    found = Lexicon(groups, exclusive=True).match(text, tokens, len(text))
    assert set(found) == {"concept:short seller", "concept:fraud", "concept:seller"}
    assert found["concept:seller"].surfaces == ["seller"]  # "seller pressure": its own mention
    assert found["concept:short seller"].surfaces == ["Short seller"]


QUAKE_REFS = tuple(
    Reference(f"q{i}.md", text)
    for i, text in enumerate([
        "Rescuers pulled survivors from the rubble after the earthquake struck southern Turkey.",
        "The death toll from the earthquake in Turkey and Syria passed 20,000 on Thursday.",
        "Aid convoys reached Syria days after the earthquake; survivors sheltered in tents.",
    ])
)


def test_a_description_word_is_the_references_word_in_another_inflection() -> None:
    """"earthquakes" in the description is the references' "earthquake": one subject term at
    full weight, not a second, description-only copy that counts the same word twice."""
    ground = Background(docs=10_000, df={"earthquak": 20.0, "survivor": 30.0, "rubbl": 10.0,
                                         "turkey": 150.0, "syria": 150.0})
    refinements = derive_refinements(QUAKE_REFS, "The earthquakes in Turkey and Syria.", ground)
    quake = [g for g in refinements.groups if g.name.startswith("concept:") and "earthquak" in
             {s for t in g.terms for s in stems(t)}]
    assert len(quake) == 1
    assert quake[0].weight == salience._weight(ground.rate("earthquak"), salience.TARGET_RATE)


SUMMIT_REFS = tuple(
    Reference(f"s{i}.md", text)
    for i, text in enumerate([
        "Negotiators at the climate summit in Sharm el-Sheikh argued over loss and damage funds.",
        "Delegates in Sharm el-Sheikh said a deal on loss and damage was within reach.",
        "The talks in Sharm el-Sheikh ran into overtime as rich nations resisted a new fund.",
        "Protesters marched outside the venue; Mohammed bin Salman skipped the summit, as did "
        "Mohammed bin Zayed.",
        "Observers noted that Mohammed bin Salman sent a minister to the climate summit.",
    ])
)


def test_a_name_with_particles_is_one_name() -> None:
    """"Sharm el-Sheikh" and "Mohammed bin Salman" are names, not "Sharm" and "Sheikh"."""
    ground = Background(docs=10_000, df={"sharm": 3.0, "sheikh": 20.0, "summit": 80.0,
                                         "loss damag": 4.0, "mohammed": 30.0, "salman": 10.0})
    refinements = derive_refinements(SUMMIT_REFS, None, ground)
    names = {t for g in refinements.groups if g.name.startswith("entity:") for t in g.terms}
    assert {"Sharm el-Sheikh", "Mohammed bin Salman"} <= names
    assert not {"Sharm", "Sheikh", "Salman"} & names
    place = next(g.name for g in refinements.groups if "Sharm el-Sheikh" in g.terms)
    assert place in refinements.places  # a known place only as the whole name
    scorer = _scorer(SUMMIT_REFS, refinements)
    assert place in scorer.evidence_groups("Climate talks in Sharm El-Sheikh stall", "")


def test_a_word_most_references_use_keeps_full_weight_beside_a_name() -> None:
    """"earthquake" is everyday company of "Turkey" in ordinary news, but in a quake story it is
    the story: used by every reference, it is not discounted beside the name; "survivors"
    (two of three) still is."""
    companions = {"turkey": {"earthquak": 0.3, "survivor": 0.2}}
    ground = Background(docs=10_000, df={"earthquak": 20.0, "survivor": 30.0, "rubbl": 10.0,
                                         "turkey": 150.0, "syria": 150.0}, companions=companions)
    refinements = derive_refinements(QUAKE_REFS, None, ground)
    quake = next(g for g in refinements.groups if g.label == "earthquake")
    survivors = next(g for g in refinements.groups if g.label == "survivors")
    assert quake.given == ()
    assert survivors.given and survivors.given[0][1] < survivors.weight


def test_two_of_the_stories_names_together_satisfy_the_subject() -> None:
    """"Zorvex hits back at Kestrel Research" is the story though it has no subject word: the
    two parties together are as rare in ordinary news as a full subject. One of them alone is
    not, nor are two places, nor names written in lowercase (a URL, a hashtag)."""
    ground = Background(docs=10_000, df={**FRAUD_DF, "zorvex": 15.0, "zorvex group": 12.0,
                                         "kestrel": 15.0, "kestrel research": 12.0})
    refinements = derive_refinements(FRAUD_REFS, None, ground)
    assert not refinements.subject_names  # neither is rare enough to be the subject alone
    scorer = _scorer(FRAUD_REFS, refinements)
    both = scorer.score("Zorvex hits back at Kestrel Research with a 400-page reply", "")
    assert both.score >= 0.5
    assert both.explanation["subject"].startswith("names together: Kestrel Research + Zorvex Group")
    assert "names together" in both.explanation["summary"]
    assert scorer.score("Zorvex hits back with a 400-page reply", "").score < 0.5
    assert scorer.score("zorvex hits back at kestrel research with a 400-page reply", "").score < 0.5
    names = tuple(g.name for g in refinements.groups if g.name.startswith("entity:"))
    as_places = _scorer(FRAUD_REFS, replace(refinements, places=names))
    assert as_places.score("Zorvex hits back at Kestrel Research with a 400-page reply", "").score < 0.5
    off = _scorer(FRAUD_REFS, replace(refinements, names_together=0.0))
    assert off.score("Zorvex hits back at Kestrel Research with a 400-page reply", "").score < 0.5


def test_the_chance_rate_adds_what_needs_no_subject_word() -> None:
    """The calibration's target for a full subject, plus two names together at the rate their
    weights encode (target ** (w1 + w2)); two places together add nothing."""
    ground = Background(docs=10_000, df={**FRAUD_DF, "zorvex": 15.0, "zorvex group": 12.0,
                                         "kestrel": 15.0, "kestrel research": 12.0})
    refinements = derive_refinements(FRAUD_REFS, None, ground)
    weight = {g.name: g.weight for g in refinements.groups}
    pairs = [weight[a] + weight[b] for a, b in (("entity:Zorvex Group", "entity:Kestrel Research"),
                                                ("entity:Zorvex Group", "entity:Brisbane"),
                                                ("entity:Kestrel Research", "entity:Brisbane"))]
    assert pairs[0] >= 1 and pairs[1] < 1
    target = salience.TARGET_RATE
    chance = target + sum(target ** pair for pair in pairs if pair >= 1)
    assert salience.chance_per_10k(refinements) == round(chance * 10_000, 2)
    names = tuple(g.name for g in refinements.groups if g.name.startswith("entity:"))
    assert salience.chance_per_10k(replace(refinements, places=names)) == round(target * 10_000, 2)


def test_a_places_adjective_is_a_place() -> None:
    """"Indian" says where, like "India": the description naming it ("how Indian regulators
    react") does not spare it the peripheral discount; a company's name is no place."""
    assert salience._is_place(["Indian"]) and salience._is_place(["Egyptian"])
    assert salience._is_place(["Chinese"]) and salience._is_place(["Ukrainian"])
    assert not salience._is_place(["Adani"]) and not salience._is_place(["Hindenburg"])
    refs = (*FRAUD_REFS[:3],
            Reference("r3.md", "Big Indian lenders said they were not worried by the Zorvex Group."),
            Reference("r4.md", "Shares of Indian banks fell as the Zorvex Group fraud claims spread."),
            Reference("r5.md", "Kestrel Research stood by its Zorvex Group report."))
    ground = Background(docs=10_000, df={**FRAUD_DF, "indian": 50.0})
    described = derive_refinements(refs, "The Zorvex Group fraud claims and how Indian lenders react.",
                                   ground)
    plain = derive_refinements(refs, None, ground)
    assert _entity(described, "Indian") == _entity(plain, "Indian")  # halved in both
