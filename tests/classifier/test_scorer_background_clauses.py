"""Background and inflection on real streams: a Polish text inflects the words the topic lists
once, "arm" is a verb only in context, a time frame only dates another event, and a relative
clause about a person tells who that person is.

Texts are our own, written in the style of the feeds where each class was seen.
"""

from __future__ import annotations

import pytest

from services.classifier.lexicon import Lexicon
from services.classifier.scorer import TopicScorer
from services.classifier.text import is_polish, tokenize

THRESHOLD = 0.5


def _groups(lexicon: Lexicon, text: str) -> dict[str, list[str]]:
    return {name: match.surfaces for name, match in lexicon.match(text, tokenize(text), len(text)).items()}


def test_a_polish_text_matches_other_inflections_of_a_listed_word() -> None:
    lexicon = Lexicon([("transfer", ["wysyła"]), ("tech", ["podwójnego zastosowania"])], polish=True)
    found = _groups(lexicon, "Chińskie firmy wysyłają sprzęt o podwójnym zastosowaniu")
    assert found == {"transfer": ["wysyłają"], "tech": ["podwójnym zastosowaniu"]}


def test_polish_inflection_is_off_for_english_texts_and_unless_asked() -> None:
    """One Polish word quoted in an English report does not make the report Polish."""
    english = Lexicon([("transfer", ["wysyła"])], polish=True)
    assert _groups(english, "The Polish daily's headline used the verb wysyłają") == {}
    plain = Lexicon([("transfer", ["wysyła"])])
    assert _groups(plain, "Chińskie firmy wysyłają części") == {}


def test_names_and_clipped_english_words_do_not_inflect() -> None:
    """The stemmer would make "Raisa" of "Raisi" and "mad" of "made": names are listed in
    their forms, and a term whose words it cuts short keeps its English match only."""
    lexicon = Lexicon([("iran", ["Raisi"]), ("origin", ["made in Iran"])], polish=True)
    found = _groups(lexicon, "Rosjanka Raisa żyje w strachu, mówi, że mad inna")
    assert found == {}


def test_polish_is_told_by_its_letters() -> None:
    assert is_polish("Chiny pomagają zbroić Rosję")
    assert not is_polish("Officials in Łódź said nothing")
    assert not is_polish("China helps arm Russia")


def test_china_helping_arm_russia_with_dual_use_goods_is_relevant_in_polish(axis_scorer: TopicScorer) -> None:
    result = axis_scorer.score(
        "Raport: Chiny pomagają zbroić Rosję",
        "Chińskie firmy wysyłają do Rosji podzespoły o podwójnym zastosowaniu, wynika z danych celnych.",
    )
    assert result.score >= THRESHOLD
    assert "zbroić" in result.explanation["subject"]


def test_helps_arm_is_the_verb_and_a_call_to_arms_is_not(axis_scorer: TopicScorer) -> None:
    armed = axis_scorer.score(
        "US says China helps arm Russia",
        "Officials say Beijing is quietly supplying dual-use goods to Moscow.",
    )
    assert armed.score >= THRESHOLD
    assert "helps arm" in armed.explanation["subject"]
    figure = axis_scorer.score("Kremlin issues a call to arms", "Putin and Xi urge their people to prepare.")
    assert figure.score < THRESHOLD


def test_a_summit_that_only_dates_a_missile_test_is_not_the_subject(axis_scorer: TopicScorer) -> None:
    result = axis_scorer.score(
        "North Korea test-fires ballistic missiles into the sea",
        "The launch came hours before Kim Jong Un's expected meeting with Vladimir Putin "
        "in Russia's Far East.",
    )
    assert result.score < THRESHOLD
    assert "which dates another event (a missile test)" in result.explanation["penalties"][0]


def test_the_same_in_a_polish_report(axis_scorer: TopicScorer) -> None:
    result = axis_scorer.score(
        "Korea Północna wystrzeliła rakiety balistyczne",
        "Do startu doszło na kilka godzin przed spotkaniem Kim Dzong Una z Władimirem Putinem.",
    )
    assert result.score < THRESHOLD
    assert "'przed spotkaniem Kim Dzong Una z Władimirem Putinem'" in result.explanation["summary"]


def test_a_summit_headline_dating_the_test_is_still_the_summit(axis_scorer: TopicScorer) -> None:
    result = axis_scorer.score(
        "Putin and Kim hold talks on weapons",
        "The talks came after North Korea test-fired missiles into the sea.",
    )
    assert result.score >= THRESHOLD


