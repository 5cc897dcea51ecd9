"""The Russia clause needs Russia; relief, hacking, anniversaries and export curbs are other stories.

The Russia clause needs Russia itself or a Russia-specific cue: "the war in Ukraine" counts
only beside a weapon, strike, troops or the front, and a supplier curbing its own exports is
not supplying. Disaster relief, hacking and anniversaries of ties explain weak evidence.
On the recall side: defence treaties, the Alabuga plant under any spelling, and Russia's
technical help back to its suppliers alert. Every negative class is paired with real
stories in the same context that must still alert.
"""

from __future__ import annotations

import pytest

from services.classifier.scorer import TopicScorer

THRESHOLD = 0.5

NEGATIVES = [
    # "the war in Ukraine" with no Russian user: a supplier restricting its own exports
    ("Beijing curbs exports of drone engines and thermal cameras",
     "The commerce ministry said the rules would apply to buyers on both sides of the war in "
     "Ukraine."),
    # "Ukraine" alone with a supplier and diplomacy: no Russia, no weapons
    ("Chinese special envoy tours European capitals to discuss Ukraine",
     "The veteran diplomat will hold talks on a political settlement, Beijing said."),
    # a China-North Korea pair marking its ties, Russia only in passing
    ("Pyongyang and Beijing mark anniversary of diplomatic ties",
     "Analysts saw fewer visits than usual, as Kim turns towards Moscow for friendship."),
    # disaster relief and rescue between the capitals
    ("Russian emergency ministry sends rescue teams to Iran after earthquake",
     "Specialists and sniffer dogs flew to Tabriz to help search the rubble, Moscow said."),
    ("Putin offers Kim help after floods, Pyongyang politely declines",
     "North Korea's leader thanked Russia for the flood aid offer."),
    # hackers spying on Russia's arms makers: nothing changes hands
    ("North Korean hackers broke into Russian drone maker's network",
     "Cybersecurity researchers say the group linked to Pyongyang stole missile designs."),
]

POSITIVES = [
    # defence treaties and their ratification, whatever else the text mentions
    ("Russian senators ratify defence treaty with Pyongyang",
     "The pact obliges each side to give military help if the other is attacked."),
    ("Tehran and Moscow sign mutual defence treaty", ""),
    # the Alabuga plant under any spelling names the supplier
    ("New hangars spotted at Yelabuga drone complex, imagery shows", ""),
    ("Elabuga drone factory doubles its workforce", ""),
    # Russia's military-technology help back to its suppliers
    ("Seoul: Russian technical assistance behind Pyongyang's spy satellite",
     "The launch into orbit came weeks after Kim toured the Vostochny cosmodrome."),
    ("Russia to deliver Su-35 fighter jets to Iran, Tehran says", ""),
    # a supplier's weapon found in Ukraine is Russia's war even when Russia is not named
    ("North Korean missile debris found in Zaporizhzhia field, Kyiv says", ""),
    ("Iranian-made drones strike Odesa overnight", ""),
    # relief beside arms still alerts
    ("Russian rescuers' planes also carried air defence systems to Iran, intelligence shows",
     ""),
]


@pytest.mark.parametrize(("title", "summary"), NEGATIVES)
def test_another_story_does_not_alert(axis_scorer: TopicScorer, title: str, summary: str) -> None:
    result = axis_scorer.score(title, summary)
    assert result.score < THRESHOLD, result.explanation["summary"]


@pytest.mark.parametrize(("title", "summary"), POSITIVES)
def test_core_stories_alert(axis_scorer: TopicScorer, title: str, summary: str) -> None:
    result = axis_scorer.score(title, summary)
    assert result.score >= THRESHOLD, result.explanation["summary"]


def test_ukraine_alone_is_not_russia_and_says_so(axis_scorer: TopicScorer) -> None:
    result = axis_scorer.score("China holds talks on Ukraine with European partners", "")
    assert result.score < THRESHOLD
    assert any("'Ukraine' not counted" in p for p in result.explanation["penalties"])


def test_alabuga_names_the_supplier(axis_scorer: TopicScorer) -> None:
    result = axis_scorer.score("Satellite photos show new dormitories at Alabuga", "")
    assert any(line.startswith("the Alabuga drone plant") for line in result.explanation["evidence"])


def test_hacking_is_explained(axis_scorer: TopicScorer) -> None:
    result = axis_scorer.score(
        "North Korean hackers breached Russian missile maker", "Researchers found the intrusion."
    )
    assert result.score < THRESHOLD
    assert any("discounted" in p for p in result.explanation["penalties"])
