"""A derived topic's names match however the feeds write them: other romanisations
("Zelenskiy"), the Polish feeds' spelling and cases ("Zełenskiego", "w Chersoniu"), and a
multi-word name's distinctive word alone ("Hurricane Nicole") - but not another name that
shares letters or a word ("Nicole Kidman", "Luciano Floridi", "NASA" for "Nassau")."""

from __future__ import annotations

from services.classifier.background import Background
from services.classifier.lexicon import Lexicon
from services.classifier.names import (
    lowercase_stems,
    name_core,
    name_cores,
    name_key,
    polish_core,
)
from services.classifier.salience import derive_refinements, distinctive_words
from services.classifier.scorer import TopicScorer
from services.classifier.text import tokenize
from shared.topics import Reference, ResolvedTopic


def _groups(lexicon: Lexicon, text: str, title: str = "") -> dict[str, list[str]]:
    full = f"{title} \n {text}" if title else text
    found = lexicon.match(full, tokenize(full), len(title))
    return {name: match.surfaces for name, match in found.items()}


def test_one_romanised_name_has_one_key_however_it_is_spelt() -> None:
    spellings = ["Zelensky", "Zelenskyy", "Zelenskiy", "Zelenskij", "Zełenski"]
    assert {name_key(s) for s in spellings} == {"zelenski"}
    assert name_key("Chersoń") == name_key("Kherson")
    assert name_key("Wołodymyr") == name_key("Volodymyr")
    assert name_key("Dżenin") == name_key("Jenin")
    # Other doubled letters stay: the Polish "Gramy" ("we play") is not the Grammy.
    assert name_key("Gramy") != name_key("Grammy")
    # Too short to be read by key: the stemmer's reading stays the only one.
    assert name_key("Kyiv") == "" and name_key("EU") == ""


def test_polish_cases_share_the_core_of_the_name() -> None:
    for form in ("Zełenskiego", "Zełenskim", "Zełenskiemu", "Zełenski"):
        assert polish_core(form) == name_core("Zelensky")
    for form in ("Chersonia", "Chersoniu", "Chersoniem"):
        assert polish_core(form) == name_core("Kherson")
    assert polish_core("Florydy") == name_core("Florida")
    assert polish_core("Sunakiem") == name_core("Sunak")
    # A name's own final letters are kept unless Polish replaces them: "Nassau" is not "NASA".
    assert polish_core("NASA") != name_core("Nassau")


def test_polish_spells_and_declines_central_european_names_its_own_way() -> None:
    # The Czech "š" is the Polish "sz"; the dative "-owi"; the fleeting "e" of "-el".
    for form in ("Babisz", "Babisza", "Babiszem", "Babiš"):
        assert polish_core(form) == name_core("Babiš") == name_core("Babis")
    assert polish_core("Bidenowi") == name_core("Biden")
    assert {polish_core(f) for f in ("Pavla", "Pavlem", "Pavlowi")} == {"pavl"}
    assert "pavl" in name_cores("Pavel") and name_cores("Israel") == (name_core("Israel"),)
    # A place in "-ów" keeps its core in the locative: "w Rzeszowie" is Rzeszów.
    assert polish_core("Rzeszowie") == polish_core("Rzeszów")


def test_a_derived_name_matches_its_polish_declension_with_a_fleeting_e() -> None:
    lexicon = Lexicon([("entity:Petr Pavel", ["Petr Pavel"])], exclusive=True,
                      names=["entity:Petr Pavel"])
    text = "Duda pogratulował Petrowi Pavlowi zwycięstwa; rozmowa z Petrem Pavlem w Pradze."
    assert _groups(lexicon, text) == {"entity:Petr Pavel": ["Petrowi Pavlowi", "Petrem Pavlem"]}


