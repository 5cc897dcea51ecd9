"""Staged events, peace diplomacy, Shahed-without-Iran and "the North": fixed as classes.

Staged events (drills, patrols, parades, space launches) and peace diplomacy explain away
the hardware they mention; a Shahed alone is not Iran; "the North" in Korean reporting and
North Korean port names are North Korea. Real transfer stories in the same contexts stay.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from services.classifier.scorer import TopicScorer
from shared.config import load_config
from shared.topics import resolve_topics

THRESHOLD = 0.5


@pytest.mark.parametrize(
    ("title", "summary"),
    [
        ("Russia fires 500 Shahed drones at Ukrainian cities overnight",
         "Kyiv said most of the Geran-2 drones were shot down or jammed."),
        ("Geran drones strike Odesa port in largest attack this month",
         "Russia launched waves of Shahed-type drones at the city, the governor said."),
    ],
)
def test_shahed_alone_in_a_strike_report_is_not_iran(
    axis_scorer: TopicScorer, title: str, summary: str
) -> None:
    result = axis_scorer.score(title, summary)
    assert result.score < THRESHOLD
    penalties = result.explanation["penalties"]
    assert any("discounted" in p and ("Shahed" in p or "Geran" in p) for p in penalties)


@pytest.mark.parametrize(
    ("title", "summary"),
    [
        ("Russia's Alabuga plant triples output of Shahed drones",
         "Satellite images show new production halls where the Geran-2 is assembled."),
        ("Kyiv hit by Iranian-made drones during morning rush hour",
         "Officials said Russia launched the Shahed drones overnight; most were shot down."),
    ],
)
def test_shahed_production_or_iranian_origin_still_alerts(
    axis_scorer: TopicScorer, title: str, summary: str
) -> None:
    assert axis_scorer.score(title, summary).score >= THRESHOLD


@pytest.mark.parametrize(
    ("title", "summary"),
    [
        ("Chinese and Russian navies start joint drills in the East China Sea",
         "Destroyers practised air-defence and anti-submarine drills, Beijing said."),
        ("Russian and Chinese strategic bombers fly joint patrol over the Pacific",
         "Japanese fighters scrambled as the aircraft flew near its air defence identification zone."),
        ("Putin and Kim watch missiles roll through Pyongyang at military parade",
         "Tanks and drones passed the leaders' stand on Kim Il Sung Square."),
        ("Russian rocket puts Iranian imaging satellite into orbit",
         "The Soyuz launch vehicle lifted off from Vostochny with the Iranian satellite on board."),
    ],
)
def test_staged_events_explain_away_their_own_hardware(
    axis_scorer: TopicScorer, title: str, summary: str
) -> None:
    result = axis_scorer.score(title, summary)
    assert result.score < THRESHOLD
    assert any("discounted" in p and "another story" in p for p in result.explanation["penalties"])


@pytest.mark.parametrize(
    ("title", "summary"),
    [
        ("North Korea shipped missiles to Russia before joint drills, Seoul says",
         "The KN-23 missiles were delivered by rail, the defence ministry said."),
        ("Iranian drones shown at Moscow parade were supplied for the war, Kyiv says",
         "Ukraine's intelligence said Tehran sent the Mohajer-6 drones in 2022."),
    ],
)
def test_transfers_mentioned_beside_a_staged_event_still_alert(
    axis_scorer: TopicScorer, title: str, summary: str
) -> None:
    assert axis_scorer.score(title, summary).score >= THRESHOLD


def test_peace_diplomacy_discounts_talk_and_sanctions(axis_scorer: TopicScorer) -> None:
    result = axis_scorer.score(
        "Beijing unveils peace plan for Ukraine",
        "China urged talks with Moscow and criticised sanctions, without condemning Russia.",
    )
    assert result.score < THRESHOLD


@pytest.mark.parametrize(
    ("title", "summary"),
    [
        ("Seoul: the North has sent 20,000 containers of munitions to Russia", ""),
        ("South Korean spy agency says North has shipped shells and missiles to Moscow", ""),
        ("Yonhap: the North's soldiers deployed to Russia's Kursk region", ""),
    ],
)
def test_the_north_in_korean_reporting_is_north_korea(
    axis_scorer: TopicScorer, title: str, summary: str
) -> None:
    result = axis_scorer.score(title, summary)
    assert result.score >= THRESHOLD
    assert any(line.startswith("North Korea:") for line in result.explanation["evidence"])


def test_the_north_elsewhere_is_not_north_korea(axis_scorer: TopicScorer) -> None:
    result = axis_scorer.score(
        "Russia moves artillery shells to the North of Ukraine", "Kyiv said troops were regrouping."
    )
    assert not any(line.startswith("North Korea:") for line in result.explanation["evidence"])
    assert result.score < THRESHOLD


@pytest.mark.parametrize(
    "title",
    [
        "Rajin port busy as Russian cargo ships dock, satellite imagery shows",
        "Satellite imagery shows rail wagons massing at the Khasan crossing into Russia",
        "Russian vessels seen loading munitions containers at Najin, think tank says",
    ],
)
def test_north_korean_ports_and_crossings_are_north_korea(axis_scorer: TopicScorer, title: str) -> None:
    assert axis_scorer.score(title, "").score >= THRESHOLD


def test_conditional_alias_needs_a_known_cue_group(tmp_path: Path) -> None:
    """`only_with`/`counts_as` name groups; a typo is a config error, not a silent no-op."""
    (tmp_path / "a.md").write_text("Volcanoes erupt in Iceland.", encoding="utf-8")
    (tmp_path / "c.yaml").write_text(
        "topics:\n  - id: v\n    references: [a.md]\n    refinements:\n      groups:\n"
        "        place:\n          terms: [Iceland]\n"
        "        island:\n          terms: [the island]\n          counts_as: place\n"
        "          only_with: [nordic]\n      require: [[place]]\n",
        encoding="utf-8",
    )
    from shared.exceptions import ConfigError

    with pytest.raises(ConfigError, match="nordic"):
        resolve_topics(load_config(tmp_path / "c.yaml"))
