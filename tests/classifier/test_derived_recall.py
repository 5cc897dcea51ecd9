"""Derived topics find the story where the references' own spelling misses it: the same word
family ("verification" beside "verified"), a compound written in one word or two ("half-time",
"checkmarks"), and two-word phrases the user wrote ("check mark") whose words alone are
everyday news."""

from __future__ import annotations

from services.classifier.background import Background
from services.classifier.salience import derive_refinements
from services.classifier.scorer import TopicScorer
from shared.topics import Reference, Refinements, ResolvedTopic

TWITTER_REFS = tuple(
    Reference(f"r{i}.md", text)
    for i, text in enumerate([
        "Twitter starts charging $8 a month for verified accounts, Elon Musk says, as advertisers "
        "pause their spending on Twitter.",
        "Fake verified accounts impersonating brands spread on Twitter after Elon Musk launched "
        "the paid badge; advertisers took fright.",
        "Elon Musk warns Twitter staff that bankruptcy is possible as advertisers flee and "
        "verified users complain.",
        "Twitter suspends new verified sign-ups after a wave of fake accounts, Elon Musk said.",
    ])
)
DESCRIPTION = ("Twitter under Elon Musk: the paid check mark and the fake verified accounts, "
               "advertisers leaving, bankruptcy warnings and the staff who are left.")
# Ordinary news per 64,000 items (the shipped table's size and, for these terms, its counts):
# "check" and "mark" are everyday words, the phrase is rare;
# "verification" (stem "verif") and "bankrupt" are written there too.
ORDINARY_DF = {"twitter": 1100.0, "elon musk": 340.0, "elon": 350.0, "musk": 420.0,
               "verifi": 56.0, "verif": 30.0, "fake": 970.0, "account": 1500.0, "advertis": 280.0,
               "bankruptci": 35.0, "bankrupt": 11.0, "check": 950.0, "mark": 1400.0,
               "check mark": 0.9, "checkmark": 2.0, "staff": 1100.0, "left": 1300.0,
               "staff left": 3.0, "paid": 900.0, "user": 1000.0, "spend": 800.0}


def _ground() -> Background:
    return Background(docs=64_000, df=dict(ORDINARY_DF))


def _scorer(refinements: Refinements) -> TopicScorer:
    """A scorer whose lexicon is compiled from the given derived refinements."""
    topic = ResolvedTopic(id="twitter", name="Twitter", threshold=0.5, references=TWITTER_REFS,
                          description=DESCRIPTION)
    return TopicScorer(topic, refinements=refinements)


def _concept(refinements: Refinements, label: str) -> tuple[str, ...]:
    return next(g.terms for g in refinements.groups if g.name == f"concept:{label}")


def test_a_subject_word_matches_its_family_and_its_compound_spellings() -> None:
    refinements = derive_refinements(TWITTER_REFS, DESCRIPTION, _ground())
    assert "verif" in _concept(refinements, "verified")  # "verification"
    assert "bankrupt" in _concept(refinements, "bankruptcy")
    assert "checkmark" in _concept(refinements, "check mark")
    scorer = _scorer(refinements)
    paid = scorer.score("Twitter halts paid verification after impostors pose as brands",
                        "Twitter paused its $8 verification on Friday, Elon Musk said.")
    assert paid.score >= 0.5, paid.explanation["summary"]
    assert "verification" in " ".join(paid.explanation["evidence"])
    broke = scorer.score("Musk tells Twitter staff the company could go bankrupt", "")
    assert "bankrupt" in " ".join(broke.explanation["evidence"])


def test_a_variant_ordinary_news_never_writes_is_not_added() -> None:
    ground = Background(docs=64_000, df={k: v for k, v in ORDINARY_DF.items() if k != "verif"})
    refinements = derive_refinements(TWITTER_REFS, DESCRIPTION, ground)
    assert _concept(refinements, "verified") == ("verified",)


