"""The names that carry a story are subject terms: a name with lowercase connectors ("State of
the Union", "Bank of England") is one name when the references write it so, and is weighed as
one term; a name never runs across the line break between a headline and its summary."""

from __future__ import annotations

from services.classifier.background import Background
from services.classifier.salience import derive_refinements
from services.classifier.scorer import TopicScorer
from shared.topics import Reference, Refinements, ResolvedTopic

SOTU_REFS = tuple(
    Reference(f"r{i}.md", text)
    for i, text in enumerate([
        "# Biden to address a divided Congress during the State of the Union\n\n"
        "President Biden will deliver his State of the Union address on Tuesday before a "
        "Republican House led by Kevin McCarthy.",
        "# What to expect from Biden's State of the Union address\n\n"
        "The speech will push Biden's economic record; Kevin McCarthy will sit behind him.",
        "# Guests named for the State of the Union\n\n"
        "Lawmakers invited guests to the State of the Union, where Biden will speak to Congress.",
        "# Debt ceiling standoff looms over the State of the Union\n\n"
        "Kevin McCarthy said Republicans would press Biden on spending at the State of the Union.",
        "# Republicans prepare a response to the State of the Union\n\n"
        "Sarah Huckabee Sanders will answer Biden's State of the Union address for Republicans; "
        "the President of Ukraine is expected to be mentioned.",
    ])
)
SOTU_DESCRIPTION = "President Biden's State of the Union address to Congress and the reactions to it."
# Ordinary news per 64,000 items: "state" and "union" are everyday words, the name is not.
SOTU_DF = {"state": 5000.0, "union": 500.0, "state union": 13.0, "biden": 1500.0,
           "congress": 700.0, "kevin mccarthi": 60.0, "kevin": 400.0, "mccarthi": 90.0,
           "address": 900.0, "speech": 800.0, "deliver": 900.0, "republican": 1200.0,
           "ukrain": 1250.0, "presid ukrain": 40.0, "guest": 300.0, "secretari state": 400.0}


def _ground(df: dict[str, float]) -> Background:
    return Background(docs=64_000, df=dict(df))


def _scorer(refinements: Refinements, refs: tuple[Reference, ...], description: str) -> TopicScorer:
    topic = ResolvedTopic(id="t", name="T", threshold=0.5, references=refs, description=description)
    return TopicScorer(topic, refinements=refinements)


def _entities(refinements: Refinements) -> dict[str, tuple[str, ...]]:
    return {g.label: g.terms for g in refinements.groups if g.name.startswith("entity:")}


def test_a_name_with_connectors_the_references_keep_writing_is_one_name() -> None:
    refinements = derive_refinements(SOTU_REFS, SOTU_DESCRIPTION, _ground(SOTU_DF))
    entities = _entities(refinements)
    assert "State of the Union" in entities
    # weighed as one term: by the rarity of the whole name, not of "union"
    group = refinements.group("entity:State of the Union")
    assert group.weight > 0.7
    assert "Union" not in entities
    # nearly every reference names it and ordinary news seldom does: the subject itself
    assert "entity:State of the Union" in refinements.subject_names
    scorer = _scorer(refinements, SOTU_REFS, SOTU_DESCRIPTION)
    viewers = scorer.score("Viewership for Biden's State of the Union address drops",
                           "Fewer Americans watched the speech than last year.")
    assert viewers.score >= 0.5, viewers.explanation["summary"]
    assert "State of the Union (a name that is the subject itself)" in viewers.explanation["subject"]


def test_a_connector_name_written_once_leaves_its_parts_as_names() -> None:
    refinements = derive_refinements(SOTU_REFS, SOTU_DESCRIPTION, _ground(SOTU_DF))
    labels = set(_entities(refinements))
    # "President of Ukraine" is written in one reference only: no joined name
    assert not any(" of " in label and "Ukraine" in label for label in labels)


def test_a_joined_name_of_news_titles_only_is_no_name() -> None:
    refs = tuple(
        Reference(f"r{i}.md", f"# Talks in Geneva\n\nThe Secretary of State met Sergei Lavrov in "
                              f"Geneva on day {i}; the Secretary of State urged a ceasefire.")
        for i in range(4)
    )
    ground = _ground({"secretari state": 400.0, "geneva": 150.0, "sergei lavrov": 80.0,
                      "ceasefir": 300.0, "talk": 2000.0})
    refinements = derive_refinements(refs, None, ground)
    assert "Secretary of State" not in _entities(refinements)


def test_a_name_does_not_run_from_the_headline_into_the_summary() -> None:
    refs = tuple(
        Reference(f"r{i}.md", f"# Biden heads to the State of the Union\n\nPresident Biden "
                              f"spoke to reporters on day {i} about the State of the Union.")
        for i in range(4)
    )
    refinements = derive_refinements(refs, None, _ground(SOTU_DF))
    assert not any("\n" in term for terms in _entities(refinements).values() for term in terms)

