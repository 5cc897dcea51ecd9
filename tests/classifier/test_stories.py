"""Story grouping engine: canonical links, the three match reasons, the window, the corpus."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.classifier.dedup_metrics import load_corpus, score_grouping
from services.classifier.stories import (
    GroupingParams,
    Reason,
    StoryArticle,
    StoryIndex,
    article_time,
    canonical_url,
    group,
)

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "stories" / "corpus.yaml"
T0 = datetime(2025, 3, 10, 6, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("variant", "expected"),
    [
        ("https://www.example.com/a/b?utm_source=rss&utm_medium=feed", "https://example.com/a/b"),
        ("https://m.example.com/amp/a/b/?fbclid=IwAR0&id=7#top", "https://example.com/a/b?id=7"),
        ("https://mobile.example.com/a/b/amp/", "https://example.com/a/b"),
        ("https://example.com/a/b?outputType=amp&gclid=1", "https://example.com/a/b"),
        ("https://EXAMPLE.com:443/a/b?amp", "https://example.com/a/b"),
        ("http://example.com:80/a/b.amp", "https://example.com/a/b"),
        ("https://example.com:8443/a/b", "https://example.com:8443/a/b"),
        ("https://example.com/a/b?page=2&id=1", "https://example.com/a/b?id=1&page=2"),
    ],
)
def test_canonical_url_variants(variant: str, expected: str) -> None:
    assert canonical_url(variant) == expected


def test_canonical_url_keeps_unparseable_links() -> None:
    assert canonical_url("https://example.com:notaport/x") == "https://example.com:notaport/x"


def test_article_time_distrusts_future_dates() -> None:
    assert article_time(T0 + timedelta(days=2), T0) == T0
    assert article_time(T0 - timedelta(hours=3), T0) == T0 - timedelta(hours=3)
    assert article_time(None, T0) == T0


def _article(key: str, url: str, title: str, summary: str, hours: float = 0.0) -> StoryArticle:
    return StoryArticle(key, url.split("/")[2], url, title, summary, T0 + timedelta(hours=hours))


def test_reasons_exact_syndicated_event_and_new() -> None:
    items = {i.article.key: i.article for i in load_corpus(CORPUS)}
    index = StoryIndex()
    index.add(items["shells-wire"], 1)
    index.add(items["shells-harbor"], 2)
    assert index.assign(items["shells-harbor-amp"]).reason is Reason.EXACT_LINK
    copy = index.assign(items["shells-ledger-wire"])
    assert (copy.reason, copy.story_id, copy.matched_key) == (Reason.SYNDICATED, 1, "shells-wire")
    assert copy.similarity > 0.7
    event = index.assign(items["shells-pacific"])
    assert event.reason is Reason.SAME_EVENT and event.story_id in (1, 2)
    assert index.assign(items["ecb-wire"]).reason is Reason.NEW


def test_assign_does_not_record_and_add_is_idempotent() -> None:
    article = _article("a", "https://x.example/1", "Dam bursts in valley", "Water floods town.")
    index = StoryIndex()
    assert index.assign(article).story_id is None
    assert len(index) == 0
    index.add(article, 5)
    index.add(article, 6)
    assert (len(index), index.story_of("a")) == (1, 5)
    assert index.assign(article).story_id == 5


def test_window_separates_same_link_days_apart_and_evicts() -> None:
    first = _article("a", "https://x.example/live", "Live: flood updates", "Rivers rise.")
    later = _article("b", "https://x.example/live", "Live: flood updates", "Rivers rise.", 100)
    index = StoryIndex()
    index.add(first, 1)
    assert index.assign(later).reason is Reason.NEW
    index.add(later, 2)
    far = _article("c", "https://y.example/z", "Unrelated", "Nothing here.", 200)
    index.add(far, 3)
    assert "a" not in index and "c" in index


def test_distinct_north_korea_russia_events_stay_apart() -> None:
    """Shells, Kursk losses, the Tumen bridge and Lavrov's visit share actors, not stories."""
    items = load_corpus(CORPUS)
    assigned = group([i.article for i in items])
    story_events: dict[int, set[str]] = {}
    for item in items:
        story_events.setdefault(assigned[item.article.key][0], set()).add(item.event)
    assert all(len(events) == 1 for events in story_events.values()), story_events


