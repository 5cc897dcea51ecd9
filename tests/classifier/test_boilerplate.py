"""An outlet's standfirst that several references repeat is cut before the topic learns from
them; a story's own sentence that wire copies repeat is kept."""

from __future__ import annotations

from services.classifier.background import Background
from services.classifier.boilerplate import without_shared_boilerplate
from services.classifier.scorer import TopicScorer
from shared.topics import Reference, ResolvedTopic

STANDFIRST = ("Follow our Pacific news live blog for the latest updates. Get our morning and "
              "afternoon news emails, free app or daily news podcast.")
WIRE = "The storm is expected to strengthen to category three as it barrels towards Tonga."

REFS = (
    Reference("r0.md", f"# Cyclone Hale nears Tonga\n\nWinds of 150km/h forecast. {STANDFIRST} "
                       f"Residents of Tonga were told to take shelter. {WIRE}"),
    Reference("r1.md", f"# Cyclone Hale: Tonga issues red alert\n\n{STANDFIRST} A red alert was "
                       "issued on Tonga as Cyclone Hale approached with dangerous surf."),
    Reference("r2.md", f"# Tonga braces for Cyclone Hale\n\nFlights were cancelled. {WIRE} "
                       "Shelters opened in Nuku'alofa."),
)
# Ordinary news per 64,000 items: the standfirst's word pairs are what the outlet prints under
# every headline (a few hundred items each); the wire sentence's pairs are rare.
FURNITURE_DF = {"follow pacif": 140.0, "pacif news": 150.0, "news live": 150.0, "live blog": 140.0,
                "blog latest": 130.0, "latest updat": 200.0, "updat morn": 120.0,
                "morn afternoon": 270.0, "afternoon news": 270.0, "news email": 270.0,
                "email free": 270.0, "free app": 280.0, "app daili": 270.0, "daili news": 280.0,
                "news podcast": 270.0, "categori three": 12.0, "storm expect": 6.0}


def _ground() -> Background:
    return Background(docs=64_000, df=dict(FURNITURE_DF))


def test_a_standfirst_several_references_repeat_is_cut_and_the_story_kept() -> None:
    cleaned = without_shared_boilerplate(REFS, _ground())
    for ref in cleaned:
        assert "podcast" not in ref.text and "live blog" not in ref.text
    assert WIRE in cleaned[0].text and WIRE in cleaned[2].text  # wire copy is the story
    assert "Residents of Tonga were told to take shelter." in cleaned[0].text
    assert cleaned[0].text.startswith("# Cyclone Hale nears Tonga")


def test_a_run_one_reference_writes_or_no_ordinary_news_writes_stays() -> None:
    assert without_shared_boilerplate(REFS[:1], _ground()) == REFS[:1]
    unseen = Background(docs=64_000, df={})  # a standfirst nobody else prints is no furniture
    assert without_shared_boilerplate(REFS, unseen) == REFS


def test_the_outlets_other_items_do_not_match_the_topic() -> None:
    """Uses the shipped background, which has read the Guardian's standfirst under its items."""
    guardian = ("Follow our Australia news live blog for the latest updates. Get our morning and "
                "afternoon news emails, free app or daily news podcast.")
    refs = tuple(
        Reference(f"g{i}.md", f"# {title}\n\n{guardian} {body}")
        for i, (title, body) in enumerate([
            ("Norfolk Island warned as tropical cyclone forms off Queensland",
             "About 2,200 people on Norfolk Island are battening down as the cyclone nears."),
            ("Cyclone Gabrielle intensifies on path to Norfolk Island and New Zealand",
             "Cyclone Gabrielle is expected to strengthen to category three."),
            ("Cyclone Gabrielle: Norfolk Island issues red alert",
             "Residents of Norfolk Island were urged to shelter as Cyclone Gabrielle approached."),
        ])
    )
    topic = ResolvedTopic(id="gabrielle", name="Cyclone Gabrielle", threshold=0.5, references=refs)
    scorer = TopicScorer(topic)
    assert all("podcast" not in ref.text for ref in scorer.topic.references)
    other = scorer.score("Victorian budget: the state's debt to pass $170bn",
                         f"{guardian} The treasurer said the budget would return to surplus.")
    assert other.score < 0.5, other.explanation["summary"]
    story = scorer.score("Cyclone Gabrielle: Norfolk Island spared the worst",
                         f"{guardian} Norfolk Island residents emerged after Cyclone Gabrielle "
                         "passed overnight.")
    assert story.score >= 0.5, story.explanation["summary"]
