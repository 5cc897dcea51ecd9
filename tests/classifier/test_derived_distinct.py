"""Derived subject words weigh by how much more often the topic's texts use them than ordinary
news does (outside the headline), and a name the texts write as a place is no protagonist."""

from __future__ import annotations

from services.classifier.background import Background
from services.classifier.salience import derive_refinements
from services.classifier.scorer import TopicScorer
from shared.topics import Reference, ResolvedTopic

QUAKE_REFS = tuple(
    Reference(f"r{i}.md", text)
    for i, text in enumerate([
        "# Thousands killed as earthquake hits Turkey and Syria\n\nA powerful earthquake struck southern "
        "Turkey and northern Syria before dawn, flattening apartment blocks; rescuers dug through rubble.",
        "# Rescuers race to find survivors of the earthquake\n\nTeams in Turkey and Syria searched the "
        "rubble of collapsed buildings as the death toll from the earthquake rose.",
        "# Aid trickles into Syria after the earthquake\n\nThe only crossing on the border with Turkey "
        "was damaged, and aid for the earthquake victims in Syria was slow to arrive.",
        "# Turkey declares emergency in quake zone\n\nErdogan declared three months of emergency in ten "
        "provinces of Turkey hit by the earthquake; survivors slept in cars beside the rubble.",
        "# In Syria, earthquake survivors wait for help\n\nIn rebel-held Syria, near the border, families "
        "pulled relatives from the rubble with their hands days after the earthquake.",
        "# Death toll from Turkey earthquake passes 20,000\n\nThe earthquake is now the deadliest in "
        "Turkey in decades; in Syria hundreds more bodies were recovered from the rubble.",
    ])
)
# Ordinary news: "border" is everyday (a crossing, a dispute, migrants); "earthquake" is rare.
QUAKE_DF = {"turkei": 40.0, "syria": 15.0, "earthquak": 8.0, "rubbl": 4.0, "border": 80.0,
            "survivor": 12.0, "rescuer": 6.0, "death": 300.0, "toll": 20.0, "aid": 60.0,
            "emerg": 50.0, "crossing": 30.0, "victim": 60.0, "famili": 150.0, "build": 150.0}


def _quake() -> TopicScorer:
    ground = Background(docs=10_000, df=dict(QUAKE_DF))
    topic = ResolvedTopic(id="quake", name="Quake", threshold=0.5, references=QUAKE_REFS)
    return TopicScorer(topic, refinements=derive_refinements(QUAKE_REFS, None, ground))


def test_a_word_the_story_uses_little_more_than_ordinary_news_weighs_less_outside_the_headline() -> None:
    scorer = _quake()
    groups = {g.label: g for g in scorer.refinements.groups}
    # "border": two of six reports, in 0.8 % of ordinary news (lift ~40); "earthquake": every
    # report, in 0.08 % of it (lift ~1,250).
    assert groups["border"].outside_headline < 0.9
    assert groups["earthquake"].outside_headline == 1.0
    other_story = scorer.score(
        "Syria and Iraq agree to reopen trade route",
        "Officials said the border would reopen next week for lorries carrying fruit and cement.")
    assert other_story.score < 0.5
    assert any("'border' outside the headline counts less" in p
               for p in other_story.explanation["penalties"])
    quake = scorer.score(
        "Syria counts its dead",
        "Officials said the earthquake destroyed whole streets in Idlib and Aleppo.")
    assert quake.score >= 0.5
    assert "earthquake" in quake.explanation["summary"]


def test_the_same_word_in_the_headline_keeps_its_full_weight() -> None:
    scorer = _quake()
    aid = scorer.score(
        "UN aid lorries cross the border into Syria",
        "The first convoy in days carried tents and blankets to towns in the north-west.")
    assert aid.score >= 0.5
    assert "subject: border" in aid.explanation["summary"]


RAID_REFS = tuple(
    Reference(f"r{i}.md", text)
    for i, text in enumerate([
        "# Nine killed in Israeli raid in the West Bank\n\nIsraeli forces killed nine Palestinians in a "
        "raid on the Jenin refugee camp in the occupied West Bank, the health ministry said.",
        "# Palestinians mourn the dead of the Jenin raid\n\nThousands marched in the West Bank as the "
        "Palestinian Authority halted security coordination with Israel after the raid.",
        "# Deadliest raid in years\n\nThe raid on the camp was the deadliest in the West Bank for years; "
        "Israel said it targeted militants planning attacks.",
        "# Rockets fired from Gaza after Jenin raid\n\nMilitants fired rockets at Israel, which struck "
        "Gaza in return, a day after the raid in the West Bank.",
    ])
)
RAID_DF = {"israel": 40.0, "palestinian": 20.0, "raid": 15.0, "gaza": 10.0, "rocket": 10.0,
           "camp": 25.0, "refuge": 10.0, "militant": 8.0, "forc": 200.0, "dead": 100.0}


def test_a_name_written_as_a_place_is_no_protagonist_that_is_the_subject_itself() -> None:
    ground = Background(docs=10_000, df=dict(RAID_DF))
    refinements = derive_refinements(RAID_REFS, None, ground)
    labels = {g.name: g.label for g in refinements.groups}
    # "West Bank" is in no gazetteer, but the reports write it "in the (occupied) West Bank":
    # every West Bank story would otherwise be this one.
    assert "entity:West Bank" in labels
    assert "entity:West Bank" not in refinements.subject_names
    topic = ResolvedTopic(id="raid", name="Raid", threshold=0.5, references=RAID_REFS)
    scorer = TopicScorer(topic, refinements=refinements)
    settlers = scorer.score("Knesset votes to let settlers return to West Bank outposts",
                            "The vote reverses the 2005 withdrawal law.")
    assert settlers.score < 0.5