def test_corpus_quality() -> None:
    """Measured figures (see report): precision 1.0, pairwise recall 0.81, 1.08 alerts/event."""
    items = load_corpus(CORPUS)
    assigned = group([i.article for i in items])
    scores = score_grouping(
        {i.article.key: i.event for i in items},
        {key: story for key, (story, _) in assigned.items()},
        [i.article.key for i in items],
    )
    assert scores.pair_precision == 1.0 and scores.bcubed_precision == 1.0
    assert scores.pair_recall >= 0.8 and scores.bcubed_recall >= 0.9
    assert scores.missed_events == 0
    assert scores.alerts_per_story <= 1.1


def test_score_grouping_counts_false_merges_as_missed_alerts() -> None:
    gold = {"a": "x", "b": "x", "c": "y"}
    merged = score_grouping(gold, {"a": 1, "b": 1, "c": 1}, ["a", "b", "c"])
    assert (merged.missed_events, merged.pair_precision, merged.pair_recall) == (1, 1 / 3, 1.0)
    split = score_grouping(gold, {"a": 1, "b": 2, "c": 3}, ["a", "b", "c"])
    assert (split.alerts_per_story, split.pair_recall, split.missed_events) == (1.5, 0.0, 0)


def test_one_feeds_boilerplate_does_not_join_unrelated_items() -> None:
    """A feed whose summaries are all boilerplate must not chain its items into one story."""
    boilerplate = ("Continue reading this story on our website, where readers can comment and "
                   "share it with friends. Comments")
    index = StoryIndex()
    first = _article("a", "https://board.example/1", "A framework for making 2D games in Lua",
                     boilerplate)
    second = _article("b", "https://board.example/2", "Why config file formats keep multiplying",
                      boilerplate, hours=1)
    index.add(first, 1)
    assert index.assign(second).reason is Reason.NEW
    follow_up = _article("c", "https://board.example/3", "Lua framework for 2D games reaches 12.0",
                         boilerplate, hours=2)
    assert index.assign(follow_up).story_id == 1


TANKS = [
    ("Germany agrees to send Leopard 2 tanks to Ukraine",
     "Berlin will deliver 14 Leopard 2 battle tanks from Bundeswehr stocks and allow allies to "
     "re-export theirs, Chancellor Olaf Scholz told the Bundestag."),
    ("Scholz approves Leopard tank deliveries for Kyiv after weeks of pressure",
     "Olaf Scholz said Germany would send Leopard 2 tanks to Ukraine and let Poland ship its own, "
     "ending a standoff with Warsaw and Washington."),
    ("Leopard 2 tanks for Ukraine: what Germany's decision means",
     "The Leopard 2 is a modern battle tank; Germany's decision frees Poland and Finland to "
     "send theirs to Ukraine as well, Scholz said."),
]
ROUNDUP = ("Morning briefing: Germany to send Leopard 2 tanks to Ukraine",
           "Chancellor Olaf Scholz told the Bundestag that Germany will send Leopard 2 battle "
           "tanks to Ukraine and let Poland re-export its own. Also today: French unions call "
           "strikes against Macron's pension reform.")
PENSIONS = ("French unions call new strikes against Macron's pension reform",
            "Unions in France called a third day of strikes and protests against Emmanuel "
            "Macron's pension reform, which raises the retirement age to 64.")


def test_a_round_up_does_not_chain_other_news_into_a_big_story() -> None:
    """Single links chain: the briefing joins the tanks story, the pension strike must not."""
    outcomes = {}
    for story_threshold in (0.0, 0.2):
        index = StoryIndex(GroupingParams(story_threshold=story_threshold))
        for n, (title, summary) in enumerate(TANKS):
            index.add(_article(f"t{n}", f"https://o{n}.example/t", title, summary, n), 1)
        roundup = _article("r", "https://brief.example/r", *ROUNDUP, 4)
        assert index.assign(roundup).story_id == 1
        index.add(roundup, 1)
        pensions = _article("p", "https://paris.example/p", *PENSIONS, 5)
        outcomes[story_threshold] = index.assign(pensions).story_id
    assert outcomes == {0.0: 1, 0.2: None}  # without the centroid test it chains


PENCE_SUBPOENA = ("Special counsel subpoenas Mike Pence in Trump inquiry",
                  "Special Counsel Jack Smith has subpoenaed former Vice President Mike Pence "
                  "of Indiana to appear before a grand jury in Washington over Donald Trump's "
                  "efforts to stay in power, ABC News and CNN reported.")