def test_the_description_adds_rare_phrases_of_common_words_only_as_written() -> None:
    refinements = derive_refinements(TWITTER_REFS, DESCRIPTION, _ground())
    subject = {refinements.group(g).label for g in refinements.require[-1]}
    assert "check mark" in subject
    # "the staff who are left": no phrase across the stop words, however rare "staff left" is
    assert "staff left" not in subject
    assert not {"check", "mark"} & subject  # everyday words alone are no subject terms
    scorer = _scorer(refinements)
    marked = scorer.score("Twitter brings back the blue checkmark for celebrities", "")
    assert marked.score >= 0.5, marked.explanation["summary"]
    other = scorer.score("Stocks mark a check on the rally", "Markets paused on Friday.")
    assert other.score < 0.5


DOCS_REFS = tuple(
    Reference(f"d{i}.md", text)
    for i, text in enumerate([
        "The White House said more classified documents were found at Biden's Delaware home, "
        "and the FBI searched the house in Wilmington.",
        "The FBI searched Biden's Wilmington home for classified documents for 13 hours, the "
        "White House counsel said.",
        "Republicans asked the White House for the visitor logs of the Delaware home where "
        "classified documents were kept.",
        "The Justice Department named a special counsel after classified documents turned up "
        "at the Delaware home; the FBI is investigating.",
    ])
)
DOCS_DESCRIPTION = ("The classified documents affair: papers found at President Biden's Delaware "
                    "home and at Mike Pence's home in Indiana, and the FBI searches.")
DOCS_DF = {"white hous": 900.0, "fbi": 400.0, "delawar": 110.0, "wilmington": 20.0,
           "classifi": 135.0, "classifi document": 50.0, "document": 700.0, "biden": 1900.0,
           "mike": 1200.0, "penc": 40.0, "mike penc": 30.0, "indiana": 200.0, "home": 3000.0,
           "magic": 300.0, "magic mike": 2.0, "review": 900.0, "visitor": 84.0, "log": 300.0,
           "search": 1300.0, "counsel": 60.0, "paper": 1000.0}


def _docs_scorer() -> TopicScorer:
    topic = ResolvedTopic(id="docs", name="Classified documents", threshold=0.5,
                          references=DOCS_REFS, description=DOCS_DESCRIPTION)
    return TopicScorer(topic, derive_refinements(DOCS_REFS, DOCS_DESCRIPTION,
                                                 Background(docs=64_000, df=dict(DOCS_DF))))


def test_names_the_subject_holds_stand_for_the_actors_in_a_text_naming_no_other() -> None:
    scorer = _docs_scorer()
    actors = {scorer.refinements.group(g).label for g in scorer.refinements.actor_names}
    assert "pence" in actors and "classified documents" not in actors
    assert "indiana" not in actors  # a place is where, not who
    found = scorer.score("Classified documents found at Mike Pence's home",
                         "Lawyers for the former vice president found about a dozen papers.")
    assert found.score >= 0.5, found.explanation["summary"]
    assert "mike pence" in found.explanation["summary"].lower()


def test_names_alone_or_a_first_name_never_make_a_match() -> None:
    scorer = _docs_scorer()
    campaign = scorer.score("Mike Pence campaigns in Indiana", "The former vice president spoke.")
    assert campaign.score < 0.5
    film = scorer.score("'Magic Mike's Last Dance' review: the documents of a dance career", "")
    assert film.score < 0.5, film.explanation["summary"]


BOWL_REFS = tuple(
    Reference(f"b{i}.md", text)
    for i, text in enumerate([
        "Super Bowl LVII: the Kansas City Chiefs face the Philadelphia Eagles in Glendale.",
        "How much a 30-second Super Bowl ad costs this year, and which brands bought one.",
        "Andy Reid says the Chiefs are ready for the Eagles in Super Bowl 57.",
        "Rihanna will headline the Super Bowl halftime show, the NFL said.",
        "Bettors expect a record for Super Bowl LVII, with the Chiefs slight favourites.",
    ])
)
BOWL_DESCRIPTION = ("Super Bowl LVII between the Chiefs and the Eagles: previews, the halftime "
                    "show and the commercials. I don't want recipes for Super Bowl parties.")
