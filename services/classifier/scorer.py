"""Score an article against a topic, with an explanation an analyst can read at a glance.

The model is lexical and structural, because a news topic like "arms for Russia from Iran,
North Korea and China" is defined by *who* does *what* to *whom*, which bag-of-words
similarity alone cannot see (an Iran-Israel drone story looks very similar to an Iran-Russia
drone story). Each topic has term groups; ``require`` clauses must all be matched (one group
per clause is enough), support groups add evidence, penalty groups subtract it, and TF-IDF
similarity to the nearest reference passage adds a graded signal. The sum is a log-odds
``z``; the score is ``sigmoid(z)``.

Calibration: ``z = 0`` (score 0.5) means "every required clause matched with the minimum of
evidence". The same constants apply to every topic, and topics without refinements derive
their groups from their references (``services.classifier.salience``) into the same shape,
so a threshold of 0.5 means the same thing everywhere.
"""

from __future__ import annotations

import bisect
import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from services.classifier.boilerplate import without_shared_boilerplate
from services.classifier.epithets import epithet_span, name_stems
from services.classifier.lexicon import GroupMatch, Lexicon
from services.classifier.names import lowercase_stems
from services.classifier.salience import derive_refinements
from services.classifier.similarity import PassageHit, PassageIndex
from services.classifier.text import (
    Token,
    aside_clauses,
    clause_starts,
    headline_main_end,
    is_digest,
    passages,
    plain_text,
    segment_starts,
    time_frames,
    tokenize,
    who_clauses,
)
from shared.topics import Refinements, ResolvedTopic, TermGroup

log = logging.getLogger(__name__)

# Log-odds contributions (named here, the only place they are set).
ALL_CLAUSES_Z = 0.8  # every required clause matched, minimal evidence
MISSING_CLAUSE_Z = 2.4  # subtracted per unmatched required clause
WEAK_CLAUSE_Z = 1.1  # subtracted per clause matched only through a weak group
MISSING_CLAUSE_CAP = -1.0  # a text missing a clause never scores above sigmoid(-1) = 0.27
DEPTH_WEIGHT = 0.45  # per extra matched group (beyond one per clause), up to DEPTH_CAP
DEPTH_CAP = 3
TITLE_WEIGHT = 0.4  # the headline itself names the clauses' subjects
SIMILARITY_WEIGHT = 5.0  # per unit of cosine above SIMILARITY_PIVOT
SIMILARITY_PIVOT = 0.12
SIMILARITY_CAP = 0.45
PENALTY_WEIGHT = 0.9  # per distinct off-topic term, up to PENALTY_CAP
PENALTY_CAP = 2
PROXIMITY_WINDOW = 60  # words: the required clauses should meet within one paragraph or so
PROXIMITY_Z = 1.6  # subtracted when they only meet across a longer stretch of text
# The last require clause names the subject (what happens); when its only evidence is weak
# ("summit", "ties", "visits") the text never reaches the topic's threshold, whatever the
# headline or the similarity add: on real streams every such alert was false.
WEAK_SUBJECT_MARGIN = 0.4  # the cap sits this far (log-odds) below the threshold
# The clauses must meet within a couple of sentences (a headline is one sentence): a digest,
# a live blog or a long article that names the actors in one story and the subject in another
# is not about them. Evidence met only beyond the lead of a long text is a passing mention.
SEGMENT_WINDOW = 2  # consecutive sentences
LEAD_SEGMENTS = 3  # summary sentences after the headline
SCATTERED_Z = 2.0  # subtracted when no such window exists
# Derived topics: a headline naming the subject only inside a time frame ("... after the
# tanks pledge"), beside what the description excludes, is about something else.
_FRAMING_CUE = re.compile(r"\b(?:after|following|before|in\s+the\s+wake\s+of)\b", re.IGNORECASE)
FRAMED_Z = 4.0
ACTORLESS_WEIGHT = 1.6  # pooled subject weight (1 = a full subject) that needs no actor
NO_REFINEMENT_Z = -4.0  # a topic with neither refinements nor references scores ~0
PASSAGE_QUOTE_CHARS = 300
CLAUSE_LABEL_GROUPS = 3  # a missing clause is named by this many of its groups
TEXT_MAX_CHARS = 20_000  # long bodies add no evidence but cost time


@dataclass(frozen=True)
class Score:
    topic_id: str
    score: float
    explanation: dict[str, Any]


@dataclass(frozen=True)
class _Passage:
    source: str
    text: str