PENCE_SEARCH = ("FBI agents search home of Mike Pence",
                "Agents of the FBI searched the Carmel home in Indiana of former Vice President "
                "Mike Pence for classified papers, his adviser Devin O'Malley told CNN and ABC "
                "News, after lawyers found a dozen of them there in January.")


@pytest.mark.parametrize(("hours", "same"), [(2.0, True), (40.0, False)])
def test_reports_sharing_only_their_actors_days_apart_are_two_stories(
    hours: float, same: bool
) -> None:
    """Same people, nothing else in common: one event while it unfolds, two events days apart."""
    index = StoryIndex()
    index.add(_article("s", "https://wire.example/pence-subpoena", *PENCE_SUBPOENA), 1)
    found = index.assign(_article("f", "https://daily.example/pence-search", *PENCE_SEARCH,
                                  hours=hours))
    assert (found.story_id == 1) is same


def test_the_same_kind_of_event_elsewhere_is_another_story() -> None:
    """Two shoot-downs a day apart share every word but where: the headlines name other places."""
    index = StoryIndex()
    index.add(_article(
        "alaska", "https://wire.example/object-alaska",
        "Fighter jet shoots down unidentified object over Alaska",
        "A fighter jet shot down a high-altitude object the size of a small car over the "
        "frozen coast of Alaska on Friday, a spokesman for the Pentagon said, the second "
        "shoot-down of an unidentified object in a week."), 1)
    again = _article(
        "alaska-2", "https://daily.example/object-alaska", "Object over Alaska shot down by jet",
        "The Pentagon said a fighter jet shot down an unidentified high-altitude object over "
        "the coast of Alaska, the second shoot-down in a week.", hours=3)
    assert index.assign(again).story_id == 1
    elsewhere = _article(
        "yukon", "https://daily.example/object-yukon",
        "Fighter jet shoots down unidentified object over the Yukon",
        "A fighter jet shot down a high-altitude object over the Yukon on Saturday after "
        "Prime Minister Justin Trudeau ordered it taken down, the third shoot-down of an "
        "unidentified object in a week.", hours=26)
    assert index.assign(elsewhere).reason is Reason.NEW


QUAKE_REPORTS = [
    ("Death toll from the earthquake in Turkey and Syria passes 5,000 as rescuers dig "
     "through rubble in Gaziantep"),
    ("Aid convoys reach Syria after the earthquake, as Turkey opens a second border "
     "crossing near Gaziantep"),
    ("Turkey declares three months of emergency in ten provinces hit by the earthquake "
     "near Gaziantep"),
    ("Survivors of the Turkey and Syria earthquake shelter in cars and tents in "
     "freezing weather"),
    ("Rescue teams from Mexico and Poland join the search for earthquake survivors in "
     "Turkey"),
    ("Erdogan visits Kahramanmaras as anger grows over the earthquake response in "
     "Turkey"),
    ("UN appeals for earthquake aid to northwest Syria, where the rubble hides "
     "thousands"),
    ("Builders detained in Turkey over buildings that collapsed in the earthquake"),
    ("Earthquake survivors in Syria's Idlib wait for aid from Turkey's border crossing"),
    ("Turkish stock exchange halts trading after the earthquake wipes billions off "
     "shares"),
    ("Newborn found alive in rubble of Syria earthquake, her mother died giving birth"),
]


@pytest.mark.parametrize(("place", "joins"), [("Gaziantep", True), ("Jayapura", False)])
def test_a_developing_story_takes_a_report_in_new_words(place: str, joins: bool) -> None:
    """Day five of a big story is told in words no single earlier report used: what the
    story's reports share (its centroid) still recognises it, unless the headline names a
    place the story is not about (another quake elsewhere)."""
    index = StoryIndex()
    for n, text in enumerate(QUAKE_REPORTS):
        index.add(_article(f"q{n}", f"https://outlet{n}.example/q{n}", text.split(",")[0], text,
                           hours=3 * n), 1)
    later = _article("day5", "https://late.example/day5",
                     f"Hope fades for earthquake survivors under the rubble in {place}",
                     "Five days on, rescuers still search collapsed buildings for survivors as aid "
                     "arrives from abroad.", hours=40)
    found = index.assign(later)
    assert (found.story_id == 1) is joins
