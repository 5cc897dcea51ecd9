"""Word sense by case in derived topics: a subject word the references only write capitalised is
a name, so the text's lowercase word is another sense; and a country's adjective ("Czech",
"Slovak") is a place, never the story's protagonist."""

from __future__ import annotations

from services.classifier.background import Background
from services.classifier.salience import (
    _all_places,
    _demonym_of_place,
    _protagonists,
    derive_refinements,
)
from services.classifier.scorer import TopicScorer
from shared.topics import Reference, ResolvedTopic

RESHUFFLE_REFS = tuple(
    Reference(f"r{i}.md", text)
    for i, text in enumerate([
        "# Sunak reshuffle creates energy department\n\nRishi Sunak's reshuffle moved Grant Shapps "
        "to a new department for energy security; Lucy Frazer takes culture.",
        "# Shapps gets energy in reshuffle\n\nGrant Shapps leads the new energy security "
        "department after the reshuffle, Rishi Sunak said.",
        "# Reshuffle: who went where\n\nRishi Sunak's reshuffle: Grant Shapps to energy security, "
        "Lucy Frazer to culture, a department for science.",
    ])
)
ORDINARY_DF = {"sunak": 270.0, "rishi": 210.0, "rishi sunak": 200.0, "reshuffl": 20.0,
               "grant": 300.0, "shapp": 15.0, "grant shapp": 12.0, "lucy": 80.0, "frazer": 10.0,
               "energi": 1500.0, "depart": 900.0, "secur": 1200.0, "energi secur": 60.0,
               "packag": 500.0, "green": 700.0, "cultur": 600.0}


DESCRIPTION = ("Sunak's reshuffle: the new departments and the ministers moved into them "
               "(Grant Shapps, Lucy Frazer, Michelle Donelan).")


def _scorer() -> TopicScorer:
    topic = ResolvedTopic(id="reshuffle", name="Reshuffle", threshold=0.5, references=RESHUFFLE_REFS,
                          description=DESCRIPTION)
    refinements = derive_refinements(RESHUFFLE_REFS, DESCRIPTION,
                                     Background(docs=64_000, df=dict(ORDINARY_DF)))
    return TopicScorer(topic, refinements=refinements)


def test_a_subject_word_written_only_as_a_name_matches_only_capitalised() -> None:
    scorer = _scorer()
    capitalised = {scorer.refinements.group(g).label for g in scorer.refinements.capitalised}
    assert "michelle" in capitalised and "reshuffle" not in capitalised
    lowercase = scorer.score("Rishi Sunak's michelle cake for the energy department",
                             "A michelle cake, the department said.")
    assert "michelle" not in lowercase.explanation["summary"], lowercase.explanation["summary"]
    named = scorer.score("Michelle Donelan starts at the science department",
                         "Michelle Donelan, moved by Rishi Sunak, said the department would grow.")
    assert "michelle" in named.explanation["summary"], named.explanation["summary"]


def test_a_countrys_adjective_is_a_place_and_no_protagonist() -> None:
    places = _all_places()
    assert _demonym_of_place("czech", places) and _demonym_of_place("slovak", places)
    assert not _demonym_of_place("victor", places)  # Victoria is a capital, not a country
    texts = ["Petr Pavel won the Czech presidential runoff.",
             "Petr Pavel beat Andrej Babis in the Czech runoff.",
             "The Czech count gave Petr Pavel the presidency."]
    entities = {"Czech": ["Czech"], "Petr Pavel": ["Petr Pavel"]}
    assert _protagonists(entities, texts) == {"Petr Pavel"}