def test_a_supplier_only_in_who_someone_is_is_background(axis_scorer: TopicScorer) -> None:
    """An interview with a medic who once treated the wounded of an Iranian-drone attack is
    about the medic's plans, not about Iran's drones."""
    result = axis_scorer.score(
        "Ukrainian medic: I want to train nurses abroad",
        "A Ukrainian medic who treated soldiers wounded in an attack by Iranian drones has said she "
        "hopes to study in Poland before returning to Russia's front line.",
    )
    assert result.score < THRESHOLD
    assert "which tells who someone is: background" in result.explanation["summary"]


def test_a_supplier_in_a_clause_about_what_a_trader_shipped_is_the_subject(axis_scorer: TopicScorer) -> None:
    result = axis_scorer.score(
        "Treasury sanctions trader",
        "The Treasury sanctioned a trader who shipped Iranian drone parts to Russia, officials said.",
    )
    assert result.score >= THRESHOLD


def test_to_live_somewhere_is_no_live_blog(axis_scorer: TopicScorer) -> None:
    """"live" labels a live blog ("war live:", "– live"), not a soldier's wish to live abroad:
    the headline and the first summary sentence are one passage."""
    result = axis_scorer.score(
        "Captured North Korean soldier says he wants to live in Seoul",
        "The soldier, held by Ukraine since the fighting in Kursk, told a visiting South Korean MP "
        "he was ready to defect.",
    )
    assert result.score >= THRESHOLD


def test_the_general_assembly_names_no_general_and_nothing_assembled(axis_scorer: TopicScorer) -> None:
    result = axis_scorer.score(
        "China and Brazil host a peace group on Ukraine",
        "Envoys met on the sidelines of the UN General Assembly, where the group's launch was announced.",
    )
    assert result.score < THRESHOLD
    assert "troops" not in " ".join(result.explanation["evidence"])


def test_whose_clause_set_off_by_commas_is_background_too(axis_scorer: TopicScorer) -> None:
    result = axis_scorer.score(
        "Zelensky: we will not negotiate with Putin",
        "The Ukrainian president, whose cities have been hit by Iranian drones, told a summit in Bali "
        "that Russia must withdraw.",
    )
    assert result.score < THRESHOLD
    assert "'whose cities have been hit by Iranian drones'" in result.explanation["summary"]


def test_polish_words_for_troops_pacts_and_sanctions_inflect(axis_scorer: TopicScorer) -> None:
    """One form each is listed ("żołnierze", "traktat", "sankcje"); the reports use others."""
    troops = axis_scorer.score(
        "Korea Północna wysłała żołnierzy do Rosji",
        "Według wywiadu Korei Południowej tysiące żołnierzy trafi na front.",
    )
    assert troops.score >= THRESHOLD
    assert "żołnierzy" in troops.explanation["subject"]
    pact = axis_scorer.score(
        "Iran i Rosja podpisały traktat o strategicznym partnerstwie",
        "Prezydenci obu krajów podpisali dokument na Kremlu.",
    )
    assert pact.score >= THRESHOLD
    sanctions = axis_scorer.score(
        "USA nałożyły sankcje na chińskie firmy",
        "Firmy miały dostarczać Rosji komponenty do dronów.",
    )
    assert sanctions.score >= THRESHOLD


def test_engines_are_no_engineers_and_engineers_no_engines(axis_scorer: TopicScorer) -> None:
    """One stem, two senses: the parts and the people are told apart by the written form."""
    engines = axis_scorer.score(
        "Russia buys Chinese drone engines",
        "Customs records show the engines were shipped through Kazakhstan.",
    )
    assert engines.score >= THRESHOLD
    assert "troops" not in " ".join(engines.explanation["evidence"])
    space = axis_scorer.score(
        "Iran and Russia agree to train engineers for civilian space programme",
        "The space agencies will cooperate on remote-sensing satellites.",
    )
    assert space.score < THRESHOLD
    assert "technology" not in " ".join(space.explanation["evidence"])


def test_another_sense_starting_at_a_topic_word_takes_its_words() -> None:
    lexicon = Lexicon([("weapons", ["satellite", "satellites"]), ("senses", ["satellite state"])],
                      senses=["senses"])
    assert _groups(lexicon, "Is Moscow a satellite state?") == {"senses": ["satellite state"]}
    assert _groups(lexicon, "North Korea wants a spy satellite") == {"weapons": ["satellite"]}