class TopicScorer:
    """Scores texts against one topic; build once per topic (fitting costs milliseconds)."""

    def __init__(self, topic: ResolvedTopic, refinements: Refinements | None = None) -> None:
        # An outlet's standfirst that the references repeat is no evidence of the story.
        topic = replace(topic, references=without_shared_boilerplate(topic.references))
        self.topic = topic
        self._passages = [
            _Passage(ref.source, passage)
            for ref in topic.references
            for passage in passages(ref.text)
        ]
        if topic.description:
            self._passages.append(_Passage("description", topic.description))
        self._index = PassageIndex([p.text for p in self._passages])
        self.derived = topic.refinements.empty
        self.refinements: Refinements = (
            refinements if refinements is not None
            else derive_refinements(topic.references, topic.description) if self.derived
            else topic.refinements
        )
        # The same topic read with its subject's names as actors, for texts naming no actor.
        self._names_as_actors = _names_as_actors(topic, self.refinements) if self.derived else None
        groups = self.refinements.groups
        # A refined topic lists Polish terms for the Polish feeds: their other inflections
        # match through the Polish stemmer. Derived topics' terms come from English references.
        # A derived topic's excluded phrases are matched on their own: "Super Bowl parties" is
        # an excluded "bowl parties" though the name "Super Bowl" took the word "bowl".
        apart = set(self.refinements.penalize) if self.derived else set()
        self._lexicon = Lexicon(((g.name, g.terms) for g in groups if g.name not in apart),
                                polish=not self.derived, senses=_sense_groups(self.refinements),
                                exclusive=self.derived, names=self.refinements.names,
                                ordinary=lowercase_stems(
                                    [ref.text for ref in topic.references] + [topic.description or ""])
                                if self.refinements.names else (),
                                capitalised=self.refinements.capitalised)
        self._apart = Lexicon((g.name, g.terms) for g in groups if g.name in apart) if apart else None
        self._labels = {g.name: g.label for g in groups}
        self._weights = {
            g.name: min(g.weight * topic.learned_weights.get(g.name, 1.0), max(g.weight, 1.0))
            for g in groups
        }
        self._given = {g.name: g.given for g in groups if g.given}
        self._outside_headline = {g.name: g.outside_headline for g in groups if g.outside_headline < 1.0}
        # Derived topics: the actors' names and the names that are the subject, read apart
        # where written as an epithet ("Grammy-winning producer").
        actors = self.refinements.require[0] if self.refinements.require else ()
        named = {*self.refinements.subject_names, *actors}
        self._epithet_names = {
            g.name: name_stems(g.terms) for g in groups if self.derived and g.name in named
        }
        self._evidence_groups = [n for clause in self.refinements.require for n in clause]
        self._evidence_groups += [n for n in self.refinements.support if n not in self._evidence_groups]
        self._conditional = [g for g in groups if g.counts_as or g.only_with or g.near]
        self._contexts = [g for g in groups if g.explains]
        log.debug(
            "topic %s: %d passages, %d groups (%s)",
            topic.id,
            len(self._passages),
            len(groups),
            "derived from references" if self.derived else "refined",
        )

    def evidence_groups(self, title: str, summary: str) -> list[str]:
        """The evidence groups a text matches (what feedback learning weighs)."""
        title_text = plain_text(title or "")[:TEXT_MAX_CHARS]
        summary_text = plain_text(summary or "")[:TEXT_MAX_CHARS]
        text = f"{title_text} \n {summary_text}" if summary_text else title_text
        tokens = tokenize(text)
        raw = self._match(text, tokens, len(title_text))
        self._drop_epithets(raw, tokens, text, len(title_text))
        matches = _resolve_aliases(raw, self._conditional, tokens, text, len(title_text))
        return [g for g in self._evidence_groups if g in matches]

    def _match(self, text: str, tokens: Sequence[Token], title_end: int) -> dict[str, GroupMatch]:
        found = self._lexicon.match(text, tokens, title_end)
        if self._apart is not None:
            found.update(self._apart.match(text, tokens, title_end))
        return found

    def score(self, title: str, summary: str) -> Score:
        title_text = plain_text(title or "")[:TEXT_MAX_CHARS]
        summary_text = plain_text(summary or "")[:TEXT_MAX_CHARS]
        text = f"{title_text} \n {summary_text}" if summary_text else title_text
        tokens = tokenize(text)
        raw = self._match(text, tokens, len(title_text))
        epithets = self._drop_epithets(raw, tokens, text, len(title_text))
        uncued = [
            (g.name, raw[g.name].surfaces) for g in self._conditional if g.name in raw and not g.counts_as
        ]
        matches = _resolve_aliases(raw, self._conditional, tokens, text, len(title_text))
        # A word waiting for company it lacks; for a `near` group, only when the company is
        # there but too far or in another clause ("Kim's sister seen ahead of meeting Putin").
        uncued = [
            (name, said) for name, said in uncued
            if name not in matches
            and all(g in matches for g in self.refinements.group(name).near)
        ]
        hit = self._index.best(text)
        similarity = hit.similarity if hit else 0.0

        penalty_terms = [s for g in self.refinements.penalize if g in matches for s in matches[g].surfaces]
        context_terms = [s for g in self.refinements.contexts if g in matches for s in matches[g].surfaces]
        missing = [c for c in self.refinements.require if not any(g in matches for g in c)]
        # A name rare enough in ordinary news to be the subject itself ("Tyre Nichols").
        named = [g for g in self.refinements.subject_names if g in matches
                 and (matches[g].in_title or g not in self.refinements.event_names)]
        if not named and self.refinements.require and self.refinements.require[-1] in missing:
            # Two of the story's names together ("Adani", "Hindenburg") carry the subject.
            named = list(self._names_together(matches))
        if named and self.refinements.require[-1] in missing:
            missing.remove(self.refinements.require[-1])
        # Derived topics: a subject this unusual in ordinary news on its own ("spy balloon",
        # "unidentified objects ... airspace") needs no actor named beside it.
        # ... and so does a phrase naming the story in the headline ("classified documents").
        story = missing == [self.refinements.require[0]] and any(
            g in self.refinements.require[-1] for g in named)
        actorless = story or self._actorless(missing, matches)
        if actorless:
            missing.remove(self.refinements.require[0])
        # Hardware named beside a drill or a parade is the event's own, not hardware changing
        # hands: a context that "explains" a group makes its evidence weak for this text.
        weak = set(self.refinements.weak).union(
            *(
                g.explains
                for g in self._contexts
                if g.name in matches and not any(u in matches for u in g.unless)
            )
        )
        dated = self._dated_subject(matches, tokens, text, len(title_text), weak)
        weak |= {name for name, _ in dated}
        weakly = [
            c
            for index, c in enumerate(self.refinements.require)
            if c not in missing and not (named and index == len(self.refinements.require) - 1)
            and not (story and index == 0)
            and (
                all(g in weak for g in c if g in matches)
                or self._evidence_weight(index, matches) < self.refinements.clause_minimum(index) - 1e-9
                or self._only_unlearned(index, c, matches)
            )
        ]
        # Weak evidence ("summit", "ties", "supplies") next to an off-topic context ("gas",
        # "election") is explained by that context: the clause counts as unmatched.
        discounted = weakly if penalty_terms or context_terms else []
        missing += discounted
        weakly = [c for c in weakly if c not in discounted]
        span = _clause_span(self.refinements.require, matches) if not missing and not actorless else 0
        located = (
            _clause_segments(self._located_clauses(matches, weak), matches, tokens, text,
                             len(title_text), is_digest(title_text))
            if not missing and len(self.refinements.require) > 1
            else True
        )
        matched_evidence = [g for g in self._evidence_groups if g in matches]
        extra = max(0, len(matched_evidence) - len(self.refinements.require))
        title_clauses = sum(
            1 for c in self.refinements.require if any(matches[g].in_title for g in c if g in matches)
        )

        components: dict[str, float] = {}
        if not self.refinements.require:
            components["clauses"] = NO_REFINEMENT_Z
        else:
            components["clauses"] = (
                ALL_CLAUSES_Z - MISSING_CLAUSE_Z * len(missing) - WEAK_CLAUSE_Z * len(weakly)
            )
        components["depth"] = DEPTH_WEIGHT * min(extra, DEPTH_CAP)
        if self.refinements.require and title_clauses >= min(2, len(self.refinements.require)):
            components["title"] = TITLE_WEIGHT
        components["similarity"] = SIMILARITY_WEIGHT * (
            min(similarity, SIMILARITY_CAP) - SIMILARITY_PIVOT
        )
        if penalty_terms:
            distinct = len({term.lower() for term in penalty_terms})
            # Another story named in the headline is what the article is about.
            headline = any(matches[g].in_title for g in self.refinements.penalize if g in matches)
            components["penalty"] = -PENALTY_WEIGHT * (min(distinct, PENALTY_CAP) + int(headline))
        if not located:
            components["scattered"] = -SCATTERED_Z
        elif span > PROXIMITY_WINDOW:
            components["proximity"] = -PROXIMITY_Z
        z = sum(components.values())
        if missing:
            z = min(z, MISSING_CLAUSE_CAP)
        subject_weak = bool(self.refinements.require) and self.refinements.require[-1] in weakly
        # Evidence readers labelled as misleading (a weight learned below 1) that leaves its
        # clause weak: that kind of false alert must not recur.
        unlearned = any(
            self.topic.learned_weights.get(g, 1.0) < 1.0 for c in weakly for g in c if g in matches
        )
        scene = (
            self._headline_scene(matches, tokens, title_text)
            or self._background_actor(matches, tokens, text, len(title_text))
            or self._background_subject(matches, tokens, text, len(title_text))
            if not missing and not is_digest(title_text) else None
        )
        framed = self.refinements.pooled_decay > 0 and not missing and (
            (bool(penalty_terms) and self._framed_subject(matches, tokens, title_text))
            or (is_digest(title_text) and not self._subject_in_title(matches))
        )
        if framed:
            components["framed"] = -FRAMED_Z
            z -= FRAMED_Z
        if subject_weak or unlearned or not located or scene:
            z = min(z, _logit(self.topic.threshold) - WEAK_SUBJECT_MARGIN)
        value = 1.0 / (1.0 + math.exp(-z))
        notes = _Notes(missing, discounted, weakly, penalty_terms + context_terms, span, uncued,
                       located, subject_weak, scene, self._dated_notes(dated, matches), epithets)
        explanation = self._explain(value, matches, notes, hit, components, z)
        scored = Score(self.topic.id, round(value, 4), explanation)
        # A subject name stands for the actors only where it is written as a name, as the
        # references write it: "Reality Labs" is Meta's division, "virtual reality" anyone's.
        if (self._names_as_actors is not None and value < self.topic.threshold and missing
                and any(g in matches and any(s[:1].isupper() for s in matches[g].surfaces)
                        for g in self.refinements.actor_names)
                and not any(g in matches for g in self.refinements.require[0])):
            other = self._names_as_actors.score(title, summary)
            return other if other.score > scored.score else scored
        return scored

    def _explain(
        self,
        value: float,
        matches: dict[str, GroupMatch],
        notes: _Notes,
        hit: PassageHit | None,
        components: dict[str, float],
        z: float,
    ) -> dict[str, Any]:
        evidence = [
            f"{self._labels[g]}: "
            f"{', '.join(_as_matched(matches[g], s, self._labels[g]) for s in matches[g].surfaces)}"
            for g in self._evidence_groups
            if g in matches
        ]
        penalties: list[str] = []
        for clause in notes.missing:
            if clause in notes.discounted:
                said = ", ".join(
                    dict.fromkeys(s for g in clause if g in matches for s in matches[g].surfaces)
                )
                story = ", ".join(dict.fromkeys(notes.penalty_terms))
                penalties.append(
                    f"'{said}' discounted: reads as another story ({story}), no stronger evidence"
                )
            else:
                penalties.append(f"no {self._clause_label(clause)} mentioned")
        for name, words in notes.uncued:
            # A bare verb ("sends") with nothing it could be moving: say why it was not counted.
            penalties.append(
                f"'{', '.join(words)}' not counted: {self._labels[name]} needs "
                f"{self._cue_label(name)}"
            )
        for clause in notes.weakly:
            said = ", ".join(
                dict.fromkeys(s for g in clause if g in matches for s in matches[g].surfaces)
            )
            alone = " (weak evidence alone never alerts)" if (
                notes.subject_weak and clause == self.refinements.require[-1]) else ""
            penalties.append(f"only weak evidence for {self._clause_label(clause)}: {said}{alone}")
        subject_clause = self.refinements.require[-1] if self.refinements.require else ()
        if subject_clause in notes.weakly + notes.missing:
            # Why everyday words counted less: they are no headline's words.
            common = [g for g in subject_clause if g in matches and not matches[g].in_title
                      and self._outside_headline.get(g, 1.0) < 1.0]
            if common:
                said = ", ".join(dict.fromkeys(s for g in common for s in matches[g].surfaces))
                penalties.append(f"'{said}' outside the headline counts less: ordinary news uses it "
                                 f"nearly as often as the topic's texts")
        # A name read apart as an epithet explains why it did not count: say so first.
        penalties[:0] = [f"'{said}' is an epithet (who someone is), not the event: not counted"
                         for said in notes.epithets]
        if notes.dated and self.refinements.require[-1] in notes.weakly + notes.missing:
            # A time frame took the subject's strong evidence: say so first.
            penalties[:0] = notes.dated
        if notes.scene:
            # The headline's structure decided: say so first.
            penalties.insert(0, notes.scene)
        if not notes.located:
            penalties.append(
                "the clauses never meet within two sentences of the lead: a digest or a passing mention"
            )
        if notes.penalty_terms:
            penalties.append(
                f"points to another story: {', '.join(dict.fromkeys(notes.penalty_terms))}"
            )
        if notes.located and notes.span > PROXIMITY_WINDOW:
            penalties.append(f"evidence scattered over {notes.span} words, not one passage")
        verdict = "relevant" if value >= self.topic.threshold else "not relevant"
        found = [self._found_label(g, matches[g]) for g in self._evidence_groups if g in matches][:4]
        reason = ", ".join(found) if found else "no topic terms"
        summary = f"{verdict} ({value:.2f}) to {self.topic.name}: {reason}"
        subject = self._subject_line(matches)
        if subject and value >= self.topic.threshold:
            summary += f"; subject: {subject}"
        if penalties:
            summary += f"; {penalties[0]}"
        explanation: dict[str, Any] = {"summary": summary, "evidence": evidence}
        if subject:
            explanation["subject"] = subject
        if hit is not None:
            passage = self._passages[hit.index]
            quote = passage.text
            if len(quote) > PASSAGE_QUOTE_CHARS:
                quote = quote[:PASSAGE_QUOTE_CHARS].rsplit(" ", 1)[0] + " …"
            explanation["passage"] = {
                "text": quote,
                "source": passage.source,
                "similarity": round(hit.similarity, 3),
            }
        if penalties:
            explanation["penalties"] = penalties
        explanation["components"] = {k: round(v, 3) for k, v in components.items()} | {
            "z": round(z, 3)
        }
        return explanation

    def _found_label(self, name: str, match: GroupMatch) -> str:
        """A group's label; a name written otherwise shows as written: "Zełenskiego (zelensky)"."""
        if match.surfaces and all(s in match.variants for s in match.surfaces):
            return _as_matched(match, match.surfaces[0], self._labels[name])
        return self._labels[name]

    def _subject_line(self, matches: dict[str, GroupMatch]) -> str:
        """Which part of the subject clause the text satisfied, as the analyst reads it."""
        require = self.refinements.require
        if not require:
            return ""
        named = [g for g in self.refinements.subject_names if g in matches
                 and (matches[g].in_title or g not in self.refinements.event_names)]
        if named:
            if named[0] in self.refinements.places:
                # Only a headline makes a place the subject: say why it counted.
                return (f"{self._labels[named[0]]} (a rare place nearly every reference headline names, "
                        f"in the headline: the subject itself)")
            return f"{self._labels[named[0]]} (a name that is the subject itself)"
        together = self._names_together(matches) if not any(g in matches for g in require[-1]) else ()
        if together:
            return (f"names together: {' + '.join(self._labels[g] for g in together)} "
                    f"(two of the topic's names, no subject word)")
        parts = [
            f"{self._labels[g]} ({', '.join(matches[g].surfaces[:3])})" if not self.derived
            else self._labels[g]
            for g in require[-1] if g in matches
        ]
        return ", ".join(parts[:4])

    def _headline_scene(
        self, matches: dict[str, GroupMatch], tokens: Sequence[Token], title: str
    ) -> str | None:
        """A headline whose main clause reports another kind of event (a missile launch, a
        strike) and meets the topic's actors only in a subordinate clause ("North Korea fires
        a missile as Kim prepares to meet Putin") is about that event: the subordinate clause
        sets the scene. Returns the explanation, or None when the main clause is the subject.
        """
        main_end = headline_main_end(title)
        if main_end >= len(title):
            return None

        def where(group: str, lo: int, hi: int) -> bool:
            return any(lo <= tokens[p].start < hi for p in matches[group].positions)

        events = [g for g in self.refinements.contexts if g in matches and where(g, 0, main_end)]
        if not events:
            return None
        actors = self.refinements.require[:-1]
        # The last actor clause is who the subject acts on (Russia, receiving the arms). When
        # the main clause names it itself, the event is its own ("Russia launches drone
        # attacks as partnership with Iran deepens": the drones' use), not a scene.
        direct = {g.name for g in self._conditional}
        if actors and any(
            g in matches and g not in direct and where(g, 0, main_end) for g in actors[-1]
        ):
            return None
        elsewhere = [
            c for c in actors
            if not any(where(g, 0, main_end) for g in c if g in matches)
            and any(where(g, main_end, len(title)) for g in c if g in matches)
        ]
        if not elsewhere:
            return None
        main = title[:main_end].lower()
        said = ", ".join(
            dict.fromkeys(s for g in events for s in matches[g].surfaces if s.lower() in main)
        )
        scene = title[main_end:].strip()
        named = ", ".join(
            f"{self._labels[g]} ({', '.join(s for s in matches[g].surfaces if s.lower() in scene.lower())})"
            for g in elsewhere[0] if g in matches and where(g, main_end, len(title))
        )
        return (
            f"the headline reports {self._labels[events[0]]} ({said}); {named} only in "
            f"'{scene}', which sets the scene: not the subject"
        )

    def _dated_subject(
        self, matches: dict[str, GroupMatch], tokens: Sequence[Token], text: str, title_end: int,
        weak: set[str],
    ) -> list[tuple[str, str]]:
        """Subject groups named only inside a time frame while the headline reports another
        event: "North Korea test-fires missiles" / "The launch came just before Kim's meeting
        with Putin" reports the launch, and the meeting only dates it (the main-event rule).
        Returns (group, frame) for each such group."""
        if self.derived or not any(matches[g].in_title for g in self.refinements.contexts if g in matches):
            return []
        frames = time_frames(text)
        if not frames:
            return []

        def frame_of(position: int) -> tuple[int, int] | None:
            start = tokens[position].start
            return next((f for f in frames if f[0] <= start < f[1]), None)

        # The headline must report the other event itself, not only date it.
        if not any(
            tokens[p].start < title_end and not frame_of(p)
            for g in self.refinements.contexts if g in matches for p in matches[g].positions
        ):
            return []
        dated: list[tuple[str, str]] = []
        for name in self.refinements.require[-1]:
            if name not in matches or name in weak:
                continue
            spans = [frame_of(p) for p in matches[name].positions]
            if all(spans):
                first = spans[0]
                assert first is not None
                dated.append((name, text[first[0]:first[1]].strip()))
        return dated

    def _background_subject(
        self, matches: dict[str, GroupMatch], tokens: Sequence[Token], text: str, title_end: int
    ) -> str | None:
        """A headline about another story (a crackdown, a football team) whose summary names the
        subject only in an aside about one of the actors ("Iran, which has also supplied Russia
        with drones, condemned the move"): the aside recalls the topic, it is not the news.
        Returns the explanation, or None."""
        require = self.refinements.require
        if self.derived or len(require) < 2:
            return None
        others = [*self.refinements.penalize, *self.refinements.contexts]
        if not any(matches[g].in_title for g in others if g in matches):
            return None
        subject = [g for g in require[-1] if g in matches and g not in self.refinements.weak]
        if not subject or any(matches[g].in_title for g in subject):
            return None
        asides = aside_clauses(text, title_end)
        if not asides:
            return None

        def aside_of(position: int) -> tuple[int, int] | None:
            start = tokens[position].start
            return next((c for c in asides if c[0] <= start < c[1]), None)

        spans = [aside_of(p) for g in subject for p in matches[g].positions]
        if not all(spans):
            return None
        first = min(c for c in spans if c is not None)
        said = ", ".join(dict.fromkeys(s for g in subject for s in matches[g].surfaces))
        story = next(self._labels[g] for g in others if g in matches and matches[g].in_title)
        return (
            f"the headline is about {story}; {self._labels[subject[0]]} ({said}) only in "
            f"'{text[first[0]:first[1]].strip(', ')}', an aside: background, not the subject"
        )

    def _background_actor(
        self, matches: dict[str, GroupMatch], tokens: Sequence[Token], text: str, title_end: int
    ) -> str | None:
        """The first actor (the supplier) named only in the summary's relative clauses about a
        person, none of which says anything changed hands ("a Ukrainian pilot who shot down
        five Iranian drones in one day has said he could fly a western jet"): the clause is the
        person's background, and the article is about something else ("a trader who shipped
        Iranian drone parts to Russia" is not). Returns the explanation, or None."""
        require = self.refinements.require
        if self.derived or len(require) < 2:
            return None
        actors = [g for g in require[0] if g in matches]
        positions = [p for g in actors for p in matches[g].positions]
        if not positions or any(tokens[p].start < title_end for p in positions):
            return None
        clauses = who_clauses(text, title_end)
        if not clauses:
            return None
        # The weak groups are the words of things changing hands or ties ("shipped", "deal",
        # "sanctions"): a clause with them is what the person did for the topic, not background.
        dealt = [p for g in self.refinements.weak if g in matches for p in matches[g].positions]

        def clause_of(position: int) -> tuple[int, int] | None:
            start = tokens[position].start
            return next((c for c in clauses if c[0] <= start < c[1]), None)

        spans = {clause_of(p) for p in positions}
        if None in spans or any(clause_of(p) in spans for p in dealt):
            return None
        first = min(c for c in spans if c is not None)
        said = ", ".join(dict.fromkeys(s for g in actors for s in matches[g].surfaces))
        label = self._labels[actors[0]]
        return (
            f"{label} ({said}) only in '{text[first[0]:first[1]].strip()}', which tells who "
            f"someone is: background, not the subject"
        )

    def _drop_epithets(
        self, raw: dict[str, GroupMatch], tokens: Sequence[Token], text: str, title_end: int
    ) -> list[str]:
        """Drop the places where a derived topic's name is an epithet ("Grammy-winning",
        "Super Bowl champ", "seven-time Super Bowl champion"): it tells who someone is, so it
        is evidence neither of the actors nor of the subject. Returns the epithets of the
        names that were matched nowhere else, for the explanation."""
        said: list[str] = []
        for name, words in self._epithet_names.items():
            match = raw.get(name)
            if match is None:
                continue
            spans = [epithet_span(p, words, tokens, text) for p in match.positions]
            if not any(spans):
                continue
            kept = [p for p, span in zip(match.positions, spans, strict=True) if span is None]
            if kept:
                _keep_positions(match, kept, tokens, text, title_end)
                continue
            del raw[name]
            first = next(span for span in spans if span is not None)
            said.append(text[first[0]:first[1]])
        return said

    def _dated_notes(self, dated: list[tuple[str, str]], matches: dict[str, GroupMatch]) -> list[str]:
        events = [self._labels[g] for g in self.refinements.contexts if g in matches and matches[g].in_title]
        return [
            f"{self._labels[name]} ({', '.join(matches[name].surfaces[:2])}) only in '{frame}', "
            f"which dates another event ({events[0]}): not the subject"
            for name, frame in dated
        ]

    def _only_unlearned(self, index: int, clause: tuple[str, ...], matches: dict[str, GroupMatch]) -> bool:
        """A pooled topic's actors clause needs no minimum, but when readers marked every name it
        matched as misleading (learned weight below 1) it is weak, as a refined clause would be."""
        if not self.refinements.pooled_decay or index == len(self.refinements.require) - 1:
            return False
        return all(self.topic.learned_weights.get(g, 1.0) < 1.0 for g in clause if g in matches)

    def _weight_beside(self, name: str, matches: dict[str, GroupMatch]) -> float:
        """A derived subject term's weight beside the names this text matched (lower beside a
        name it keeps company with in ordinary news), learned factors applied."""
        weight = self._weights.get(name, 1.0)
        for other, beside in self._given.get(name, ()):
            if other in matches:
                weight = min(weight, beside * self.topic.learned_weights.get(name, 1.0))
        if name in matches and not matches[name].in_title:
            weight *= self._outside_headline.get(name, 1.0)
        return weight

    def _names_together(self, matches: dict[str, GroupMatch]) -> tuple[str, ...]:
        """The two heaviest names matched as written with a capital, at least one no place,
        when their weights reach ``names_together``; else (). An event's name that is the
        subject only in a headline ("Super Bowl") joins them only there too: "the Eagles host
        the 49ers with a trip to the Super Bowl on the line" is about another game."""
        minimum = self.refinements.names_together
        if minimum <= 0:
            return ()
        events = set(self.refinements.event_names)
        names = sorted(
            (g for g in self.refinements.require[0]
             if g in matches and any(s[:1].isupper() for s in matches[g].surfaces)
             and (g not in events or matches[g].in_title)),
            key=lambda g: -self._weights.get(g, 1.0),
        )
        places = set(self.refinements.places)
        for first_index, first in enumerate(names):
            for second in names[first_index + 1:]:
                if first in places and second in places:
                    continue
                if self._pair_weight(first, second) >= minimum - 1e-9:
                    return (first, second)
        return ()

    def _actorless(self, missing: list[tuple[str, ...]], matches: dict[str, GroupMatch]) -> bool:
        require = self.refinements.require
        return (
            self.refinements.pooled_decay > 0 and len(require) > 1 and missing == [require[0]]
            and self._evidence_weight(len(require) - 1, matches) >= ACTORLESS_WEIGHT
        )

    def _subject_in_title(self, matches: dict[str, GroupMatch]) -> bool:
        """A live blog or briefing is about the topic only when its headline says so."""
        subject = [*self.refinements.require[-1], *self.refinements.subject_names]
        return any(matches[g].in_title for g in subject if g in matches)

    def _framed_subject(
        self, matches: dict[str, GroupMatch], tokens: Sequence[Token], title: str
    ) -> bool:
        """A headline that names the subject only after "after", "following" or "before"
        ("Missiles hit Kyiv a day after the tanks pledge") reports another event and uses the
        topic as its time frame; the main clause before the cue is what happened."""
        cue = _FRAMING_CUE.search(title)
        if cue is None:
            return False
        subject = [*self.refinements.require[-1], *self.refinements.subject_names]
        starts = [tokens[p].start for g in subject if g in matches for p in matches[g].positions]
        in_title = [start for start in starts if start < len(title)]
        return bool(in_title) and min(in_title) >= cue.end()

    def group_weight(self, name: str) -> float:
        """A group's weight after learning (1 unless derived or learned)."""
        return self._weights.get(name, 1.0)

    def _clause_weight(self, clause: tuple[str, ...], matches: dict[str, GroupMatch]) -> float:
        return sum(self._weights.get(g, 1.0) for g in clause if g in matches)

    def _evidence_weight(self, index: int, matches: dict[str, GroupMatch]) -> float:
        """A clause's matched weight; for a pooled (derived) topic's subject, the evidence of
        every clause, each further group in a clause discounted: how unlikely the whole match
        is in ordinary news, not the subject words alone."""
        require = self.refinements.require
        decay = self.refinements.pooled_decay
        if not decay or index != len(require) - 1:
            return self._clause_weight(require[index], matches)
        total = 0.0
        for number, clause in enumerate(require):
            if number == 0 and len(require) > 1:
                found = self._names_in_turn([g for g in clause if g in matches])
            else:
                found = sorted((self._weight_beside(g, matches) for g in clause if g in matches),
                               reverse=True)
            total += sum(w * decay**rank for rank, w in enumerate(found))
        return total

    def _names_in_turn(self, names: Sequence[str]) -> list[float]:
        """The actors' weights, heaviest first: each name after the first weighs beside the names
        before it (a name that keeps them company in ordinary news adds less), and a place
        beside every other name matched (where a story of theirs happens says little more)."""
        ordered = sorted(names, key=lambda g: -self._weights.get(g, 1.0))
        weights: list[float] = []
        places = set(self.refinements.places)
        for index, name in enumerate(ordered):
            before = set(ordered) - {name} if name in places else set(ordered[:index])
            weight = self._weights.get(name, 1.0)
            for other, beside in self._given.get(name, ()):
                if other in before:
                    weight = min(weight, beside * self.topic.learned_weights.get(name, 1.0))
            weights.append(weight)
        return sorted(weights, reverse=True)

    def _pair_weight(self, first: str, second: str) -> float:
        """Two names' weight together: the heavier's own, the other's beside it."""
        return sum(self._names_in_turn([first, second]))

    def _located_clauses(
        self, matches: dict[str, GroupMatch], weak: set[str]
    ) -> list[tuple[str, ...]]:
        """The clauses the lead must show together: for the subject, its strong groups when
        it has any (a live blog's "talks" headline must not borrow another story's missiles)."""
        clauses = [c for c in self.refinements.require if any(g in matches for g in c)]
        if not clauses:
            return clauses
        strong = tuple(g for g in clauses[-1] if g in matches and g not in weak)
        if strong:
            clauses[-1] = strong
        return clauses

    def _cue_label(self, name: str) -> str:
        """The cues a conditional group waits for, named like a clause."""
        group = self.refinements.group(name)
        if group.near:
            company = " and ".join(self._labels[g] for g in group.near)
            return f"{company} within {group.near_words} words, in the same clause"
        return self._clause_label(group.only_with).replace(" / ", " or ")

    def _clause_label(self, clause: tuple[str, ...]) -> str:
        """A clause named by its first few strong groups: readable at a glance."""
        strong = [self._labels[g] for g in clause if g not in self.refinements.weak]
        names = strong or [self._labels[g] for g in clause]
        return " / ".join(names[:CLAUSE_LABEL_GROUPS]) + (" …" if len(names) > CLAUSE_LABEL_GROUPS else "")


