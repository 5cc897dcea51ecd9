"""Error classes of the Kim-Putin summit day: the summit itself, colour around it, headlines
whose main clause reports another event, and support pledged for the war.

Texts are our own, written in the style of the feeds where each class was seen.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from services.classifier.scorer import TopicScorer
from shared.config import load_config
from shared.exceptions import ConfigError
from shared.topics import resolve_topics

THRESHOLD = 0.5


@pytest.mark.parametrize(
    ("title", "summary"),
    [
        ("Kim Jong Un meets Putin at Russian space base", "The two leaders shook hands at the cosmodrome."),
        ("Putin greets North Korea's Kim in Russia's Far East", "Kim arrived by armoured train for talks."),
        ("Ties reach a new high, Kim says", "Russian President Vladimir Putin and North Korea's Kim Jong Un "
         "are expected to meet on Wednesday at a spaceport built for space flight."),
    ],
)
def test_a_kim_putin_meeting_is_the_arms_summit(axis_scorer: TopicScorer, title: str, summary: str) -> None:
    result = axis_scorer.score(title, summary)
    assert result.score >= THRESHOLD
    assert "a Kim-Putin summit" in result.explanation["subject"]


def test_xi_meeting_putin_is_not_a_supplier_summit(axis_scorer: TopicScorer) -> None:
    result = axis_scorer.score("Xi meets Putin in Moscow", "The two leaders held talks at the Kremlin.")
    assert result.score < THRESHOLD


@pytest.mark.parametrize(
    ("title", "summary"),
    [
        ("Caviar and dumplings: Putin and Kim dine on delicacies after long meeting",
         "What the two leaders had for dinner."),
        ("Kim Jong Un's sister photographed in Russia for Putin summit",
         "Kim Yo Jong was pictured arriving with other officials."),
        ("Photos: when Kim Jong Un met Vladimir Putin", "The leaders held talks at the space base."),
    ],
)
def test_colour_around_the_summit_is_not_the_summit(
    axis_scorer: TopicScorer, title: str, summary: str
) -> None:
    assert axis_scorer.score(title, summary).score < THRESHOLD


def test_the_leaders_must_share_a_clause(axis_scorer: TopicScorer) -> None:
    """"ahead of their meeting" is a subordinate clause of its own: Kim is not in it."""
    result = axis_scorer.score(
        "Bodyguards check the seat of North Korea's Kim Jong Un",
        "Guards inspected Kim Jong Un's seat ahead of the meeting with Putin.",
    )
    assert result.score < THRESHOLD
    assert any("in the same clause" in p for p in result.explanation["penalties"])


def test_a_missile_test_headline_with_the_summit_as_scene_is_about_the_test(
    axis_scorer: TopicScorer,
) -> None:
    result = axis_scorer.score(
        "North Korea fires ballistic missile as Kim prepares to meet Putin",
        "Kim is in Russia for talks with Putin expected to focus on arms sales.",
    )
    assert result.score < THRESHOLD
    assert result.explanation["penalties"][0].startswith("the headline reports a missile test")
    assert "sets the scene" in result.explanation["summary"]


def test_a_strike_by_ukraine_ahead_of_the_summit_is_about_the_strike(axis_scorer: TopicScorer) -> None:
    result = axis_scorer.score(
        "Ukraine launches missile attack on Crimean port ahead of Putin's meeting with Kim",
        "Explosions hit the shipyard in Sevastopol, Russian officials said.",
    )
    assert result.score < THRESHOLD


def test_russia_using_the_goods_in_the_main_clause_is_not_a_scene(axis_scorer: TopicScorer) -> None:
    result = axis_scorer.score(
        "Russia launches new drone attacks as partnership with Iran deepens",
        "Waves of Iranian-made drones hit Kyiv's power grid overnight.",
    )
    assert result.score >= THRESHOLD


@pytest.mark.parametrize(
    "title",
    [
        "Kim offers 'unconditional' support for Russia's war in Ukraine",
        "Kim pledges to support Russia 'in fight against imperialism'",
    ],
)
def test_support_for_the_war_is_support_for_the_war(axis_scorer: TopicScorer, title: str) -> None:
    result = axis_scorer.score(title, "")
    assert result.score >= THRESHOLD
    assert "support for the war" in result.explanation["subject"]


@pytest.mark.parametrize(
    "title",
    [
        "China voices support for ending the war in Ukraine, Xi tells Putin",
        "China accused of giving Russia diplomatic cover for its war",
    ],
)
def test_support_for_peace_or_diplomatic_cover_is_not_support_for_the_war(
    axis_scorer: TopicScorer, title: str
) -> None:
    assert axis_scorer.score(title, "").score < THRESHOLD


def test_us_china_diplomacy_mentioning_chinese_help_in_passing(axis_scorer: TopicScorer) -> None:
    result = axis_scorer.score(
        "Biden's China summit shows the value of talking | Opinion",
        "The meeting between Biden and Xi followed months of tension over a spy balloon and "
        "possible Chinese military support for Russia's war on Ukraine.",
    )
    assert result.score < THRESHOLD


def test_jets_scrambled_for_a_joint_patrol_are_not_jets_changing_hands(axis_scorer: TopicScorer) -> None:
    result = axis_scorer.score(
        "Japan scrambles jets as China, Russia warplanes enter air defense zone", ""
    )
    assert result.score < THRESHOLD


def test_near_must_name_known_groups(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("Volcanoes erupt in Iceland.", encoding="utf-8")
    (tmp_path / "c.yaml").write_text(
        "topics:\n  - id: v\n    references: [a.md]\n    refinements:\n      groups:\n"
        "        place:\n          terms: [Iceland]\n"
        "        erupts:\n          terms: [erupts]\n          near: [lava]\n"
        "      require: [[place], [erupts]]\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="lava"):
        resolve_topics(load_config(tmp_path / "c.yaml"))


@pytest.mark.parametrize(
    ("title", "summary"),
    [
        ("Rosja otrzyma kolejną partię dronów z Iranu", "Teheran ma dostarczyć Moskwie setki dronów."),
        ("Putin obiecał pomoc Korei Północnej",
         "Władimir Putin spotkał się z Kim Dzong Unem. Rozmawiano o zakupie północnokoreańskiej broni."),
    ],
)
def test_polish_feeds_are_read_too(axis_scorer: TopicScorer, title: str, summary: str) -> None:
    assert axis_scorer.score(title, summary).score >= THRESHOLD


@pytest.mark.parametrize(
    ("title", "summary"),
    [
        ("Xi meets Putin in Moscow, think tank says", "A think tank says the talks covered trade."),
        ("Russian drones hit Mykolaiv port, governor Vitaliy Kim says", "Debris fell on a warehouse."),
        ("Kreml oskarża USA o prace nad bronią biologiczną", "Rosja powtarza zarzuty wobec Iranu i USA."),
    ],
)
def test_word_senses_that_name_no_weapon_and_no_supplier(
    axis_scorer: TopicScorer, title: str, summary: str
) -> None:
    assert axis_scorer.score(title, summary).score < THRESHOLD


def test_a_multilateral_summit_is_not_a_pact(axis_scorer: TopicScorer) -> None:
    """North Korea raised among other business at the G20 is not a Kim-Putin summit."""
    result = axis_scorer.score(
        "Biden to press Xi on red lines in talks before the G20",
        "The US president will urge Beijing to rein in North Korea when he meets Xi Jinping "
        "before the G20 summit in Bali, buoyed by Ukraine's advances on the battlefield.",
    )
    assert result.score < THRESHOLD


def test_arms_named_at_a_multilateral_summit_still_count(axis_scorer: TopicScorer) -> None:
    result = axis_scorer.score(
        "G20: leaders condemn North Korean missiles supplied to Russia",
        "At the G20 summit, leaders said North Korea had shipped ballistic missiles to Russia "
        "for its war in Ukraine.",
    )
    assert result.score >= THRESHOLD