BOWL_DF = {"super bowl": 70.0, "super": 400.0, "bowl": 120.0, "chief": 600.0, "eagl": 200.0,
           "kansa citi": 90.0, "philadelphia": 300.0, "glendal": 5.0, "nfl": 260.0,
           "rihanna": 20.0, "halftim": 4.0, "commerci": 300.0, "recip": 400.0, "parti": 1200.0,
           "bowl parti": 3.0, "ad": 1500.0, "record": 1500.0, "andi reid": 10.0}


def _bowl_scorer() -> TopicScorer:
    topic = ResolvedTopic(id="bowl", name="Super Bowl", threshold=0.5, references=BOWL_REFS,
                          description=BOWL_DESCRIPTION)
    return TopicScorer(topic, derive_refinements(BOWL_REFS, BOWL_DESCRIPTION,
                                                 Background(docs=64_000, df=dict(BOWL_DF))))


def test_a_numbered_event_is_the_subject_in_a_headline() -> None:
    scorer = _bowl_scorer()
    events = [scorer.refinements.group(g).label for g in scorer.refinements.event_names]
    assert events == ["Super Bowl"]
    assert scorer.refinements.event_names == scorer.refinements.subject_names
    flyover = scorer.score("All-women team to perform flyover at Super Bowl LVII", "")
    assert flyover.score >= 0.5, flyover.explanation["summary"]
    aside = scorer.score("Final Fantasy 16 will be a PS5 exclusive for six months",
                         "Sony also plans a trailer during the Super Bowl.")
    assert aside.score < 0.5, aside.explanation["summary"]


def test_an_excluded_phrase_counts_though_a_name_took_one_of_its_words() -> None:
    scorer = _bowl_scorer()
    party = scorer.score("How to throw an unforgettable Super Bowl party", "")
    assert party.score < 0.5, party.explanation["summary"]
    assert "penalty" in party.explanation["components"]


def test_a_phrase_most_references_use_names_the_story_in_a_headline() -> None:
    scorer = _docs_scorer()
    labels = {scorer.refinements.group(g).label for g in scorer.refinements.subject_names}
    assert labels == {"classified documents"}
    debate = scorer.score("America's system for handling classified documents is broken",
                          "Lawmakers and former officials say the rules need an overhaul.")
    assert debate.score >= 0.5, debate.explanation["summary"]
    aside = scorer.score("Senators spar over the debt ceiling",
                         "They also touched on the classified documents and the border.")
    assert aside.score < 0.5, aside.explanation["summary"]


def test_a_numbered_event_rare_enough_for_a_subject_name_counts_anywhere() -> None:
    rarer = dict(BOWL_DF, **{"super bowl": 30.0})
    refinements = derive_refinements(BOWL_REFS, BOWL_DESCRIPTION, Background(docs=64_000, df=rarer))
    assert refinements.subject_names == ("entity:Super Bowl",)
    assert refinements.event_names == ()  # not only in headlines


def test_a_phrase_the_description_refuses_in_others_names_no_story() -> None:
    refused = DOCS_DESCRIPTION + " Not other classified documents stories."
    refinements = derive_refinements(DOCS_REFS, refused, Background(docs=64_000, df=dict(DOCS_DF)))
    assert "concept:classified documents" not in refinements.subject_names


def test_an_event_name_in_the_summary_only_joins_no_names_together() -> None:
    scorer = _bowl_scorer()
    other_game = scorer.score("NFC Championship: how to watch the 49ers against the Eagles",
                              "The Eagles host the 49ers, with a trip to Super Bowl LVII on the line.")
    assert other_game.score < 0.5, other_game.explanation["summary"]
    assert "names together" not in other_game.explanation.get("subject", "")
    preview = scorer.score("Super Bowl LVII preview: the Eagles against the Chiefs",
                           "Philadelphia is a slight favourite in Glendale.")
    assert preview.score >= 0.5, preview.explanation["summary"]
    assert "Super Bowl (a name that is the subject itself)" in preview.explanation["summary"]