def _as_matched(match: GroupMatch, surface: str, label: str) -> str:
    """A surface, with the name it spells when written otherwise ("Zełenskiego (Zelensky)"),
    or the whole name when it is a multi-word name's word alone ("Nicole (Storm Nicole)")."""
    return f"{surface} ({label})" if surface in match.variants else surface


@dataclass(frozen=True)
class _Notes:
    """What lowered a score, kept together for the explanation."""

    missing: list[tuple[str, ...]]
    discounted: list[tuple[str, ...]]
    weakly: list[tuple[str, ...]]
    penalty_terms: list[str]
    span: int
    uncued: list[tuple[str, list[str]]]
    located: bool = True
    subject_weak: bool = False
    scene: str | None = None
    dated: list[str] = field(default_factory=list)
    epithets: list[str] = field(default_factory=list)


def _names_as_actors(topic: ResolvedTopic, refinements: Refinements) -> TopicScorer | None:
    """A derived topic whose subject names people or places ("Pence", "Indiana") that are no
    actors' entities (named only in the description, or too common a first name): read with
    those names as its actors, for a text that names none of the actors' clause. Their weight
    then pools with the actors', and the subject needs its own evidence ("classified
    documents"), so the names alone never make a match."""
    names = refinements.actor_names
    require = refinements.require
    if not names or len(require) != 2 or not [g for g in require[-1] if g not in names]:
        return None
    merged = _one_group_per_name([refinements.group(g) for g in names])
    actors = (*(g.name for g in merged), *require[0])
    subject = tuple(g for g in require[-1] if g not in names)
    groups = (*(g for g in refinements.groups if g.name not in names), *merged)
    alternative = replace(refinements, groups=groups, require=(actors, subject), actor_names=())
    return TopicScorer(topic, refinements=alternative)


