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


KHERSON_REFS = tuple(
    Reference(f"r{i}.md", text)
    for i, text in enumerate([
        "# Russia orders troops to leave Kherson\n\nRussian commanders told troops to pull out of "
        "Kherson and the west bank of the Dnipro, a blow to Moscow.",
        "# Ukraine advances towards Kherson\n\nUkrainian forces moved south as Russia evacuated "
        "civilians from the occupied region around Kherson.",
        "# Kherson: Russia says retreat is complete\n\nRussian troops crossed the river, leaving "
        "Kherson to Ukraine after eight months of occupation.",
        "# Crowds celebrate in Kherson\n\nResidents of Kherson greeted Ukrainian soldiers; Kyiv "
        "said the occupied region was being cleared of mines.",
        "# Why the loss of Kherson matters to Russia\n\nThe withdrawal from the occupied region "
        "ends Moscow's hold on the only regional capital it took.",
    ])
)
KHERSON_DESCRIPTION = "Russia's retreat from Kherson and Ukraine's return to the city."
KHERSON_DF = {"kherson": 13.0, "russia": 3000.0, "moscow": 900.0, "russian": 2500.0,
              "ukrain": 1250.0, "kyiv": 900.0, "ukrainian": 900.0, "troop": 600.0,
              "occupi": 150.0, "region": 1200.0, "retreat": 60.0, "withdraw": 200.0,
              "evacu": 150.0, "celebr": 500.0, "citi": 2500.0, "liber": 200.0, "dnipro": 30.0}


def test_a_rare_place_every_reference_names_is_the_subject_in_a_headline() -> None:
    refinements = derive_refinements(KHERSON_REFS, KHERSON_DESCRIPTION, _ground(KHERSON_DF))
    assert "entity:Kherson" in refinements.subject_names
    assert "entity:Kherson" in refinements.event_names  # a headline's only
    # countries and capitals stay actors: every story of Russia names them
    assert not {"entity:Russia", "entity:Ukraine"} & set(refinements.subject_names)
    scorer = _scorer(refinements, KHERSON_REFS, KHERSON_DESCRIPTION)
    inside = scorer.score("Kherson: Inside the city liberated from the Russians",
                          "A reporter walks the streets of the city.")
    assert inside.score >= 0.5, inside.explanation["summary"]
    assert ("rare place nearly every reference headline names, in the headline"
            in inside.explanation["subject"])


def test_a_rare_place_named_only_in_the_body_is_not_the_subject() -> None:
    refinements = derive_refinements(KHERSON_REFS, KHERSON_DESCRIPTION, _ground(KHERSON_DF))
    scorer = _scorer(refinements, KHERSON_REFS, KHERSON_DESCRIPTION)
    passing = scorer.score("Grain prices climb on export worries",
                           "Traders cited the war; a port near Kherson was shelled last month.")
    assert passing.score < 0.5, passing.explanation["summary"]


def test_a_place_the_references_name_but_seldom_in_their_headlines_stays_an_actor() -> None:
    # Every report says where it happened; few headlines do: the city is the scene, and its
    # other stories (a robbery, a court case) are not this one.
    refs = KHERSON_REFS[:2] + tuple(
        Reference(f"s{i}.md", f"# Russia pulls troops back across the river\n\nRussian troops "
                              f"left the occupied region around Kherson on day {i}, Moscow said.")
        for i in range(3))
    refinements = derive_refinements(refs, KHERSON_DESCRIPTION, _ground(KHERSON_DF))
    assert "Kherson" in _entities(refinements)
    assert "entity:Kherson" not in refinements.subject_names
