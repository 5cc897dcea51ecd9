"""Derived topics and their neighbouring stories: what the description names only as unwanted is
no subject term, a verb's "not" is no exclusion, and names that keep each other company in
ordinary news weigh less together (the topic's actors in another story of theirs)."""

from __future__ import annotations

from services.classifier.background import Background
from services.classifier.salience import EXCLUDED_GROUP, derive_refinements, split_description
from services.classifier.scorer import TopicScorer
from shared.topics import Reference, Refinements, ResolvedTopic, TermGroup

TAX_REFS = tuple(
    Reference(f"r{i}.md", text)
    for i, text in enumerate([
        "# Zahawi paid penalty in HMRC tax settlement\n\nNadhim Zahawi paid a penalty as part of "
        "his tax settlement with HMRC. The row comes as Dominic Raab faces a bullying inquiry.",
        "# Sunak orders ethics inquiry into Zahawi tax settlement\n\nRishi Sunak asked his ethics "
        "adviser to look at the HMRC settlement, a week after the Raab bullying claims.",
        "# Zahawi says HMRC settlement was careless\n\nNadhim Zahawi says his tax error was careless, "
        "not deliberate; Labour also pressed Sunak over the Raab bullying claims.",
        "# Pressure grows on Zahawi over HMRC penalty\n\nThe penalty on his tax settlement "
        "leaves Nadhim Zahawi's future in doubt.",
        "# Zahawi settlement: what we know\n\nWhat Nadhim Zahawi paid HMRC, and the penalty.",
    ])
)
TAX_DESCRIPTION = (
    "Follow the Nadhim Zahawi tax settlement with HMRC for me: the penalty, what he said and did "
    "not say about it, and the ethics inquiry. I don't want the other Tory rows when they are not "
    "about Zahawi (Richard Sharp's loan; Dominic Raab's bullying inquiry; Liz Truss).")
TAX_DF = {"zahawi": 2.0, "nadhim": 2.0, "nadhim zahawi": 2.0, "hmrc": 8.0, "sunak": 60.0,
          "rishi": 50.0, "rishi sunak": 50.0, "raab": 12.0, "dominic": 20.0, "dominic raab": 10.0,
          "bulli": 15.0, "inquiri": 60.0, "settlement": 12.0, "penalti": 20.0, "tax": 150.0,
          "ethic": 20.0, "claim": 200.0, "careless": 3.0, "row": 60.0, "labour": 120.0}


def _tax_topic() -> tuple[ResolvedTopic, Refinements]:
    ground = Background(docs=10_000, df=dict(TAX_DF))
    topic = ResolvedTopic(id="zahawi", name="Zahawi", threshold=0.5, references=TAX_REFS,
                          description=TAX_DESCRIPTION)
    return topic, derive_refinements(TAX_REFS, TAX_DESCRIPTION, ground)


def test_a_verbs_not_and_a_semicolon_do_not_move_the_exclusion() -> None:
    wanted, unwanted = split_description(TAX_DESCRIPTION)
    assert "did not say about it, and the ethics inquiry" in wanted  # the story's own verb
    assert "Dominic Raab's bullying inquiry" in unwanted  # after a ";" inside the list
    assert "Liz Truss" in unwanted and "Raab" not in wanted


def test_a_subject_term_named_only_as_unwanted_is_no_subject_term() -> None:
    topic, refinements = _tax_topic()
    subject = {refinements.group(g).label.lower() for g in refinements.require[-1]}
    assert {"settlement", "penalty"} <= subject
    assert not {"raab", "bullying", "dominic raab"} & subject  # three references report it
    assert "inquiry" in subject  # the wanted part asks for the ethics inquiry too
    excluded = refinements.group(EXCLUDED_GROUP).terms
    assert "ethics" not in excluded and "inquiry" not in excluded
    scorer = TopicScorer(topic, refinements=refinements)
    neighbour = scorer.score("Sunak under pressure as Raab bullying claims grow",
                             "Rishi Sunak faces questions over Dominic Raab and the bullying claims.")
    assert neighbour.score < 0.5
    story = scorer.score("Zahawi settlement with HMRC included a penalty",
                         "Nadhim Zahawi paid a penalty in his tax settlement.")
    assert story.score >= 0.5
    assert "settlement" in story.explanation["summary"]