def _one_group_per_name(groups: Sequence[TermGroup]) -> list[TermGroup]:
    """"Mike", "Pence" and "Mike Pence" are one person: name groups sharing a word become one
    actor, weighing as its rarest form, so a text naming him in full counts him once."""
    parts: list[list[TermGroup]] = []
    for group in groups:
        words = set(group.label.lower().split())
        joined = [p for p in parts if any(words & set(g.label.lower().split()) for g in p)]
        for part in joined:
            parts.remove(part)
        parts.append([g for p in joined for g in p] + [group])
    merged: list[TermGroup] = []
    for part in parts:
        label = max((g.label for g in part), key=len)
        # One word of a longer name stands for the person only as the surname ("Pence"):
        # a first name alone is anyone ("Magic Mike").
        firsts = {w.lower() for g in part for w in g.label.split()[:-1]}
        kept = [g for g in part if len(g.label.split()) > 1 or g.label.lower() not in firsts]
        terms = tuple(dict.fromkeys(t for g in kept for t in g.terms))
        merged.append(TermGroup(name=f"actor:{label}", label=label, terms=terms,
                                weight=max(g.weight for g in kept)))
    return merged


def _sense_groups(refinements: Refinements) -> list[str]:
    """Groups nothing refers to (no clause, list or other group names them): they exist only
    to hold other senses of topic words ("think tank", "satellite state")."""
    used = {g for clause in refinements.require for g in clause}
    used |= {*refinements.support, *refinements.weak, *refinements.penalize, *refinements.contexts}
    for group in refinements.groups:
        used |= {*group.only_with, *group.explains, *group.unless, *group.near}
        if group.counts_as:
            used |= {group.name, group.counts_as}
    return [g.name for g in refinements.groups if g.name not in used]


