"""Error classes seen on real streams: weak evidence alone, digests, word sense, third parties.

Texts are our own, written in the style of the feeds where each class was seen.
"""

from __future__ import annotations

from services.classifier.scorer import TopicScorer

THRESHOLD = 0.5


def test_weak_subject_never_alerts_even_with_a_headline_and_a_close_reference(
    axis_scorer: TopicScorer,
) -> None:
    result = axis_scorer.score(
        "Xi meets Putin in Moscow as China and Russia hail ties",
        "The two leaders held talks on their partnership and signed an agreement on cooperation.",
    )
    assert result.score < THRESHOLD
    assert any("weak evidence alone never alerts" in p for p in result.explanation["penalties"])


def test_a_signed_treaty_between_the_capitals_is_the_pact_itself(axis_scorer: TopicScorer) -> None:
    assert axis_scorer.score("Kim ratifies strategic partnership treaty with Russia", "").score >= THRESHOLD


def test_live_blog_does_not_join_its_stories(axis_scorer: TopicScorer) -> None:
    title = "Ukraine war live: Russian cruise missiles destroyed in Crimea; Xi and Putin to hold talks"
    summary = (
        "An explosion destroyed missiles carried on a train in Dzhankoi; Xi's visit to Moscow "
        "enters its second day. Chinese media praised the relationship."
    )
    assert axis_scorer.score(title, summary).score < THRESHOLD


def test_a_newsletter_that_mentions_the_actors_deep_down_is_not_about_them(
    axis_scorer: TopicScorer,
) -> None:
    filler = " ".join(f"Council item {i} was approved after a long debate." for i in range(6))
    summary = f"Good morning. {filler} Xi told Putin that Russia and China share goals on weapons control."
    result = axis_scorer.score("State limits care for minors | Morning briefing", summary)
    assert result.score < THRESHOLD


def test_figures_of_speech_are_not_weapons(axis_scorer: TopicScorer) -> None:
    boost = axis_scorer.score("Xi's trip to Moscow is a shot in the arm for Putin", "China backs Russia.")
    idiom = axis_scorer.score("War pushed China into the arms of Russia, host says", "")
    assert boost.score < THRESHOLD and idiom.score < THRESHOLD
    assert axis_scorer.score("China sends arms to Russia, US says", "").score >= THRESHOLD


def test_war_words_alone_name_the_war_not_a_supplier(axis_scorer: TopicScorer) -> None:
    plain = axis_scorer.score(
        "Challenges for Russia and China test their friendship",
        "Russia's battlefield losses and China's slowdown could complicate the relationship.",
    )
    troops = axis_scorer.score("North Korean troops deployed to the front line for Russia", "")
    assert plain.score < THRESHOLD and troops.score >= THRESHOLD


def test_western_arms_for_ukraine_are_another_story(axis_scorer: TopicScorer) -> None:
    result = axis_scorer.score(
        "Putin says Russia will respond if UK supplies depleted uranium shells to Ukraine",
        "Putin spoke as Xi Jinping visited Moscow; Britain says it supplies shells to Ukraine.",
    )
    assert result.score < THRESHOLD
    denied = axis_scorer.score("Iran dismisses US claim it sent ballistic missiles to Russia", "")
    assert denied.score >= THRESHOLD


def test_diplomatic_backing_is_not_a_transfer(axis_scorer: TopicScorer) -> None:
    result = axis_scorer.score(
        "US says China's diplomatic cover props up Russia's war effort",
        "Officials said Beijing's political support had helped Moscow at the UN.",
    )
    assert result.score < THRESHOLD
    material = axis_scorer.score("US accuses China of sending drone parts to Russia's war effort", "")
    assert material.score >= THRESHOLD
