"""Transfers need a military object; Ukraine-side, exchanges, launches and tests are other stories.

A transfer verb needs a military object, a deal, sanctions or an intelligence frame; Ukraine
named as the buyer or builder is another story; money, trade and culture exchanges, space
launches, missile tests and peace plans explain away weak evidence; war participation (Kursk)
survives a parade; Shahed parts sold by Chinese firms imply Russia. Every negative class is
paired with real transfer stories in the same context that must still alert.
"""

from __future__ import annotations

import pytest

from services.classifier.scorer import TopicScorer

THRESHOLD = 0.5

NEGATIVES = [
    # a bare "sends"/"gives" with no military object
    ("St Petersburg circus sends acrobats and horses to Pyongyang",
     "The troupe will perform for two weeks in the North Korean capital, Russian media said."),
    ("Putin gives Kim a second armoured limousine as a birthday gift",
     "The car was handed over in Pyongyang despite the UN ban on luxury goods."),
    # Ukraine as the buyer or builder, with no Russian user named
    ("Ukrainian drone makers scramble as Beijing restricts motor exports",
     "Kyiv drone makers say Chinese export curbs on batteries and cameras have doubled prices."),
    ("Western arms to Ukraine slowed by shortage of Chinese-made magnets",
     "European factories building HIMARS rockets and shells for Kyiv rely on rare earths from China."),
    # money, trade and culture between the capitals
    ("Russian importers say payments to Chinese suppliers stuck for weeks",
     "Banks in China are returning transfers from Russian firms, fearing US secondary sanctions."),
    ("Iran and Russia link their bank card systems to bypass sanctions",
     "Iranian tourists will be able to pay with Mir cards in Moscow, the central banks said."),
    ("Xi and Putin vow deeper trade and energy ties at Kremlin talks",
     "The two leaders signed agreements on infrastructure and financial cooperation."),
    # space launches, missile tests, peace plans
    ("Soyuz carries Iranian-built weather satellite into orbit",
     "The research satellite was one of 18 payloads launched from Vostochny, Tehran's space agency said."),
    ("North Korea fires ballistic missile into the sea days after Kim's Moscow trip",
     "Japan said the missile landed outside its exclusive economic zone."),
    ("Beijing's peace envoy calls for ceasefire talks on Ukraine",
     "The plan does not ask Russia to pull its troops or weapons out of occupied land."),
]

POSITIVES = [
    # a transfer in an intelligence frame, or with its object
    ("Russian cargo ships dock at Rajin again, satellite imagery shows", ""),
    ("Pyongyang sends more artillery shells to Moscow, Seoul says",
     "Thousands of containers of munitions crossed by rail this month."),
    # the supplier's weapons used by Russia against Ukraine, with no Russia named
    ("Chinese-made drone parts found in wreckage after strike on Kharkiv",
     "Ukrainian investigators said the engines came from a Chinese supplier."),
    ("Ukrainian drone makers warn Chinese parts are reaching Russia's factories instead", ""),
    # payments for military goods stay the topic
    ("Chinese banks processed payments for Russian drone components, US says",
     "Treasury sanctioned three lenders that financed purchases of microelectronics."),
    # war participation survives a parade or summit
    ("Putin thanks Kim for the troops who fought in Kursk at parade in Beijing",
     "On the sidelines of the military parade, he said their sacrifice would not be forgotten."),
    ("North Korean casualties in Kursk top 4,000, Seoul says",
     "South Korea's spy agency said the soldiers were deployed with Russian units."),
    # Shahed parts and Chinese firms under sanctions: Russia implied
    ("US sanctions Chinese suppliers of Shahed engines", ""),
    # pacts ratified
    ("Duma ratifies comprehensive strategic partnership treaty with Tehran", ""),
    # Russia's own mass production of the Iranian design
    ("Russia's Geran output tops 2,500 a month at Yelabuga, leaked files show", ""),
    # a missile fired at Ukraine is not a test even though it was launched
    ("North Korean missiles fired at Kyiv were launched from Russia's Bryansk region",
     "Ukraine's air force said the KN-23s struck apartment blocks."),
]


@pytest.mark.parametrize(("title", "summary"), NEGATIVES)
def test_another_story_does_not_alert(axis_scorer: TopicScorer, title: str, summary: str) -> None:
    result = axis_scorer.score(title, summary)
    assert result.score < THRESHOLD, result.explanation["summary"]


@pytest.mark.parametrize(("title", "summary"), POSITIVES)
def test_real_transfer_stories_still_alert(
    axis_scorer: TopicScorer, title: str, summary: str
) -> None:
    result = axis_scorer.score(title, summary)
    assert result.score >= THRESHOLD, result.explanation["summary"]


def test_a_bare_verb_is_not_evidence(axis_scorer: TopicScorer) -> None:
    result = axis_scorer.score("Moscow zoo sends two tigers to Pyongyang", "")
    assert result.score < THRESHOLD
    assert not any(line.startswith("transfer") for line in result.explanation["evidence"])


def test_kursk_is_war_participation_only_beside_north_korea(axis_scorer: TopicScorer) -> None:
    beside = axis_scorer.score("Kim meets soldiers back from Kursk", "")
    assert any("support for the war: Kursk" in line for line in beside.explanation["evidence"])
    alone = axis_scorer.score("China urges calm after fighting in Kursk region", "")
    assert not any(line.startswith("support for the war") for line in alone.explanation["evidence"])
    assert alone.score < THRESHOLD


def test_ukraine_as_buyer_is_explained(axis_scorer: TopicScorer) -> None:
    result = axis_scorer.score(
        "Chinese curbs on drone parts squeeze Ukrainian manufacturers",
        "Kyiv drone makers say export restrictions on motors from China raised costs.",
    )
    assert result.score < THRESHOLD
    assert any(
        "discounted" in p and "Ukrainian manufacturers" in p for p in result.explanation["penalties"]
    )