def _resolve_aliases(
    matches: dict[str, GroupMatch],
    conditional: Sequence[TermGroup],
    tokens: Sequence[Token],
    text: str,
    title_end: int,
) -> dict[str, GroupMatch]:
    """Drop conditional groups whose cue is absent; fold alias groups into their target.

    "the North" means North Korea only beside Seoul, Pyongyang or "Korean": elsewhere it is
    northern England or the North Atlantic, and the match is dropped. A `near` group keeps
    only the places where its company is named close by, in the same clause.
    """
    clauses: list[int] | None = None
    for group in conditional:
        match = matches.get(group.name)
        if match is None:
            continue
        if group.only_with and not any(cue in matches for cue in group.only_with):
            del matches[group.name]
            continue
        if group.near:
            if not all(cue in matches for cue in group.near):
                del matches[group.name]
                continue
            if clauses is None:
                clauses = clause_starts(text, title_end)
            kept = [
                p for p in match.positions
                if all(_near(p, matches[cue].positions, group.near_words, tokens, clauses)
                       for cue in group.near)
            ]
            if not kept:
                del matches[group.name]
                continue
            _keep_positions(match, kept, tokens, text, title_end)
        if group.counts_as:
            del matches[group.name]
            target = matches.setdefault(group.counts_as, GroupMatch(group.counts_as))
            target.phrases |= match.phrases
            target.surfaces += [s for s in match.surfaces if s not in target.surfaces]
            target.variants.update(match.variants)
            target.positions = sorted(target.positions + match.positions)
            target.in_title = target.in_title or match.in_title
    return matches


