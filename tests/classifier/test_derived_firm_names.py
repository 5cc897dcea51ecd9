"""A firm's story told under two of its names ("Facebook parent Meta"), and its subject word
written both as a noun and as a verb phrase ("layoffs", "lay off"): one protagonist, and the
word the references say the story is about keeps its weight beside the firm's name."""

from __future__ import annotations

from services.classifier.background import Background
from services.classifier.salience import _phrasal_compounds, derive_refinements
from services.classifier.scorer import TopicScorer
from shared.topics import Reference, Refinements, ResolvedTopic

# Fictional firms: "Quillo" is the parent company's new name, "Brightbook" its best-known app.
LAYOFF_REFS = tuple(
    Reference(f"r{i}.md", text)
    for i, text in enumerate([
        "# Quillo said to be planning layoffs\n\nThe Brightbook parent Quillo is planning the first "
        "layoffs in its history.",
        "# Quillo to lay off thousands\n\nQuillo, the parent company of Brightbook, will lay off "
        "thousands of employees.",
        "# Quillo begins laying off staff\n\nOn Wednesday Brightbook's parent company Quillo began "
        "laying off employees.",
        "# Quillo confirms layoffs\n\nThe layoffs at Quillo hit recruiting teams hardest.",
        "# Quillo staff told of layoffs by email\n\nQuillo staff learnt of the layoffs overnight.",
    ])
)
# Ordinary news: both names are everyday tech news; "layoff" keeps Quillo company there.
LAYOFF_DF = {"quillo": 60.0, "brightbook": 100.0, "layoff": 25.0, "lay": 30.0, "employe": 70.0,
             "parent": 80.0, "thousand": 200.0, "staff": 150.0, "recruit": 20.0, "team": 300.0,
             "compani": 900.0, "email": 60.0, "plan": 500.0, "histori": 200.0, "hit": 300.0}
COMPANIONS = {"quillo": {"layoff": 0.06, "employe": 0.03}}


def _ground() -> Background:
    return Background(docs=10_000, df=dict(LAYOFF_DF), companions=COMPANIONS)


def _scorer(refinements: Refinements) -> TopicScorer:
    topic = ResolvedTopic(id="t", name="Quillo layoffs", threshold=0.5, references=LAYOFF_REFS)
    return TopicScorer(topic, refinements=refinements)


def test_a_verb_phrase_writes_its_compound_noun() -> None:
    assert _phrasal_compounds("Quillo will lay off 800; it is laying off staff") == {"layoff"}
    assert _phrasal_compounds("they shut down the plant in a crackdown") == {"shutdown"}


def test_the_subject_word_written_as_a_verb_phrase_is_core_beside_the_name() -> None:
    """"layoffs" in three reports and "lay off"/"laying off" in two: five of five write the
    story's word, so ordinary news pairing it with the firm does not discount it."""
    refinements = derive_refinements(LAYOFF_REFS, None, _ground())
    layoffs = next(g for g in refinements.groups if g.label == "layoffs")
    assert layoffs.given == ()


def test_two_names_of_one_firm_are_one_protagonist() -> None:
    refinements = derive_refinements(LAYOFF_REFS, None, _ground())
    names = [g for g in refinements.groups if g.name.startswith("entity:")]
    firm = next(g for g in names if "Quillo" in g.terms)
    assert "Brightbook" in firm.terms and firm.label == "Quillo"
    assert not any("Brightbook" in g.terms for g in names if g is not firm)
    scorer = _scorer(refinements)
    # Both names and an everyday word: other news of the firm, no longer two protagonists.
    other = scorer.score("Quillo adds a new Brightbook feature for teams", "")
    assert other.score < 0.5
    story = scorer.score("Quillo is preparing large-scale layoffs", "")
    assert story.score >= 0.5
    assert "subject: layoffs" in story.explanation["summary"]


def test_an_owner_is_no_other_name_of_the_firm() -> None:
    """"Brightbook owner Quillo" could name a person who owns a firm: only "parent" and
    "formerly" join two names."""
    refs = tuple(Reference(r.source, r.text.replace("parent company of", "owner of")
                           .replace("parent company", "owner").replace("parent", "owner"))
                 for r in LAYOFF_REFS)
    refinements = derive_refinements(refs, None, _ground())
    names = [g for g in refinements.groups if g.name.startswith("entity:")]
    assert any("Brightbook" in g.terms and "Quillo" not in g.terms for g in names)
