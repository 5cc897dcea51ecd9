"""Phrase matching of term groups over stemmed tokens.

Terms are compiled once per topic into a dict keyed by their first stem, so matching an
article costs one dict lookup per token: this is what keeps scoring above 1,000 articles/s.

With ``polish=True`` every term is also compiled through the Polish stemmer, and a Polish text
(``text.is_polish``) is matched both ways: one listed form of "Rosja" or "wysyła" then matches
"Rosję" or "wysyłają" too. The English match wins a tie, so nothing an English match found
before is lost or changed.

With ``names`` (derived topics' name groups) a capitalised word of the text also matches a name
by its spelling-free key, and in a Polish text by its core (``services.classifier.names``):
"Zelenskiy" and "Zełenskiego" are "Zelensky". What matched so is kept in ``GroupMatch.variants``
for the explanation ("Zełenskiego (Zelensky)").
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from services.classifier.names import CORE_MARK, name_cores, name_key, word_keys
from services.classifier.text import Token, is_polish, polish_stem, polish_stems, stems

POLISH_MIN_STEM = 5  # letters a Polish stem keeps, unless the word is its own stem
_WORDS = re.compile(r"(?:[^\W\d_]\.){2,}|[^\W_]+")
TITLE_CASE_SHARE = 0.7  # of a headline's words of four letters or more, capitalised
EXACT_MARK = "="  # "=arms": this written form only, not every word with its stem ("arm")


@dataclass(frozen=True)
class Phrase:
    group: str
    stems: tuple[str, ...]
    exact: tuple[str, ...] = ()  # lowercase words the text must show as written
    polish: bool = False  # compiled through the Polish stemmer: compare Polish stems
    sense: bool = False  # another sense of topic words: takes its words from every group
    # How the words compare: "stem" (English stems), "polish" (Polish stems), "key" (name keys
    # of capitalised words), "core" (Polish cores of capitalised words, in Polish texts).
    kind: str = "stem"
    term: str = ""  # the term as listed, for a name matched by key or core
    alone: bool = False  # a multi-word name's distinctive word: no part of another name
    capital: bool = False  # matches only where the text capitalises its first word


@dataclass
class GroupMatch:
    """What one group found in a text: distinct surfaces as written, and where."""

    group: str
    surfaces: list[str] = field(default_factory=list)
    phrases: set[tuple[str, ...]] = field(default_factory=set)
    positions: list[int] = field(default_factory=list)
    in_title: bool = False
    variants: dict[str, str] = field(default_factory=dict)  # surface -> the name it spells

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
        senses: Iterable[str] = (), exclusive: bool = False, names: Iterable[str] = (),
        ordinary: Iterable[str] = (), capitalised: Iterable[str] = (),
    ) -> None:
        sense_groups = frozenset(senses)
        capital_groups = frozenset(capitalised)
        name_groups = frozenset(names)
        self._exclusive = exclusive
        self._by_first: dict[str, list[Phrase]] = defaultdict(list)
        self._by_first_polish: dict[str, list[Phrase]] = defaultdict(list)
        self._by_key: dict[str, list[Phrase]] = defaultdict(list)
        self._by_core: dict[str, list[Phrase]] = defaultdict(list)
        self._name_stems: set[str] = set()  # every word of the names: "Storm" beside "Nicole"
        self._alone = False  # some name has a distinctive word matched alone
        # Stems the topic's texts write lowercase: "Hurricane" may stand before "Nicole".
        self._ordinary = frozenset(ordinary)
        self.group_names: list[str] = []
        for name, terms in groups:
            self.group_names.append(name)
            for term in terms:
                if name in name_groups:
                    self._add_name(name, term)
                if term.startswith(CORE_MARK):
                    continue  # matched alone only by key, with its guard
                exact = term.startswith(EXACT_MARK)
                written = term[1:] if exact else term
                term_stems = tuple(stems(written))
                if term_stems:
                    words = tuple(written.lower().replace("-", " ").split()) if exact else ()
                    sense, capital = name in sense_groups, name in capital_groups
                    self._by_first[term_stems[0]].append(
                        Phrase(name, term_stems, words, sense=sense, capital=capital))
                    inflected = _polish_form(written) if polish else None
                    if inflected:
                        self._by_first_polish[inflected[0]].append(
                            Phrase(name, inflected, words, polish=True, sense=sense))
        for index in (self._by_first, self._by_first_polish, self._by_key, self._by_core):
            for phrases in index.values():
                phrases.sort(key=_precedence, reverse=True)

    def _add_name(self, group: str, term: str) -> None:
        """Index a name term by its words' keys and Polish cores (words too short: not at all)."""
        alone = term.startswith(CORE_MARK)
        self._alone = self._alone or alone
        written = term.lstrip(CORE_MARK)
        words = _WORDS.findall(written)
        self._name_stems.update(stems(written))
        keys = tuple(name_key(w) for w in words)
        if not keys or not all(keys):
            return
        label = written
        self._by_key[keys[0]].append(Phrase(group, keys, kind="key", term=label, alone=alone))
        for cores in itertools.product(*(name_cores(w) for w in words)):
            if all(cores):
                self._by_core[cores[0]].append(
                    Phrase(group, cores, kind="core", term=label, alone=alone))

    def match(self, text: str, tokens: Sequence[Token], title_end: int) -> dict[str, GroupMatch]:
        """Longest phrase wins at each position; a token belongs to at most one phrase per group."""
        polish = self._polish_stems(text, tokens)
        keys = self._name_keys(text, tokens, polish is not None or self._polish_text(text))
        found: dict[str, GroupMatch] = {}
        alone: list[tuple[Phrase, int]] = []  # distinctive words matched, kept unless refuted
        refuted: set[str] = set()  # ... and those this text writes as part of another name
        covered: set[int] = set()  # tokens some phrase took (only tracked for ``alone``)
        spelt_otherwise: list[tuple[Phrase, int]] = []  # names matched by key or core
        spelt: dict[str, str] = {}  # key of a capitalised word a group's own term matched -> group
        count = len(tokens)
        i = 0
        while i < count:
            candidates = self._by_first.get(tokens[i].stem)
            if polish is not None:
                candidates = _merged(candidates, self._by_first_polish.get(polish[i]))
            if keys is not None and keys[0][i]:
                candidates = _merged(candidates, self._by_key.get(keys[0][i]))
                if keys[1] is not None and keys[1][i]:
                    candidates = _merged(candidates, self._by_core.get(keys[1][i]))
            advance = 1
            if candidates:
                claimed: set[str] = set()
                for phrase in candidates:
                    n = len(phrase.stems)
                    if phrase.group in claimed or i + n > count:
                        continue
                    if phrase.kind != "stem" and phrase.kind != "polish" and claimed:
                        continue  # a word is one name: spelt as a group lists it, it is that group's
                    if self._exclusive and n < advance:
                        break  # a longer phrase took these words (candidates: longest first)
                    if n > 1:
                        if phrase.polish:
                            if not _polish_follow(phrase, polish, i):
                                continue
                        elif phrase.kind in ("key", "core"):
                            if keys is None or not _keys_follow(phrase, keys, i):
                                continue
                        elif any(tokens[i + k].stem != phrase.stems[k] for k in range(1, n)):
                            continue
                    if phrase.exact and not _written_as(text, tokens, i, phrase.exact):
                        continue
                    if phrase.capital and not text[tokens[i].start].isupper():
                        continue  # "grants" is no "Grant" (Shapps)
                    if phrase.alone:
                        other = self._in_other_name(text, tokens, i, title_end)
                        if other == "after":
                            refuted.add(phrase.term)
                        elif not other:
                            alone.append((phrase, i))
                        continue
                    claimed.add(phrase.group)
                    advance = max(advance, n)
                    if self._alone:
                        covered.update(range(i, i + n))
                    if phrase.kind in ("key", "core"):
                        spelt_otherwise.append((phrase, i))
                        continue
                    if keys is not None:
                        spelt.update((keys[0][i + k], phrase.group) for k in range(n) if keys[0][i + k])
                    match = found.get(phrase.group)
                    if match is None:
                        match = found[phrase.group] = GroupMatch(phrase.group)
                    match.positions.append(i)
                    if phrase.stems not in match.phrases:
                        match.phrases.add(phrase.stems)
                        match.surfaces.append(text[tokens[i].start : tokens[i + n - 1].end])
                        if phrase.term:
                            _note_variant(match, phrase)
                    if tokens[i].start < title_end:
                        match.in_title = True
                    if phrase.sense:
                        break  # "satellite state", "rockets to a record": no satellite, no rocket
            i += advance
        for phrase, i in spelt_otherwise:
            # The text's own spelling of the name decides its group: "President Volodymyr
            # Zelensky" is the group of the text's "Zelensky", not also the one of "Zelenskyy".
            group = next((spelt[k] for k in keys[0][i : i + len(phrase.stems)] if k in spelt),
                         phrase.group) if keys is not None else phrase.group
            self._add(found, group, phrase, i, text, tokens, title_end)
        for phrase, i in alone:
            if phrase.term in refuted or i in covered:
                continue  # a longer name took the word ("Tropical Storm Nicole"), or another's
            self._add(found, phrase.group, phrase, i, text, tokens, title_end)
        return found

    @staticmethod
    def _add(found: dict[str, GroupMatch], group: str, phrase: Phrase, i: int, text: str,
             tokens: Sequence[Token], title_end: int) -> None:
        """Record a name matched by key or core (its surface noted as a variant)."""
        match = found.setdefault(group, GroupMatch(group))
        n = len(phrase.stems)
        if i in match.positions:
            return
        match.positions.append(i)
        match.positions.sort()
        surface = text[tokens[i].start : tokens[i + n - 1].end]
        if surface not in match.surfaces:
            match.phrases.add(phrase.stems)
            match.surfaces.append(surface)
            _note_variant(match, phrase)
        if tokens[i].start < title_end:
            match.in_title = True

    def _polish_text(self, text: str) -> bool:
        return bool(self._by_core) and is_polish(text)

    def _name_keys(
        self, text: str, tokens: Sequence[Token], polish: bool
    ) -> tuple[list[str], list[str] | None] | None:
        """Name keys (and, in a Polish text, cores) of the capitalised tokens; "" elsewhere."""
        global _last_keys
        if not self._by_key:
            return None
        last = _last_keys
        if last[0] == text and last[1] is tokens and (last[3] is not None or not polish):
            return last[2], last[3]  # every derived topic's lexicon reads the same article
        keys = [""] * len(tokens)
        cores = [""] * len(tokens) if polish else None
        for index, token in enumerate(tokens):
            if text[token.start].isupper():
                key, core = word_keys(text[token.start : token.end])
                keys[index] = key
                if cores is not None:
                    cores[index] = core
        _last_keys = (text, tokens, keys, cores)
        return keys, cores

    def _in_other_name(self, text: str, tokens: Sequence[Token], at: int, title_end: int) -> str:
        """Where a distinctive word (token ``at``) is part of another name: "after" when a
        capitalised word follows in the same sentence that is none of the topic's name words
        ("Nicole Kidman": someone's first name, so every "Nicole" of the text is hers), "before"
        when one precedes that the references never write lowercase either ("Anna Nicole":
        this mention only; "Hurricane Nicole" is the storm), else "". A headline in title case
        ("Nicole Bears Down") capitalises every word: the word after is no evidence there, the
        word before still is ("Yvette Nicole Brown On ...")."""
        sides = [("before", at - 1, self._name_stems | self._ordinary)]
        if not (tokens[at].start < title_end and _title_case(text[:title_end])):
            sides.append(("after", at + 1, self._name_stems))
        for side, other, allowed in sides:
            if not 0 <= other < len(tokens):
                continue
            near = tokens[other]
            first, second = sorted((tokens[at], near))
            between = text[first.end : second.start]
            if (text[near.start].isupper() and not any(c in between for c in ".!?:;|\n–—(\"“”")
                    and near.stem not in allowed):
                return side
        return ""

    def _polish_stems(self, text: str, tokens: Sequence[Token]) -> list[str] | None:
        """The tokens' Polish stems when this lexicon reads Polish and the text is Polish."""
        if not self._by_first_polish or not is_polish(text):
            return None
        lowered = text.lower()
        return [polish_stem(lowered[t.start : t.end]) for t in tokens]


_last_keys: tuple[str, Sequence[Token] | None, list[str], list[str] | None] = ("", None, [], None)


def _title_case(title: str) -> bool:
    """Whether a headline capitalises most of its longer words ("Nicole Bears Down on Florida")."""
    words = [w for w in _WORDS.findall(title) if len(w) > 3]
    return len(words) >= 2 and sum(w[:1].isupper() for w in words) >= TITLE_CASE_SHARE * len(words)


def _keys_follow(phrase: Phrase, keys: tuple[list[str], list[str] | None], i: int) -> bool:
    """Whether a name phrase's later words follow position ``i`` (by key or by core)."""
    row = keys[0] if phrase.kind == "key" else keys[1]
    return row is not None and all(row[i + k] == phrase.stems[k] for k in range(1, len(phrase.stems)))


def _note_variant(match: GroupMatch, phrase: Phrase) -> None:
    """Remember the name a surface spells when it is written otherwise ("Zełenskiego")."""
    surface = match.surfaces[-1]
    if surface.lower() != phrase.term.lower() or phrase.alone:
        match.variants[surface] = phrase.term


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