def test_a_name_group_matches_spellings_and_polish_cases_of_its_name() -> None:
    lexicon = Lexicon([("entity:Zelenskyy", ["Zelenskyy"]), ("entity:Kherson", ["Kherson"])],
                      exclusive=True, names=["entity:Zelenskyy", "entity:Kherson"])
    assert _groups(lexicon, "Zelenskiy hails UK support in London ahead of Russian offensive") == {
        "entity:Zelenskyy": ["Zelenskiy"]}
    polish = ("Premier Mateusz Morawiecki spotkał się w Brukseli z Wołodymyrem Zełenskim. Rozmowy "
              "dotyczyły sytuacji w Chersoniu po wycofaniu się Rosjan.")
    assert _groups(lexicon, polish) == {"entity:Zelenskyy": ["Zełenskim"], "entity:Kherson": ["Chersoniu"]}


def test_polish_cases_are_read_in_polish_texts_only_and_capitalised_words_only() -> None:
    lexicon = Lexicon([("entity:Florida", ["Florida"])], exclusive=True, names=["entity:Florida"])
    assert _groups(lexicon, "Burza tropikalna Nicole zbliża się do Florydy. Ma stać się huraganem.") == {
        "entity:Florida": ["Florydy"]}
    # English: "Floridi" is a philosopher, not a case of "Florida".
    assert _groups(lexicon, "The philosopher Luciano Floridi said the rules on AI came too late.") == {}
    # A refined topic's groups (no ``names``) keep their listed forms only.
    plain = Lexicon([("entity:Zelenskyy", ["Zelenskyy"])], exclusive=True)
    assert _groups(plain, "Wołodymyr Zełenski przyjechał z wizytą do Londynu.") == {}


STORM = "entity:Subtropical Storm Nicole"


STORM_REFERENCE = ("Subtropical Storm Nicole is expected to become a hurricane before it makes "
                   "landfall on the east coast of Florida; the storm's surge threatens Vero Beach.")


def _storm_lexicon() -> Lexicon:
    terms = ["Subtropical Storm Nicole", "Tropical Storm Nicole", "~Nicole"]
    return Lexicon([(STORM, terms), ("entity:Florida", ["Florida"])], exclusive=True,
                   names=[STORM, "entity:Florida"], ordinary=lowercase_stems([STORM_REFERENCE]))


def test_a_multi_word_names_distinctive_word_matches_alone() -> None:
    lexicon = _storm_lexicon()
    found = _groups(lexicon, "Twin brother and sister electrocuted to death during Hurricane Nicole, "
                    "deputies in Florida said.")
    assert found[STORM] == ["Nicole"]
    assert _groups(lexicon, "Severe weather impacts from Nicole will travel up the East Coast.") == {
        STORM: ["Nicole"]}
    # The whole name is one match, not also its word alone.
    assert _groups(lexicon, "Tropical Storm Nicole made landfall south of Vero Beach.") == {
        STORM: ["Tropical Storm Nicole"]}
    # A title-case headline capitalises every word: "Bears" is no surname.
    assert _groups(lexicon, "", title="Nicole Bears Down On Florida As Voters Head To Polls") == {
        STORM: ["Nicole"], "entity:Florida": ["Florida"]}


def test_the_distinctive_word_is_no_part_of_another_name() -> None:
    lexicon = _storm_lexicon()
    assert _groups(lexicon, "Nicole Kidman stuns at the premiere of her new film in Los Angeles.") == {}
    # Before it, a word the references never write lowercase is a first name, not "Hurricane".
    assert _groups(lexicon, "A documentary on Anna Nicole premieres in Florida next week.") == {
        "entity:Florida": ["Florida"]}
    assert _groups(lexicon, "", title="Yvette Nicole Brown On The Frog And Toad Series | Interview") == {}
    # Once a text writes it as someone's name, its other mentions are that person too.
    assert _groups(lexicon, "Nicole Parker, a former FBI agent, left the bureau. Nicole said she "
                   "had lost faith in its leadership.") == {}


