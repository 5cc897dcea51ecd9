"""How derived topics weigh the names their references share: a name few references use is
peripheral, two of the story's names together can carry the subject, particle names stay
whole, and a phrase's words are counted once."""

from __future__ import annotations

import pytest

from services.classifier import salience
from services.classifier.background import Background
from services.classifier.lexicon import Lexicon
from services.classifier.salience import PERIPHERAL_SHARE, derive_refinements
from services.classifier.text import tokenize
from shared.topics import Reference, Refinements

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