def test_the_explanation_never_credits_an_event_name_that_did_not_count() -> None:
    scorer = _bowl_scorer()
    summary_only = scorer.score("Andy Reid and the Chiefs land in Arizona",
                                "The Chiefs face the Eagles in Super Bowl LVII in Glendale.")
    assert "a name that is the subject itself" not in summary_only.explanation.get("subject", "")


def test_a_hyphenated_name_of_the_description_is_one_subject_term() -> None:
    described = DOCS_DESCRIPTION + " And how they compare with Trump's Mar-a-Lago case."
    df = dict(DOCS_DF, **{"mar": 30.0, "lago": 25.0, "mar lago": 20.0, "trump": 2500.0,
                          "wed": 400.0, "lash": 90.0})
    topic = ResolvedTopic(id="docs", name="Classified documents", threshold=0.5,
                          references=DOCS_REFS, description=described)
    scorer = TopicScorer(topic, derive_refinements(DOCS_REFS, described,
                                                   Background(docs=64_000, df=df)))
    labels = {g.label for g in scorer.refinements.groups}
    assert "Mar-a-Lago" in labels and not {"mar", "lago"} & labels
    wedding = scorer.score("Tiffany Trump's wedding at Mar-a-Lago draws the family",
                           "Guests arrived at Mar-a-Lago in Palm Beach on Saturday.")
    assert wedding.score < 0.5, wedding.explanation["summary"]
    found = scorer.score("FBI finds classified documents at Mar-a-Lago",
                         "Agents searched Trump's Mar-a-Lago estate.")
    assert found.score >= 0.5, found.explanation["summary"]


CUTS_REFS = tuple(
    Reference(f"c{i}.md", text)
    for i, text in enumerate([
        "# Quillo cuts jobs\n\nThe firm Quillo will lay off 900 employees, most of them in its "
        "headset division.",
        "# Layoffs at Quillo\n\nStaff at Quillo learnt of the layoffs by email.",
        "# Quillo layoffs hit headset teams\n\nThe teams that build headsets lose a third of "
        "their employees, Quillo said.",
    ])
)
CUTS_DESCRIPTION = "Quillo's layoffs and the teams they hit (headsets, Reality Labs)."
CUTS_DF = {"quillo": 40.0, "realiti": 250.0, "lab": 300.0, "layoff": 160.0,
           "lay": 190.0, "employe": 440.0, "headset": 60.0, "team": 2000.0, "staff": 1100.0,
           "email": 400.0, "divis": 300.0, "unit": 900.0, "job": 1500.0, "cut": 870.0,
           "virtual": 300.0, "virtual realiti": 90.0, "hit": 3000.0}


def test_a_subject_name_stands_for_the_actors_only_where_it_is_written_as_a_name() -> None:
    """The references' "Reality Labs" is the firm's division: a text that names it (and no
    firm) may be about the story; one that writes "virtual reality" is about anyone's."""
    scorer = TopicScorer(
        ResolvedTopic(id="cuts", name="Quillo layoffs", threshold=0.5, references=CUTS_REFS,
                      description=CUTS_DESCRIPTION),
        derive_refinements(CUTS_REFS, CUTS_DESCRIPTION, Background(docs=64_000, df=dict(CUTS_DF))))
    actors = {scorer.refinements.group(g).label.lower() for g in scorer.refinements.actor_names}
    assert "reality" in actors
    division = scorer.score("Reality Labs to lay off 900 employees, cuts headset teams", "")
    rival = scorer.score("Rival announces layoffs of 900 employees in virtual reality headset teams", "")
    assert division.score >= 0.5, division.explanation["summary"]
    assert "subject: headset" in division.explanation["summary"]
    assert rival.score < 0.5, rival.explanation["summary"]
