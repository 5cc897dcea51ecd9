"""The headline rules of a big story: a report that matches it only through its background
paragraph, its headline about something else, opens a story of its own ("new headline"); one
whose headline carries what it shares with the story continues it ("continues")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.classifier import stories
from services.classifier.stories import Reason, StoryArticle, StoryIndex
from tests.classifier.test_stories import QUAKE_REPORTS

T0 = datetime(2025, 2, 4, 20, 0, tzinfo=UTC)

BALLOON = [
    ("Fighter jets shoot down Chinese spy balloon off the Carolina coast",
     "A fighter jet shot down the Chinese surveillance balloon over the Atlantic off South "
     "Carolina on Saturday, after it had drifted across the United States for a week."),
    ("China protests after US downs its balloon over the Atlantic",
     "Beijing said the balloon was a civilian airship blown off course and accused Washington "
     "of overreacting by shooting it down off the Carolina coast."),
    ("Navy divers search the seabed for debris of the Chinese balloon",
     "Navy divers and a salvage ship are searching shallow water off South Carolina for debris "
     "of the surveillance balloon, hoping to recover its sensors and electronics."),
    ("Debris of Chinese spy balloon recovered from the Atlantic, Pentagon says",
     "Sailors pulled large pieces of the surveillance balloon's canopy and payload from the "
     "water off South Carolina, the Pentagon said, and sent them to the FBI laboratory."),
    ("Blinken postpones Beijing trip over Chinese balloon",
     "Secretary of State Antony Blinken called off a visit to Beijing after the surveillance "
     "balloon crossed the United States, calling it an irresponsible act."),
    ("Senators demand answers on how the Chinese spy balloon crossed the country",
     "Republican and Democratic senators asked the Pentagon why the surveillance balloon was "
     "not shot down over Montana and Alaska before it reached the Carolina coast."),
]

# Its body recalls the balloon; its headline, its news, is the shooting of another object.
OTHER_NEWS = ("F-22 shoots down unidentified object the size of a car",
              "An F-22 shot down an object the size of a car near Deadhorse on Friday. It comes "
              "a week after a fighter jet shot down the Chinese spy balloon off South Carolina, "
              "whose debris the Navy is still recovering from the Atlantic.")
# The story's next development, in its own words.
FOLLOW_UP = ("FBI examines debris of the Chinese spy balloon recovered by the Navy",
             "Agents at the FBI laboratory in Quantico are examining the balloon's electronics, "
             "which Navy divers recovered from the Atlantic off South Carolina.")


def _article(key: str, title: str, summary: str, hours: float) -> StoryArticle:
    return StoryArticle(key, f"{key}.example", f"https://{key}.example/a", title, summary,
                        T0 + timedelta(hours=hours))


def _index() -> StoryIndex:
    index = StoryIndex()
    for n, (title, summary) in enumerate(BALLOON):
        index.add(_article(f"b{n}", title, summary, 6 * n), 1)
    return index


def test_a_report_matching_a_story_by_its_background_is_another_story() -> None:
    found = _index().assign(_article("other", *OTHER_NEWS, hours=40))
    assert found.reason is Reason.NEW


def test_the_rule_is_what_splits_it(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(stories, "NEW_HEADLINE_SHARE", 0.0)
    found = _index().assign(_article("other", *OTHER_NEWS, hours=40))
    assert found.story_id == 1


def test_a_headline_naming_a_place_the_story_is_not_about_is_another_story(
        monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The same kind of event elsewhere, found through the story's background words: the
    headline names none of the story's people or places."""
    elsewhere = _article("deadhorse", "Jet downs unidentified flying object over Deadhorse",
                         OTHER_NEWS[1], hours=40)
    monkeypatch.setattr(stories, "NEW_HEADLINE_SHARE", 0.0)  # the other rule off
    assert _index().assign(elsewhere).reason is Reason.NEW
    monkeypatch.setattr(stories, "NEW_HEADLINE_SIMILARITY", 0.0)  # both rules off
    assert _index().assign(elsewhere).story_id == 1


def test_a_follow_up_in_the_story_words_still_joins() -> None:
    found = _index().assign(_article("fbi", *FOLLOW_UP, hours=40))
    assert found.story_id == 1


def test_a_renumbered_big_story_keeps_its_place_in_the_big_story_list() -> None:
    index = StoryIndex()
    for n in range(stories.BIG_STORY_SIZE):
        title, summary = BALLOON[n % len(BALLOON)]
        index.add(_article(f"k{n}", title, f"{summary} Report {n}.", n), -1)
    assert -1 in index._big_stories()  # noqa: SLF001 - the cache under test
    for n in range(stories.BIG_STORY_SIZE):
        index.relabel(f"k{n}", 42)
    assert set(index._big_stories()) == {42}  # noqa: SLF001


def test_a_report_whose_headline_continues_a_big_story_joins_it(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Day three of the quake in words close to no report and only loosely to what the
    story's reports share: its headline is the story's own, so it continues the story."""
    def index() -> StoryIndex:
        built = StoryIndex()
        for n, text in enumerate(QUAKE_REPORTS):
            built.add(_article(f"q{n}", text.split(",")[0], text, 3 * n), 1)
        return built

    later = _article("cold", "Turkey earthquake survivors face freezing nights",
                     "Families who lost their homes sleep in parks and stadiums as temperatures "
                     "fall below zero.", 40)
    assert index().assign(later).story_id == 1
    monkeypatch.setattr(stories, "CONTINUES_SHARE", 2.0)  # the rule off
    assert index().assign(later).reason is Reason.NEW