def _near(
    position: int, others: Sequence[int], words: int, tokens: Sequence[Token], clauses: list[int]
) -> bool:
    """Whether one of ``others`` sits within ``words`` words of ``position``, same clause."""
    clause = bisect.bisect_right(clauses, tokens[position].start)
    return any(
        abs(other - position) <= words
        and bisect.bisect_right(clauses, tokens[other].start) == clause
        for other in others
    )


def _keep_positions(
    match: GroupMatch, kept: list[int], tokens: Sequence[Token], text: str, title_end: int
) -> None:
    """Narrow a match to some of its places; its surfaces to the words found there."""
    firsts = {text[tokens[p].start : tokens[p].end].lower() for p in kept}
    match.surfaces = [s for s in match.surfaces if s.split()[0].lower() in firsts] or match.surfaces
    match.positions = kept
    match.in_title = any(tokens[p].start < title_end for p in kept)


def _logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def _clause_segments(
    require: Sequence[tuple[str, ...]],
    matches: dict[str, GroupMatch],
    tokens: Sequence[Token],
    text: str,
    title_end: int,
    digest: bool,
) -> bool:
    """Whether every clause is matched inside one passage of the lead: a headline part alone
    or with the first summary sentence, or two consecutive sentences among the first few. A
    digest's evidence must sit in one of its pieces.
    """
    starts = segment_starts(text, title_end, digest=digest)
    per_clause = [
        {bisect.bisect_right(starts, tokens[p].start) - 1 for g in clause if g in matches
         for p in matches[g].positions}
        for clause in require
    ]
    title_parts = sum(1 for start in starts if start < title_end)
    windows: list[set[int]] = []
    for part in range(title_parts):
        windows.append({part})
        if not digest and title_parts == 1 < len(starts):
            windows.append({part, title_parts})
    for begin in range(title_parts, min(title_parts + LEAD_SEGMENTS, len(starts))):
        windows.append({begin} if digest else set(range(begin, begin + SEGMENT_WINDOW)))
    return any(all(segs & window for segs in per_clause) for window in windows)


def _clause_span(require: Sequence[tuple[str, ...]], matches: dict[str, GroupMatch]) -> int:
    """Fewest words covering one match of every required clause (minimum window)."""
    hits = sorted(
        (position, index)
        for index, clause in enumerate(require)
        for group in clause
        if group in matches
        for position in matches[group].positions
    )
    need = len(require)
    if need < 2 or not hits:
        return 0
    counts: dict[int, int] = {}
    best = hits[-1][0] - hits[0][0]
    left = 0
    for position, index in hits:
        counts[index] = counts.get(index, 0) + 1
        while len(counts) == need:
            start, first = hits[left]
            best = min(best, position - start)
            counts[first] -= 1
            if not counts[first]:
                del counts[first]
            left += 1
    return best


def build_scorers(topics: Sequence[ResolvedTopic]) -> dict[str, TopicScorer]:
    return {topic.id: TopicScorer(topic) for topic in topics}
