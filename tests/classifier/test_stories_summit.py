"""A two-week summit is one story a reader follows for few alerts; a missile test by one of its
leaders during the summit is another story (same actors, another event: when unsure, split).

Every article here is written for this test: the announcement, the preparations, the summit
itself, its aftermath, and a week of other news around it (the window's other traffic)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from services.classifier.stories import StoryArticle, StoryIndex
from shared.config import StoriesConfig

T0 = datetime(2025, 6, 2, 6, 0, tzinfo=UTC)

# (day, hour, outlet, headline, summary)
SUMMIT = [
    (0, 2, "wire", "Kim Jong Un to travel to Vladivostok for summit with Putin, Kremlin says",
     "The Kremlin said on Monday that North Korean leader Kim Jong Un will visit Vladivostok "
     "in the second week of June for a summit with President Vladimir Putin, their first "
     "meeting in Russia since 2023."),
    (0, 5, "herald", "Putin will host Kim Jong Un in Vladivostok next week",
     "Vladimir Putin will receive Kim Jong Un in the Pacific port of Vladivostok, the Kremlin "
     "announced, in a summit expected to cover arms cooperation and trade."),
    (0, 9, "courier", "Kim-Putin summit in Vladivostok set for next week",
     "North Korea confirmed through its state news agency KCNA that Kim Jong Un accepted "
     "Vladimir Putin's invitation to Vladivostok for a summit on cooperation."),
    (2, 4, "seoul", "Seoul warns against arms deals ahead of Kim-Putin summit",
     "South Korea's foreign ministry warned Moscow and Pyongyang against any arms transfers "
     "ahead of the Vladivostok summit between Kim Jong Un and Vladimir Putin."),
    (2, 12, "tokyo", "Japan watches Vladivostok summit of Kim and Putin with concern",
     "Tokyo said it was watching preparations for the summit of Kim Jong Un and Vladimir "
     "Putin in Vladivostok closely, fearing Russian help for North Korean missiles."),
    (4, 6, "wire", "Kim Jong Un's armoured train leaves Pyongyang for Vladivostok summit",
     "The armoured train of North Korean leader Kim Jong Un left Pyongyang for Vladivostok, "
     "where he will hold a summit with Vladimir Putin, South Korean officials said."),
    (4, 10, "herald", "Kim's train heads to Russia for summit with Putin",
     "Kim Jong Un is travelling by armoured train to Vladivostok for his summit with "
     "Vladimir Putin, accompanied by his foreign minister and military chiefs."),
    (5, 3, "courier", "Kim Jong Un arrives in Vladivostok on eve of Putin summit",
     "Kim Jong Un's train pulled into Vladivostok on Friday, where Russian officials greeted "
     "him with a guard of honour before his summit with Vladimir Putin."),
    (6, 2, "wire", "Putin and Kim hold summit in Vladivostok, pledge closer military ties",
     "Vladimir Putin and Kim Jong Un held five hours of talks in Vladivostok and pledged "
     "closer military and economic cooperation at their summit, the Kremlin said."),
    (6, 3, "herald", "Kim tells Putin North Korea stands with Russia at Vladivostok summit",
     "Kim Jong Un told Vladimir Putin at their Vladivostok summit that North Korea will always "
     "stand with Russia, as the two leaders discussed military cooperation."),
    (6, 4, "seoul", "Kim and Putin meet in Vladivostok as Seoul and Washington look on",
     "North Korean leader Kim Jong Un and Russian President Vladimir Putin met in Vladivostok, "
     "a summit Seoul and Washington fear will bring Russian technology to Pyongyang."),
    (6, 5, "tokyo", "Putin-Kim summit ends with pledge on military cooperation",
     "The Vladivostok summit of Vladimir Putin and Kim Jong Un ended with a pledge to deepen "
     "military cooperation and a banquet for the North Korean delegation."),
    (6, 7, "globe", "Vladivostok summit: what Kim and Putin agreed",
     "Kim Jong Un and Vladimir Putin agreed in Vladivostok to expand military cooperation, "
     "trade and flights between their countries, according to a Kremlin readout."),
    (6, 9, "capital", "Putin hails 'new era' with North Korea after summit with Kim",
     "Vladimir Putin said his Vladivostok summit with Kim Jong Un opened a new era of "
     "cooperation between Russia and North Korea, including in the military field."),
    (6, 12, "daily", "Kim and Putin sign cooperation accord in Vladivostok",
     "Kim Jong Un and Vladimir Putin signed an accord on military and economic cooperation at "
     "their summit in Vladivostok, state media in both countries reported."),
    (7, 3, "wire", "Washington condemns military pact from Kim-Putin summit",
     "The United States condemned the military cooperation Kim Jong Un and Vladimir Putin "
     "agreed at their Vladivostok summit and warned of new sanctions."),
    (7, 8, "seoul", "Seoul summons Russian ambassador over Kim-Putin summit accord",
     "South Korea summoned the Russian ambassador to protest the military cooperation accord "
     "Kim Jong Un and Vladimir Putin signed at the Vladivostok summit."),
    (8, 4, "courier", "Kim Jong Un tours Vladivostok shipyard after Putin summit",
     "After his summit with Vladimir Putin, Kim Jong Un toured a Vladivostok shipyard and "
     "a fighter jet factory, in a visit that extended his stay in Russia."),
    (9, 5, "herald", "Kim heads home from Vladivostok after summit with Putin",
     "Kim Jong Un's armoured train left Vladivostok for Pyongyang, ending a visit to Russia "
     "in which he held a summit with Vladimir Putin."),
    (10, 6, "tokyo", "Japan and South Korea vow joint response to Kim-Putin accord",
     "Tokyo and Seoul agreed to coordinate their response to the military cooperation accord "
     "Kim Jong Un and Vladimir Putin signed at their Vladivostok summit."),
    (12, 4, "globe", "Analysts weigh what Russia gains from Vladivostok summit with Kim",
     "A week after the Vladivostok summit, analysts say the accord Vladimir Putin signed with "
     "Kim Jong Un secures Russia North Korean shells for its war in Ukraine."),
    (13, 5, "capital", "Pyongyang celebrates Kim's return from Putin summit",
     "North Korean state media showed crowds in Pyongyang celebrating Kim Jong Un's return "
     "from his Vladivostok summit with Vladimir Putin."),
]

# Days after the summit, a missile test: the same leader and countries, and reports that
# recall the summit in their background, but another event.
MISSILE = [
    (10, 1, "wire", "North Korea fires ballistic missile into Sea of Japan",
     "North Korea fired a short-range ballistic missile into the Sea of Japan, South Korea's "
     "joint chiefs of staff said, days after Kim Jong Un returned from his summit with "
     "Vladimir Putin in Vladivostok, where they pledged military cooperation."),
    (10, 2, "tokyo", "Japan protests North Korean ballistic missile launch",
     "The ballistic missile fell outside Japan's exclusive economic zone after a flight of "
     "600 kilometres, Japan's defence ministry said. It was the first launch since the "
     "Vladivostok summit of Kim Jong Un and Vladimir Putin."),
    (10, 4, "seoul", "Seoul condemns North Korea's ballistic missile launch",
     "South Korea's joint chiefs of staff condemned the launch of a short-range ballistic "
     "missile that flew 600 kilometres, a week after Kim Jong Un and Vladimir Putin signed "
     "a military cooperation accord in Vladivostok."),
    (10, 9, "daily", "North Korea says missile test was of new solid-fuel engine",
     "North Korea's state media said the ballistic missile fired into the Sea of Japan tested "
     "a new solid-fuel engine, and that Kim Jong Un watched the launch."),
    (10, 12, "globe", "UN Security Council to meet on North Korean missile launch",
     "The UN Security Council will meet on Friday over North Korea's ballistic missile launch "
     "into the Sea of Japan, which flew 600 kilometres, its first since the Vladivostok "
     "summit of Kim Jong Un and Vladimir Putin."),
]

# The rest of the window: other news, one report per outlet each day.
OTHER = [
    ("Central bank holds interest rates as inflation eases",
     "The central bank kept its main interest rate unchanged, saying inflation had eased for "
     "a third month but wages were still rising fast."),
    ("Floods force thousands from their homes in Bavaria",
     "Heavy rain swelled rivers across Bavaria, forcing thousands of people from their homes "
     "as firefighters built sandbag walls along the Danube."),
    ("Striker scores twice as leaders win title decider",
     "The league leaders won the title decider 3-1 after their striker scored twice in the "
     "second half in front of a sold-out stadium."),
    ("Carmaker recalls 400,000 cars over faulty airbags",
     "The carmaker said it would recall 400,000 cars worldwide after finding that the "
     "passenger airbags could fail to open in a crash."),
    ("Wildfire spreads near Athens as heatwave grips Greece",
     "Firefighters battled a wildfire spreading towards suburbs of Athens as temperatures "
     "passed 40C in the first heatwave of the summer."),
    ("Parliament passes budget after all-night session",
     "Lawmakers passed next year's budget after an all-night session, with spending on "
     "hospitals and schools rising and a tax on bank profits."),
    ("Tech company unveils folding phone with larger screen",
     "The company unveiled a folding phone with a larger inner screen and a longer battery "
     "life at its annual product event in California."),
    ("Strike shuts down rail network across the country",
     "Train drivers walked out over pay, shutting down most of the rail network and leaving "
     "commuters to crowd onto buses and roads."),
    ("Astronomers spot water vapour on distant planet",
     "Astronomers using the space telescope detected water vapour in the atmosphere of a "
     "planet orbiting a small star 120 light years away."),
    ("Oil prices climb as producers extend output cuts",
     "Oil prices rose after the producers' group agreed to extend its output cuts to the end "
     "of the year, tightening supply."),
]


def _timeline() -> list[tuple[str, StoryArticle]]:
    """Every article (its kind, the article) in publication order."""
    items = []
    for kind, rows in (("summit", SUMMIT), ("missile", MISSILE)):
        for n, (day, hour, outlet, title, summary) in enumerate(rows):
            when = T0 + timedelta(days=day, hours=hour)
            items.append((kind, StoryArticle(f"{kind}{n}", f"{outlet}.example",
                                             f"https://{outlet}.example/{kind}/{n}", title,
                                             summary, when)))
    for day in range(14):
        for n, (title, summary) in enumerate(OTHER):
            when = T0 + timedelta(days=day, hours=1 + n)
            outlet = f"other{(n + day) % 6}"
            items.append(("other", StoryArticle(
                f"o{day}-{n}", f"{outlet}.example", f"https://{outlet}.example/{day}/{n}",
                title, f"{summary} Day {day} of our coverage.", when)))
    items.sort(key=lambda item: item[1].seen_at)
    return items


def _alerts(config: StoriesConfig, updates: list[tuple[int, datetime, int]]) -> int:
    """Alerts one subscriber gets: the story's first article, then a marked update once the
    story has ``update_min_new_outlets`` more outlets and ``update_min_interval`` passed, at
    most ``max_updates`` (the gate of services.classifier.dedup_assign, on the articles' clock)."""
    sent: dict[int, list[tuple[datetime, int]]] = {}
    for story_id, when, outlets in updates:
        history = sent.get(story_id)
        if history is None:
            sent[story_id] = [(when, outlets)]
            continue
        last_when, last_outlets = history[-1]
        if (len(history) - 1 < config.max_updates
                and outlets >= last_outlets + config.update_min_new_outlets
                and when - last_when >= config.update_min_interval):
            history.append((when, outlets))
    return sum(map(len, sent.values()))


def _group() -> tuple[dict[str, set[int]], int]:
    index, next_id = StoryIndex(), 0
    stories: dict[str, set[int]] = defaultdict(set)
    outlets: dict[int, set[str]] = defaultdict(set)
    wanted: list[tuple[int, datetime, int]] = []
    for kind, article in _timeline():
        story_id = index.assign(article).story_id
        if story_id is None:
            next_id += 1
            story_id = next_id
        index.add(article, story_id)
        outlets[story_id].add(article.outlet)
        stories[kind].add(story_id)
        if kind != "other":
            wanted.append((story_id, article.seen_at, len(outlets[story_id])))
    return stories, _alerts(StoriesConfig(), wanted)


def test_a_two_week_summit_is_one_story_and_the_missile_test_another() -> None:
    stories, _ = _group()
    assert len(stories["summit"]) == 1
    assert len(stories["missile"]) == 1
    assert not stories["summit"] & stories["missile"]
    assert not stories["other"] & (stories["summit"] | stories["missile"])


def test_a_subscriber_gets_four_alerts_for_the_two_stories() -> None:
    _, alerts = _group()
    assert alerts == 4  # each story: its first report, then one marked update