def test_only_a_name_of_ordinary_words_and_one_name_word_has_a_distinctive_word() -> None:
    texts = [
        "Subtropical Storm Nicole is expected to strengthen into a hurricane before landfall in Florida.",
        "Forecasters said the subtropical storm could bring a dangerous surge; Nicole is moving west.",
        "Rishi Sunak said the UK would train pilots; John Tory met the Tory whips on the West Bank trip.",
        "Rishi Sunak welcomed him; residents of the West Bank and John Tory of Toronto were there too.",
    ]
    ground = Background(docs=100_000, df={"nicol": 20.0, "subtrop": 5.0, "storm": 900.0,
                                         "rishi": 10.0, "sunak": 10.0, "tori": 400.0, "john": 3000.0,
                                         "west": 4000.0, "bank": 3000.0})
    assert distinctive_words(["Subtropical Storm Nicole"], texts, ground) == ["Nicole"]
    # Two name words; a name word common in ordinary news ("Tory"); two ordinary words.
    assert distinctive_words(["Rishi Sunak"], texts, ground) == []
    assert distinctive_words(["John Tory"], texts, ground) == []
    assert distinctive_words(["West Bank"], texts, ground) == []


ZELENSKY_REFS = tuple(
    Reference(f"r{i}.md", text)
    for i, text in enumerate([
        "# Zelenskyy arrives in London\n\nPresident Volodymyr Zelenskyy landed at Stansted for talks "
        "with Rishi Sunak on fighter jets and pilot training.",
        "# Zelenskyy to address Parliament\n\nZelenskyy will address both houses of Parliament in "
        "Westminster Hall and meet King Charles, Rishi Sunak said.",
        "# Surprise visit\n\nRishi Sunak greeted Zelenskyy at Downing Street; the visit is his second "
        "trip abroad since the invasion, after Washington.",
        "# Zelenskyy asks for jets\n\nIn Westminster Hall Zelenskyy asked Parliament for fighter jets; "
        "Rishi Sunak said nothing was off the table.",
    ])
)
ZELENSKY_DF = {"zelenskyy": 2.0, "rishi": 30.0, "sunak": 30.0, "rishi sunak": 30.0, "parliament": 300.0,
               "westminst": 40.0, "hall": 200.0, "fighter": 60.0, "jet": 80.0, "fighter jet": 20.0,
               "pilot": 90.0, "visit": 400.0, "trip": 200.0, "london": 900.0}


def test_an_explanation_shows_the_name_as_matched() -> None:
    ground = Background(docs=100_000, df=dict(ZELENSKY_DF))
    refinements = derive_refinements(ZELENSKY_REFS, None, ground)
    topic = ResolvedTopic(id="trip", name="Zelenskyy's trip", threshold=0.5, references=ZELENSKY_REFS)
    scorer = TopicScorer(topic, refinements=refinements)
    result = scorer.score("Powitali Zełenskiego brawami w Westminster Hall",
                          "Prezydent Ukrainy Wołodymyr Zełenski przemawiał przed parlamentem.")
    assert any("Zełenskiego (Zelenskyy)" in line for line in result.explanation["evidence"])
    assert "Zełenskiego (Zelenskyy)" in result.explanation["summary"]


def test_a_word_is_one_name_spelt_as_a_group_lists_it() -> None:
    """References spelling one man "Zelenskyy" and "Zelensky" gave two groups; a text's
    "Zelensky" stays the group that lists that spelling, and is not also the other."""
    groups = [("entity:Zelenskyy", ["Zelenskyy"]), ("concept:zelensky", ["zelensky"])]
    lexicon = Lexicon(groups, exclusive=True, names=[name for name, _ in groups])
    assert _groups(lexicon, "Zelensky presses Ukraine's case in Brussels.") == {
        "concept:zelensky": ["Zelensky"]}
    assert _groups(lexicon, "Zelenskiy hails UK support in London.") == {"entity:Zelenskyy": ["Zelenskiy"]}
    # The text's own spelling decides: its "Zelensky" names the group listing that spelling,
    # and so does its "President Volodymyr Zelensky" (the other group's phrase, spelt so).
    groups = [("entity:Zelenskyy", ["Zelenskyy", "President Volodymyr Zelenskyy"]),
              ("concept:zelensky", ["zelensky"])]
    lexicon = Lexicon(groups, exclusive=True, names=[name for name, _ in groups])
    assert set(_groups(lexicon, "President Volodymyr Zelensky said on Sunday that Zelensky's "
                       "government would not cede land.")) == {"concept:zelensky"}
