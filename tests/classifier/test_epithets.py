"""An event's name written as an epithet ("Grammy-winning", "Super Bowl champ") tells who
someone is: a derived topic counts it neither as the actors nor as the subject."""

from __future__ import annotations

import pytest

from services.classifier.background import Background
from services.classifier.epithets import epithet_span, name_stems
from services.classifier.salience import derive_refinements
from services.classifier.scorer import TopicScorer
from services.classifier.text import tokenize
from shared.topics import Reference, ResolvedTopic

AWARD_REFS = tuple(
    Reference(f"g{i}.md", text)
    for i, text in enumerate([
        "Beyonce breaks the record for most Grammys won at the 65th Grammy Awards in Los Angeles.",
        "Harry Styles wins album of the year at the Grammys; Bonnie Raitt takes song of the year.",
        "Trevor Noah hosts the Grammys as Samara Joy is named best new artist.",
        "Grammys 2023: the full list of winners, from Lizzo to Kim Petras.",
        "The Recording Academy defends its Grammys voting after snubs of Beyonce.",
    ])
)
AWARD_DF = {"grammi": 25.0, "beyonc": 60.0, "harri style": 12.0, "bonni raitt": 2.0,
            "trevor noah": 6.0, "samara joi": 1.0, "lizzo": 15.0, "kim petra": 2.0,
            "record academi": 2.0, "album": 300.0, "song": 400.0, "winner": 500.0,
            "los angel": 900.0, "snub": 20.0, "produc": 900.0, "charg": 1500.0,
            "singer": 700.0, "video": 1200.0, "65th": 3.0, "host": 800.0}


def _award_scorer() -> TopicScorer:
    topic = ResolvedTopic(id="grammys", name="Grammys", threshold=0.5, references=AWARD_REFS)
    return TopicScorer(topic, derive_refinements(AWARD_REFS, None,
                                                 Background(docs=64_000, df=dict(AWARD_DF))))


def _span(text: str, name: str = "Grammy Awards") -> str | None:
    tokens = tokenize(text)
    words = name_stems([name])
    first = next(i for i, t in enumerate(tokens) if t.stem in words)
    span = epithet_span(first, words, tokens, text)
    return text[span[0]:span[1]] if span else None


@pytest.mark.parametrize(("text", "name", "said"), [
    ("Grammy-winning producer charged with weapons counts", "Grammy Awards", "Grammy-winning"),
    ("The Grammy Award winner said he felt lost", "Grammy Awards", "Grammy Award winner"),
    ("Super Bowl champ's brother found guilty", "Super Bowl", "Super Bowl champ"),
    ("Tom Brady, the seven-time Super Bowl champion, gave advice", "Super Bowl",
     "Super Bowl champion"),
    ("The two-time Super Bowl MVP spoke on Sunday", "Super Bowl", "two-time Super Bowl"),
    ("The singer received seven Grammy nominations for her album", "Grammy Awards",
     "seven Grammy nominations"),
    ("Grammys 2023: the full list of winners", "Grammy Awards", None),
    ("The Grammy winners: Harry Styles takes album of the year", "Grammy Awards", None),
    ("Beyonce sets a record with 32 Grammy wins", "Grammy Awards", None),
    ("Chiefs are Super Bowl champions again", "Super Bowl", None),
])
def test_epithet_forms_are_read_apart_and_the_events_own_news_is_not(
    text: str, name: str, said: str | None
) -> None:
    assert _span(text, name) == said


def test_a_name_only_written_as_an_epithet_is_no_subject() -> None:
    scorer = _award_scorer()
    assert "entity:Grammys" in scorer.refinements.subject_names
    event = scorer.score("Grammys 2023: Beyonce makes history", "The singer won her 32nd award.")
    assert event.score >= 0.5, event.explanation["summary"]
    crime = scorer.score("Grammy-winning producer charged with possession of assault weapons",
                         "The Grammy Award-winning music producer was arrested in Los Angeles.")
    assert crime.score < 0.5, crime.explanation["summary"]
    assert "'Grammy-winning' is an epithet" in crime.explanation["summary"]
    assert not any(line.startswith("Grammys") for line in crime.explanation["evidence"])


def test_the_name_still_counts_where_it_is_also_written_as_the_event() -> None:
    scorer = _award_scorer()
    both = scorer.score("Grammy-winning singer Lizzo to perform at the Grammys",
                        "Lizzo will sing at the ceremony in Los Angeles on Sunday.")
    assert both.score >= 0.5, both.explanation["summary"]
    assert "a name that is the subject itself" in both.explanation["summary"]
