"""Phrase matching of term groups over stemmed tokens.

Terms are compiled once per topic into a dict keyed by their first stem, so matching an
article costs one dict lookup per token: this is what keeps scoring above 1,000 articles/s.

With ``polish=True`` every term is also compiled through the Polish stemmer, and a Polish text
(``text.is_polish``) is matched both ways: one listed form of "Rosja" or "wysyła" then matches
"Rosję" or "wysyłają" too. The English match wins a tie, so nothing an English match found
before is lost or changed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from services.classifier.text import Token, is_polish, polish_stem, polish_stems, stems

POLISH_MIN_STEM = 5  # letters a Polish stem keeps, unless the word is its own stem
_WORDS = re.compile(r"(?:[^\W\d_]\.){2,}|[^\W_]+")
EXACT_MARK = "="  # "=arms": this written form only, not every word with its stem ("arm")


@dataclass(frozen=True)
class Phrase:
    group: str
    stems: tuple[str, ...]
    exact: tuple[str, ...] = ()  # lowercase words the text must show as written
    polish: bool = False  # compiled through the Polish stemmer: compare Polish stems
    sense: bool = False  # another sense of topic words: takes its words from every group


@dataclass
class GroupMatch:
    """What one group found in a text: distinct surfaces as written, and where."""

    group: str
    surfaces: list[str] = field(default_factory=list)
    phrases: set[tuple[str, ...]] = field(default_factory=set)
    positions: list[int] = field(default_factory=list)
    in_title: bool = False

    @property
    def distinct(self) -> int:
        return len(self.phrases)


class Lexicon:
    """Term groups compiled for longest-match phrase lookup.

    ``senses``: groups naming other senses of topic words ("think tank", "satellite state"). A
    phrase of theirs takes its words from every group: the longer phrases that matched where it
    starts stay, the shorter ones (and the words it covers) are not read as topic terms.

    ``exclusive``: a matched phrase consumes its words for every group, so "short seller" is
    not also the subject words "short" and "seller" (derived topics pool the weights of every
    group matched: one phrase must not count two or three times).
    """

    def __init__(
        self, groups: Iterable[tuple[str, Sequence[str]]], *, polish: bool = False,
        senses: Iterable[str] = (), exclusive: bool = False,
    ) -> None:
        sense_groups = frozenset(senses)
        self._exclusive = exclusive
        self._by_first: dict[str, list[Phrase]] = defaultdict(list)
        self._by_first_polish: dict[str, list[Phrase]] = defaultdict(list)
        self.group_names: list[str] = []
        for name, terms in groups:
            self.group_names.append(name)
            for term in terms:
                exact = term.startswith(EXACT_MARK)
                written = term[1:] if exact else term
                term_stems = tuple(stems(written))
                if term_stems:
                    words = tuple(written.lower().replace("-", " ").split()) if exact else ()
                    sense = name in sense_groups
                    self._by_first[term_stems[0]].append(Phrase(name, term_stems, words, sense=sense))
                    inflected = _polish_form(written) if polish else None
                    if inflected:
                        self._by_first_polish[inflected[0]].append(
                            Phrase(name, inflected, words, polish=True, sense=sense))
        for index in (self._by_first, self._by_first_polish):
            for phrases in index.values():
                phrases.sort(key=_precedence, reverse=True)

    def match(self, text: str, tokens: Sequence[Token], title_end: int) -> dict[str, GroupMatch]:
        """Longest phrase wins at each position; a token belongs to at most one phrase per group."""
        polish = self._polish_stems(text, tokens)
        found: dict[str, GroupMatch] = {}
        count = len(tokens)
        i = 0
        while i < count:
            candidates = self._by_first.get(tokens[i].stem)
            if polish is not None:
                candidates = _merged(candidates, self._by_first_polish.get(polish[i]))
            advance = 1
            if candidates:
                claimed: set[str] = set()
                for phrase in candidates:
                    n = len(phrase.stems)
                    if phrase.group in claimed or i + n > count:
                        continue
                    if self._exclusive and n < advance:
                        break  # a longer phrase took these words (candidates: longest first)
                    if n > 1:
                        if phrase.polish:
                            if not _polish_follow(phrase, polish, i):
                                continue
                        elif any(tokens[i + k].stem != phrase.stems[k] for k in range(1, n)):
                            continue
                    if phrase.exact and not _written_as(text, tokens, i, phrase.exact):
                        continue
                    claimed.add(phrase.group)
                    match = found.get(phrase.group)
                    if match is None:
                        match = found[phrase.group] = GroupMatch(phrase.group)
                    match.positions.append(i)
                    if phrase.stems not in match.phrases:
                        match.phrases.add(phrase.stems)
                        match.surfaces.append(text[tokens[i].start : tokens[i + n - 1].end])
                    if tokens[i].start < title_end:
                        match.in_title = True
                    advance = max(advance, n)
                    if phrase.sense:
                        break  # "satellite state", "rockets to a record": no satellite, no rocket
            i += advance
        return found

    def _polish_stems(self, text: str, tokens: Sequence[Token]) -> list[str] | None:
        """The tokens' Polish stems when this lexicon reads Polish and the text is Polish."""
        if not self._by_first_polish or not is_polish(text):
            return None
        lowered = text.lower()
        return [polish_stem(lowered[t.start : t.end]) for t in tokens]


def _polish_form(term: str) -> tuple[str, ...] | None:
    """A term's Polish stems, when it inflects as Polish: not a lone capitalised name ("Raisi" is
    listed in its forms: the stemmer would make "Raisa" of it; in a phrase with a common word,
    "gospodarz Kremla", a name inflects too), and no word cut below ``POLISH_MIN_STEM`` letters
    (English words lose their ends: "made" -> "mad")."""
    words = _WORDS.findall(term)
    if all(w[:1].isupper() for w in words):
        return None
    inflected = tuple(polish_stems(term))
    if len(inflected) != len(words) or any(
        len(s) < POLISH_MIN_STEM and s != w.lower() for s, w in zip(inflected, words, strict=True)
    ):
        return None
    return inflected


def _precedence(phrase: Phrase) -> tuple[int, bool]:
    """Longest first; at equal length another sense of the words comes before the topic's."""
    return len(phrase.stems), phrase.sense


def _merged(english: list[Phrase] | None, polish: list[Phrase] | None) -> list[Phrase] | None:
    """Both candidate lists, longest first; on a tie the English phrase comes first."""
    if not polish:
        return english
    if not english:
        return polish
    return sorted(english + polish, key=_precedence, reverse=True)


def _polish_follow(phrase: Phrase, polish: list[str] | None, i: int) -> bool:
    """Whether a Polish-compiled phrase's later words follow position ``i``."""
    return polish is not None and all(
        polish[i + k] == phrase.stems[k] for k in range(1, len(phrase.stems))
    )


def _written_as(text: str, tokens: Sequence[Token], start: int, words: tuple[str, ...]) -> bool:
    if start + len(words) > len(tokens):
        return False
    return all(
        text[tokens[start + k].start : tokens[start + k].end].lower() == word
        for k, word in enumerate(words)
    )