SPEECH_REFS = tuple(
    Reference(f"s{i}.md", text)
    for i, text in enumerate([
        "# Biden delivers State of the Union speech\n\nPresident Biden spoke for 73 minutes as "
        "Kevin McCarthy sat behind him.",
        "# McCarthy promises decorum before State of the Union\n\nRepublicans heard Kevin McCarthy "
        "ask them not to heckle Biden.",
        "# State of the Union: the heckling\n\nRepublicans heckled President Biden on Medicare while "
        "Kevin McCarthy shook his head.",
        "# Fact check: the State of the Union speech\n\nClaims about Medicare and insulin.",
        "# Ratings for the State of the Union speech fall\n\nFewer viewers watched the speech.",
    ])
)
SPEECH_DF = {"biden": 60.0, "mccarthi": 10.0, "kevin": 60.0, "kevin mccarthi": 5.0,
             "speech": 120.0, "heckl": 3.0, "medicar": 20.0, "insulin": 5.0, "decorum": 2.0,
             "republican": 300.0, "rate": 150.0, "viewer": 30.0, "fact check": 10.0}


def _speech_scorer(companions: dict[str, dict[str, float]]) -> tuple[Refinements, TopicScorer]:
    ground = Background(docs=10_000, df=dict(SPEECH_DF), companions=companions)
    topic = ResolvedTopic(id="sotu", name="SOTU", threshold=0.5, references=SPEECH_REFS)
    refinements = derive_refinements(SPEECH_REFS, None, ground)
    return refinements, TopicScorer(topic, refinements=refinements)


def test_names_that_keep_each_other_company_are_no_subject_together() -> None:
    headline = "Biden and McCarthy to meet on the debt limit"
    summary = "President Biden invited Kevin McCarthy to the White House."
    plain, scorer = _speech_scorer({})
    assert scorer.score(headline, summary).score >= 0.5  # names together, by independence
    # In ordinary news a third of McCarthy's items name Biden: together they are everyday news.
    beside, scorer = _speech_scorer({"mccarthi": {"biden": 0.3}})
    biden = beside.group("entity:Biden")
    assert biden.given and all(w < biden.weight for _, w in biden.given)
    assert scorer.score(headline, summary).score < 0.5
    story = scorer.score("Biden's State of the Union speech heckled as McCarthy looks on", "")
    assert story.score >= 0.5


WAR_REFS = (
    Reference("w0.md", "# Russian troops leave occupied villages\n\nUkraine says Russia has pulled back."),
    Reference("w1.md", "# Occupied villages freed\n\nUkraine's army entered villages Russia held."),
)


def _war_scorer(discounted: bool) -> TopicScorer:
    """Two places of the topic and one subject word, weighed as a derived topic weighs them."""
    russia_beside = (("entity:Ukraine", 0.22),) if discounted else ()
    ukraine_beside = (("entity:Russia", 0.2),) if discounted else ()
    groups = (
        TermGroup("entity:Russia", "Russia", ("Russia", "Moscow"), weight=0.35, given=russia_beside),
        TermGroup("entity:Ukraine", "Ukraine", ("Ukraine", "Kyiv"), weight=0.32, given=ukraine_beside),
        TermGroup("concept:occupied", "occupied", ("occupied",), weight=0.58),
    )
    refinements = Refinements(
        groups=groups, require=(("entity:Russia", "entity:Ukraine"), ("concept:occupied",)),
        min_groups=(0.0, 1.0), pooled_decay=0.5, names_together=1.0,
        places=("entity:Russia", "entity:Ukraine"))
    topic = ResolvedTopic(id="war", name="War", threshold=0.5, references=WAR_REFS)
    return TopicScorer(topic, refinements=refinements)


def test_a_place_weighs_beside_every_other_name_it_keeps_company_with() -> None:
    headline = "Russia says Ukraine shelled an occupied town"
    # By independence, Russia + Ukraine + "occupied" is a full subject ...
    assert _war_scorer(discounted=False).score(headline, "").score >= 0.5
    # ... but the two places keep each other company in ordinary news: the word must do more.
    weak = _war_scorer(discounted=True).score(headline, "")
    assert weak.score < 0.5
    assert "weak evidence" in weak.explanation["summary"]


def test_two_protagonists_are_not_discounted_beside_each_other() -> None:
    """Zahawi and HMRC, named in every reference, meet in the story itself: ordinary news that
    names them together is the story, not a coincidence of two busy names."""
    companions = {"hmrc": {"zahawi": 0.3, "nadhim": 0.3}, "zahawi": {"hmrc": 0.3, "sunak": 0.3}}
    ground = Background(docs=10_000, df=dict(TAX_DF), companions=companions)
    refinements = derive_refinements(TAX_REFS, TAX_DESCRIPTION, ground)
    names = {g.label: g for g in refinements.groups if g.name.startswith("entity:")}
    assert {"Zahawi", "HMRC", "Sunak"} <= set(names)
    assert not names["HMRC"].given and not names["Zahawi"].given
    # Sunak, named in two references, is no protagonist: beside Zahawi he adds less.
    assert dict(names["Sunak"].given).get(names["Zahawi"].name, 1.0) < names["Sunak"].weight