@pytest.mark.parametrize(
    ("title", "summary"),
    [
        ("China-Russia trade rockets to record high", "Trade between them rocketed as Moscow turned east."),
        ("The optics of Xi's visit to Moscow", "For Beijing the optics of meeting Putin matter most."),
        ("Russia becomes China's bargaining chip", "Beijing uses its ties with Moscow as a bargaining chip."),
        ("Putin's jet lands in Tehran for talks", "The Russian leader met Iran's president."),
        ("Is Russia becoming China's satellite state?", "Some say Moscow is Beijing's junior partner."),
        ("Iran expands ties with Russia under the radar", "Tehran and Moscow signed trade agreements."),
    ],
)
def test_figures_of_speech_name_no_weapon_or_part(axis_scorer: TopicScorer, title: str, summary: str) -> None:
    result = axis_scorer.score(title, summary)
    assert result.score < THRESHOLD
    evidence = " ".join(result.explanation["evidence"])
    assert "weapons" not in evidence and "technology" not in evidence


@pytest.mark.parametrize(
    ("title", "summary"),
    [
        ("China's top diplomat Wang Yi meets Putin in Moscow",
         "Xi's senior foreign policy adviser held talks with the Russian president."),
        ("Xi sends top specialists to Moscow for economic talks",
         "Chinese economists and specialists will discuss the economy with Russian counterparts."),
        ("Putin praises China under the guidance of Xi", "Beijing's leaders offer guidance to the world."),
        ("Iran hails explosive growth in ties with Russia", "Tehran says its bond with Moscow has grown."),
    ],
)
def test_everyday_senses_of_personnel_and_parts_words(
    axis_scorer: TopicScorer, title: str, summary: str
) -> None:
    assert axis_scorer.score(title, summary).score < THRESHOLD


def test_personnel_beside_a_weapon_are_military_personnel(axis_scorer: TopicScorer) -> None:
    result = axis_scorer.score(
        "Iran sent technicians to Crimea, US says",
        "The technicians are helping Russian forces launch the drones at Ukrainian cities.",
    )
    assert result.score >= THRESHOLD
    assert "troops and personnel (technicians)" in result.explanation["subject"]


def test_the_leaders_named_by_their_titles_meet(axis_scorer: TopicScorer) -> None:
    english = axis_scorer.score(
        "North Korean leader arrives for talks",
        "The North Korean leader met the Russian president at a spaceport.",
    )
    assert english.score >= THRESHOLD
    polish = axis_scorer.score(
        "Komentarz: Moskwa i Pjongjang coraz bliżej",
        "Spotykając się z północnokoreańskim dyktatorem, gospodarz Kremla wysyła sygnał Zachodowi.",
    )
    assert polish.score >= THRESHOLD
    assert "a Kim-Putin summit" in polish.explanation["subject"]


def test_a_body_language_reading_of_the_summit_is_colour(axis_scorer: TopicScorer) -> None:
    result = axis_scorer.score(
        "Ekspert o uścisku dłoni Putina i Kim Dzong Una",
        "Putin spotkał się z przywódcą Korei Północnej. Psycholog behawioralny ocenia ich mowę ciała.",
    )
    assert result.score < THRESHOLD


@pytest.mark.parametrize(
    ("title", "summary"),
    [
        ("EU sanctions Iran's morality police over crackdown",
         "Iran, which has also supplied Russia with drones, condemned the move."),
        ("Iran's football team arrives in Qatar",
         "Iran, which has supplied drones to Russia for its war in Ukraine, faces calls to be banned."),
    ],
)
def test_the_subject_only_in_an_aside_of_another_story_is_background(
    axis_scorer: TopicScorer, title: str, summary: str
) -> None:
    result = axis_scorer.score(title, summary)
    assert result.score < THRESHOLD
    assert "an aside: background" in result.explanation["summary"]


def test_an_aside_beside_the_news_itself_is_not_background(axis_scorer: TopicScorer) -> None:
    """No other story in the headline: the aside is the news ("Zelensky: Iran must answer")."""
    result = axis_scorer.score(
        "Zelensky calls for Iran's expulsion from the UN",
        "Iran, which has supplied Russia with hundreds of drones, must answer for the attacks, he said.",
    )
    assert result.score >= THRESHOLD


def test_the_personal_plural_of_a_polish_adjective_names_the_country(axis_scorer: TopicScorer) -> None:
    """"irańscy" (Iranian, of people) stems apart from "irańskie": it is listed too."""
    result = axis_scorer.score(
        "Irańscy instruktorzy na Krymie", "Pomagają Rosjanom obsługiwać drony, twierdzi wywiad."
    )
    assert result.score >= THRESHOLD
