"""Story grouping: decide which story an incoming article belongs to, and why.

Forty outlets reporting one event must cost the user one alert, so every article is put in a
story before deliveries are routed. Three tests run in order, cheapest and surest first:

1. ``exact_link``  -- the canonical link (tracking parameters, ``www.``/``m.``, AMP, fragments
   and default ports removed) was already seen: the same article again.
2. ``syndicated``  -- the text is a near copy (wire copy under another outlet): MinHash over word
   shingles, candidates from an LSH index (services.classifier.minhash), kept above a Jaccard estimate.
3. ``same_event``  -- another outlet's own words about the same event: TF-IDF cosine over stemmed
   words (an inverted index of the window, IDF from the live window), names and numbers counted
   twice, news boilerplate ("on Tuesday", "state media", "officials said") dropped. Actors alone
   ("North Korea", "Russia") are common in a monitoring window, so their IDF is low and two
   different events that share them stay apart unless their specific facts (places, weapons,
   figures) also overlap. Word pairs were tried and dropped: they diluted the cosine of reports
   written in different words more than they separated events.
   Decision rules on top (``_same_event``; measured on bench/data/stories_week):
   - *actors only*: a match whose shared words are all names ("Mike Pence") is one story only
     within hours (the actors meeting) or when very close: days apart, it is another event
     of the same people (``_actors_only``), unless both headlines carry one of the shared
     words of what happened ("summit"): the story continuing. Names are words capitalised
     inside a sentence, or that the window mostly writes so (Title Case headlines tell nothing).
   - *other actors*: headlines naming different places or people, neither report naming the
     other's anywhere, are two events of one kind (``_other_actors``).
   - *developing story*: a report close to no single member but to what a big story's
     articles share (its centroid) joins it; big stories are tried directly, because their
     words are too frequent for the index to walk, if the headline names one of their
     actors (``_developing``).
   - *new headline* / *elsewhere*: a report only loosely close to a big story whose headline
     words give little of what it shares with the story (its background paragraph matched), or
     whose headline names none of the story's people and places (another shoot-down, another
     place), opens its own story (``_new_headline``, ``_elsewhere``).

The engine is incremental and in-memory: state is the window of recent articles (default 72h),
rebuilt from the database on start (``StoryIndex.add`` for each recent assigned article). It
never writes: the caller creates story rows and then calls ``add`` with the id it got.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import logging
import math
import re
import unicodedata
import zlib
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

import numpy as np
import numpy.typing as npt
import Stemmer

from services.classifier.minhash import MinHash, MinHashLSH
from services.classifier.stopwords import ENGLISH_STOP_WORDS
from services.classifier.text import plain_text
from shared.urls import story_url

logger = logging.getLogger(__name__)

ArticleKey = Hashable
StoryId = int

# --- named defaults (StoriesConfig in shared/config.py overrides the user-facing ones) ------
DEFAULT_WINDOW = timedelta(hours=72)
DEFAULT_SYNDICATED_THRESHOLD = 0.5  # MinHash Jaccard estimate over word 3-shingles
DEFAULT_EVENT_THRESHOLD = 0.27  # TF-IDF cosine to the closest article of a story; the top of
# the 0.22-0.27 plateau on our corpus: when unsure, split (a duplicate alert beats a missed story)
DEFAULT_STORY_THRESHOLD = 0.2  # TF-IDF cosine to the story's centroid, for stories of
CENTROID_MIN_SIZE = 3  # at least this many articles: when unsure, split
MINHASH_PERMUTATIONS = 128
SHINGLE_WORDS = 3
MIN_SHINGLES = 8  # shorter texts are too small to call a copy
STEM_CACHE_SIZE = 200_000
MIN_SHARED_TITLE_TERMS = 1  # same-outlet same-event matches share a headline word
FREQUENT_SHARE = 0.02  # terms in more of the window than this are not walked (see _TermIndex)
FREQUENT_MIN = 50
LONG_POSTING = 8  # postings this many times the candidates are searched, not scattered
COMPACT_MIN = 1024  # evicted rows tolerated in the postings before a sweep
EXACT_NORM_BELOW = 64  # window size under which row norms follow the IDF exactly
NORM_DRIFT = 0.3
WALK_TERMS = 6  # a story's article shares one of the query's most telling terms
PEAK_SLACK = 1.25  # row weights move with the window's IDF after they were measured
TITLE_WEIGHT = 2.0  # a headline term counts as much as two body mentions
NAME_WEIGHT = 1.0  # extra weight of capitalised words and figures (names, places, numbers)
# Decision rules of ``_same_event`` (see ``_actors_only``): a match whose shared words are all
# names (the actors: "Mike Pence", "Fetterman") needs this much cosine to stand on names alone.
ACTORS_ONLY_EVENT_MIN = 0.05  # cosine the shared non-name words must give, else "actors only"
ACTORS_ONLY_HEADLINE_MIN = 0.025  # ... when both headlines carry one of them (the story continues)
ACTORS_ONLY_SIMILARITY = 0.6  # an actors-only match this close is still one story (a rare name)
ACTORS_ONLY_HOURS = 12.0  # ... as is one within hours: these actors meeting, then reported
NAME_SHARE = 0.3  # a word the window capitalises inside a sentence this often is a name
# A developing story is told in new words each day: an article no single member is close to
# joins a story of at least DEVELOPING_MIN_SIZE articles when it is this close to its centroid
# (what its articles share), found through members at least DEVELOPING_FLOOR close.
DEVELOPING_MIN_SIZE = 5
DEVELOPING_THRESHOLD = 0.25
DEVELOPING_FLOOR = 0.2
# The words of a big story are in too much of the window for the inverted index to walk them
# (FREQUENT_SHARE): its centroid is also tried directly, if the headline names one of its actors.
BIG_STORY_SIZE = 10
BIG_STORIES_EVERY = 100  # articles added between two refreshes of the big-story list
STORY_NAMES = 8  # the story's heaviest name terms: whom and where it is about
# A new headline: a report only loosely close to a big story (cosine under
# NEW_HEADLINE_SIMILARITY, story of NEW_HEADLINE_MIN_SIZE+ articles) whose headline words give
# under NEW_HEADLINE_SHARE of what it shares with the story's words matches it through its
# background paragraph ("... days after the balloon"), not its news: another story.
NEW_HEADLINE_MIN_SIZE = 5
NEW_HEADLINE_SIMILARITY = 0.36
NEW_HEADLINE_SHARE = 0.4
ELSEWHERE_SIMILARITY = 0.36  # ... and one naming none of the story's names (``_elsewhere``)


_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
_NAME = re.compile(r"\b(?:[A-Z][\w’'-]*|\d[\w.,-]*)")
# What precedes a capital that opens a sentence ("said. He", not "Sen. John" or "U.S. Air").
_SENTENCE_START = re.compile(r"(?:^|[!?:;—–\"“”(|]\s*|[a-z]{2}[.]\s+|\s-\s)$")
# Words every wire story uses whatever the event: weekdays, attributions, generic roles.
_BOILERPLATE_WORDS = """said says say according reported report reports told added adding statement monday
    tuesday wednesday thursday friday saturday sunday today yesterday tomorrow week weeks day
    days month months year years early late later earlier new first last state media news agency
    official officials spokesman spokeswoman ministry minister government leader country
    countries people time analysts percent"""
NEWS_BOILERPLATE = frozenset(_BOILERPLATE_WORDS.split())
_STOP = frozenset(ENGLISH_STOP_WORDS) | NEWS_BOILERPLATE


class Reason(StrEnum):
    """Why an article landed in its story; stored beside the membership for the alert."""

    NEW = "new"
    EXACT_LINK = "exact_link"
    SYNDICATED = "syndicated"
    SAME_EVENT = "same_event"


@dataclass(frozen=True, slots=True)
class StoryArticle:
    """What grouping needs to know about an article; ``seen_at`` is published or first seen."""

    key: ArticleKey
    outlet: str
    url: str
    title: str
    summary: str
    seen_at: datetime


@dataclass(frozen=True, slots=True)
class Assignment:
    """The engine's answer: ``story_id`` is None for a new story (the caller creates it)."""

    story_id: StoryId | None
    reason: Reason
    matched_key: ArticleKey | None = None
    similarity: float = 0.0


@dataclass(frozen=True, slots=True)
class GroupingParams:
    """Tuning knobs; the defaults are the ones measured on tests/fixtures/stories/corpus.yaml."""

    window: timedelta = DEFAULT_WINDOW
    syndicated_threshold: float = DEFAULT_SYNDICATED_THRESHOLD
    event_threshold: float = DEFAULT_EVENT_THRESHOLD
    story_threshold: float = DEFAULT_STORY_THRESHOLD


def article_time(published: datetime | None, first_seen: datetime) -> datetime:
    """Published time when plausible, else first seen: feeds lie about dates in the future."""
    if published is None or published > first_seen + timedelta(hours=1):
        return first_seen
    return published


# --- canonical links ----------------------------------------------------------------------


canonical_url = story_url  # the grouping engine's name for it


# --- text features ------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    normal = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    return _WORD.findall(normal)


class _Featurizer:
    """Text -> shingles (copy detection) and hashed stemmed terms (event similarity).

    Each text is split into words once: shingles, term counts and headline terms all read
    the same word lists (splitting and stemming were most of the featurising cost)."""

    def __init__(self) -> None:
        self._stemmer = Stemmer.Stemmer("english")
        self._cache: dict[str, str] = {}
        self._names: dict[str, list[str]] = {}

    def features(self, article: StoryArticle) -> tuple[dict[str, float], frozenset[str], list[bytes]]:
        """Term counts, headline terms and shingles of ``article`` (summary already plain)."""
        title_words, summary_words = _words(article.title), _words(article.summary)
        title_stems = self._stem_words(title_words)
        counts: dict[str, float] = {}
        for text, stems, weight in ((article.title, title_stems, TITLE_WEIGHT),
                                    (article.summary, self._stem_words(summary_words), 1.0)):
            names = self._name_stems(_NAME.findall(text))
            for found, boost in ((stems, weight), (names, weight * NAME_WEIGHT)):
                for term in found:
                    counts[term] = counts.get(term, 0.0) + boost
        terms = {term: 1.0 + math.log(count) for term, count in counts.items()}
        words = summary_words if len(summary_words) >= 20 else title_words + summary_words
        # Consecutive SHINGLE_WORDS-tuples of words (one zip, no slice per shingle).
        joined = map(" ".join, zip(*(words[i:] for i in range(SHINGLE_WORDS)), strict=False))
        shingles = [shingle.encode() for shingle in joined]
        return terms, frozenset(title_stems), shingles

    def _name_stems(self, names: list[str]) -> list[str]:
        """Stems of capitalised words and figures, cached per name (names recur more than
        any other words); the same as stemming the names joined by spaces."""
        cache, out = self._names, []
        for name in names:
            found = cache.get(name)
            if found is None:
                found = self._stem_words(_words(name))
                if len(cache) < STEM_CACHE_SIZE:
                    cache[name] = found
            out += found
        return out

    def names(self, article: StoryArticle, is_name: Callable[[str], bool]
              ) -> tuple[frozenset[str], frozenset[str]]:
        """Stems of names (who and where: the actors), as opposed to what happened, and the
        stems this article capitalises inside a sentence (what ``is_name`` learns from).

        A word capitalised inside a sentence is a name; one that opens a sentence or sits in
        a Title Case headline is one when the window mostly capitalises it (``is_name``).
        Figures are facts of the event, not actors."""
        inside: list[str] = []
        maybe: list[str] = []
        for text in (article.summary, article.title):
            for match in _NAME.finditer(text):
                word = match.group()
                if word[:1].isdigit():
                    continue
                opens = _SENTENCE_START.search(text, max(0, match.start() - 8),
                                               match.start()) is not None
                (maybe if opens or text is article.title else inside).append(word)
        seen = frozenset(self._name_stems(inside))
        return seen | {t for t in self._name_stems(maybe) if is_name(t)}, seen

    def _stem_words(self, words: list[str]) -> list[str]:
        """Stemmed content words; stems are cached because news vocabulary repeats."""
        cache, out = self._cache, []
        for word in words:
            if word in _STOP:
                continue
            stem = cache.get(word)
            if stem is None:
                stem = self._stemmer.stemWord(word)
                if len(cache) < STEM_CACHE_SIZE:
                    cache[word] = stem
            out.append(stem)
        return out


# --- the window index ---------------------------------------------------------------------


@dataclass(slots=True, eq=False)
class _Entry:
    """One article of the window; ``row`` is its slot in the term index's arrays."""

    article: StoryArticle
    story_id: StoryId
    link: str
    at: float
    terms: dict[str, float]  # sublinear term frequencies; IDF comes from the live window
    title: frozenset[str]
    names: frozenset[str] = frozenset()
    capitalised: frozenset[str] = frozenset()
    row: int = -1
    alive: bool = True
    unit: dict[str, float] | None = None  # the TF-IDF unit vector when added (story centroid)


@dataclass(slots=True)
class _Centroid:
    """Sum of a story's unit vectors: what its articles have in common, not one member."""

    weights: dict[str, float]
    square: float = 0.0
    size: int = 0
    changes: int = 0  # includes so far: tells the big-story names what is unchanged

    def include(self, unit: dict[str, float], sign: float = 1.0) -> None:
        self.changes += 1
        weights = self.weights
        for term, value in unit.items():
            old = weights.get(term, 0.0)
            new = old + sign * value
            self.square += new * new - old * old
            if abs(new) > 1e-12:
                weights[term] = new
            else:
                weights.pop(term, None)
        self.size += int(sign)

    def cosine(self, unit: dict[str, float], position: dict[str, int] | None = None) -> float:
        """With ``position`` (the rank of each term of ``unit``), only the shared terms are
        walked, in ``unit``'s order: the same floats summed in the same order, for the few
        terms a report shares with each big story the developing-story test tries."""
        if self.square <= 0.0:
            return 0.0
        weights = self.weights
        if position is None:
            dot = sum([value * weights[t] for t, value in unit.items() if t in weights])
        else:
            shared = weights.keys() & unit.keys()  # in C, over the smaller of the two
            if not shared:
                return 0.0
            dot = sum([unit[t] * weights[t] for t in sorted(shared, key=position.__getitem__)])
        return dot / math.sqrt(self.square)


@dataclass(slots=True)
class _Candidate:
    story_id: StoryId
    key: ArticleKey
    similarity: float


@dataclass(slots=True)
class _Features:
    """What grouping computes from one article's text; computed once for assign + add."""

    terms: dict[str, float]
    title: frozenset[str]
    minhash: MinHash | None
    names: frozenset[str] = frozenset()
    capitalised: frozenset[str] = frozenset()


class _Postings:
    """One term's rows (ascending: the order articles were added) and term weights, in
    numpy buffers that double when full, so a query reads them without copying."""

    __slots__ = ("rows", "weights", "size")

    def __init__(self) -> None:
        self.rows = np.empty(4, dtype=np.int64)
        self.weights = np.empty(4, dtype=np.float64)
        self.size = 0

    def append(self, row: int, weight: float) -> None:
        size = self.size
        if size == len(self.rows):
            self.rows = np.concatenate((self.rows, np.empty(size, dtype=np.int64)))
            self.weights = np.concatenate((self.weights, np.empty(size, dtype=np.float64)))
        self.rows[size] = row
        self.weights[size] = weight
        self.size = size + 1

    def replace(self, rows: npt.NDArray[np.int64], weights: npt.NDArray[np.float64]) -> None:
        self.rows, self.weights, self.size = rows, weights, len(rows)


class _TermIndex:
    """Inverted index of the window's term vectors, with document frequencies of live rows.

    A query walks the postings of its terms, so its cost follows how many window articles
    share its words, not the window size. Postings of terms in more than
    ``FREQUENT_SHARE`` of the window (and ``FREQUENT_MIN`` articles) are not walked: such
    terms still count in the cosine of every candidate another term found; so do the light
    terms of a query once its heavy ones are walked (see ``similar``). Evicted rows are
    dropped from the postings in one sweep once they pass a quarter of the live ones (amortised),
    and the live rows renumbered in order. A row's norm is recomputed with the current IDF
    while the window is small, and again whenever the window size drifted by ``NORM_DRIFT`` since.

    Rows, their times, norms and the postings are numpy arrays: a query's dot products are
    accumulated with ``np.add.at`` in the same order (term by term) as a loop would add them,
    so the cosines are the same floats, only computed in C.
    """

    def __init__(self) -> None:
        self.doc_freq: dict[str, int] = {}
        self.postings: dict[str, _Postings] = {}
        self.peak: dict[str, float] = {}  # largest unit-vector weight a row gave the term
        self.live = 0
        self.dead = 0
        self.normed_at = 0
        self.entries: list[_Entry] = []  # by row
        self.at = np.empty(0, dtype=np.float64)
        self.alive = np.empty(0, dtype=bool)
        self.norms = np.empty(0, dtype=np.float64)
        self.normed = np.empty(0, dtype=bool)  # norms[row] follows the last sweep's IDF
        self.changes = 0  # adds and kills: the IDF of every term is as it was while unchanged
        # The last ``similar`` query: (its terms, ``changes`` then, IDF-weighted terms, norm).
        self._query: tuple[dict[str, float], int, dict[str, float], float] | None = None

    def idf(self, term: str) -> float:
        return math.log((1.0 + self.live) / (1.0 + self.doc_freq.get(term, 0))) + 1.0

    def add(self, entry: _Entry) -> None:
        doc_freq, postings, peak = self.doc_freq, self.postings, self.peak
        row = entry.row = len(self.entries)
        self.entries.append(entry)
        if row == len(self.at):
            grow = max(64, row)
            self.at = np.concatenate((self.at, np.empty(grow)))
            self.alive = np.concatenate((self.alive, np.zeros(grow, dtype=bool)))
            self.norms = np.concatenate((self.norms, np.empty(grow)))
            self.normed = np.concatenate((self.normed, np.zeros(grow, dtype=bool)))
        self.changes += 1
        self.at[row] = entry.at
        self.alive[row] = True
        self.normed[row] = False
        self.live += 1
        # The postings, and the row's norm and unit vector from the same pass (as ``norm``
        # and ``unit`` would compute them: the same floats, the squares summed in order).
        top, log = 1.0 + self.live, math.log
        weighted: dict[str, float] = {}
        square = 0.0
        for term, weight in entry.terms.items():
            freq = doc_freq[term] = doc_freq.get(term, 0) + 1
            bucket = postings.get(term)
            if bucket is None:
                bucket = postings[term] = _Postings()
            size = bucket.size  # ``_Postings.append`` inlined: one call less per term
            if size == len(bucket.rows):
                bucket.append(row, weight)
            else:
                bucket.rows[size] = row
                bucket.weights[size] = weight
                bucket.size = size + 1
            weighted[term] = value = weight * (log(top / (1.0 + freq)) + 1.0)
            square += value ** 2
        norm = math.sqrt(square) or 1.0
        self.norms[row] = norm
        self.normed[row] = True
        unit = entry.unit = {}
        for term, value in weighted.items():
            unit[term] = value = value / norm
            if value > peak.get(term, 0.0):
                peak[term] = value

    def unit(self, terms: dict[str, float], norm: float | None = None) -> dict[str, float]:
        """``terms`` weighted with the window's IDF, as a unit vector (from the weights the
        last ``similar`` computed, when it was asked about these terms of the same window)."""
        last = self._query
        if norm is None and last is not None and last[0] is terms and last[1] == self.changes:
            query, query_norm = last[2], last[3]
            return {t: w / query_norm for t, w in query.items()}
        doc_freq, log, top = self.doc_freq, math.log, 1.0 + self.live
        weighted = {t: w * (log(top / (1.0 + doc_freq.get(t, 0))) + 1.0) for t, w in terms.items()}
        if norm is None:
            norm = math.sqrt(sum(w * w for w in weighted.values())) or 1.0
        return {t: w / norm for t, w in weighted.items()}

    def kill(self, entry: _Entry) -> None:
        if not entry.alive:
            return
        entry.alive = False
        self.changes += 1
        self.alive[entry.row] = False
        for term in entry.terms:
            left = self.doc_freq[term] - 1
            if left:
                self.doc_freq[term] = left
            else:
                del self.doc_freq[term]
        self.live -= 1
        self.dead += 1
        if self.dead > max(self.live // 4, COMPACT_MIN):  # walks skip at most 1 dead in 5
            self.compact()

    def compact(self) -> None:
        """Drop dead rows from the postings and number the live ones 0.. in their order."""
        used = len(self.entries)
        alive = self.alive[:used]
        kept = np.flatnonzero(alive)
        renumber = np.full(used, -1, dtype=np.int64)
        renumber[kept] = np.arange(len(kept), dtype=np.int64)
        # Every posting filtered in one numpy pass over all of them, then cut back per term
        # (per-term numpy calls were most of a sweep's cost: the window has many terms).
        terms = list(self.postings)
        buckets = [self.postings[term] for term in terms]
        if buckets:
            sizes = np.fromiter((b.size for b in buckets), dtype=np.int64, count=len(buckets))
            rows = np.concatenate([b.rows[:b.size] for b in buckets])
            weights = np.concatenate([b.weights[:b.size] for b in buckets])
            live = alive[rows]
            ends = np.cumsum(live)[np.cumsum(sizes) - 1].tolist()
            rows, weights = renumber[rows[live]], weights[live]
            begin = 0
            for term, bucket, end in zip(terms, buckets, ends, strict=True):
                if end > begin:
                    bucket.replace(rows[begin:end], weights[begin:end])
                else:
                    del self.postings[term]
                    self.peak.pop(term, None)
                begin = end
        self.entries = [self.entries[row] for row in kept.tolist()]
        for row, entry in enumerate(self.entries):
            entry.row = row
        size = max(64, 2 * len(kept))
        for name in ("at", "alive", "norms", "normed"):
            old = getattr(self, name)
            new = np.zeros(size, dtype=old.dtype)
            new[:len(kept)] = old[kept]
            setattr(self, name, new)
        self.dead = 0

    def norm(self, entry: _Entry) -> float:
        """The row's norm under the IDF of the last sweep (see ``renorm``)."""
        row = entry.row
        if not self.normed[row]:
            doc_freq, log, top = self.doc_freq, math.log, 1.0 + self.live
            self.norms[row] = math.sqrt(sum(
                (w * (log(top / (1.0 + doc_freq.get(t, 0))) + 1.0)) ** 2
                for t, w in entry.terms.items())) or 1.0
            self.normed[row] = True
        return float(self.norms[row])

    def renorm(self) -> None:
        """Row norms follow the IDF exactly in a small window, then after each
        ``NORM_DRIFT`` change of its size (one sweep: amortised per article)."""
        live = self.live
        if live >= EXACT_NORM_BELOW and abs(live - self.normed_at) <= NORM_DRIFT * live:
            return
        self.normed_at = live
        self.normed[:] = False

    def similar(
        self, terms: dict[str, float], at: float, span: float, floor: float
    ) -> list[tuple[_Entry, float]]:
        """Live rows within ``span`` seconds of ``at`` whose cosine reaches ``floor``, in the
        order the walk first reached them."""
        if not terms or not self.live:
            return []
        doc_freq, log, top = self.doc_freq, math.log, 1.0 + self.live
        unseen = log(top / 1.0) + 1.0  # the IDF of a term no live row has
        query: dict[str, float] = {}
        present: list[tuple[str, float, float]] = []  # (term, query weight, IDF) in the window
        square = 0.0  # added up in order, as ``sum`` would
        for t, w in terms.items():
            freq = doc_freq.get(t)
            if freq is None:
                query[t] = weight = w * unseen
            else:
                idf = log(top / (1.0 + freq)) + 1.0
                query[t] = weight = w * idf
                present.append((t, weight, idf))
            square += weight * weight
        query_norm = math.sqrt(square) or 1.0
        self._query = (terms, self.changes, query, query_norm)
        # Most promising terms first. A row none of them reached scores at most what the
        # rest of the query can add, each term at most its query weight times the largest
        # weight any row gives it (MaxScore): once that bound is under ``floor``, the other
        # terms only add to rows already found, and only to rows they can still lift over
        # ``floor``. Exact up to the IDF drift ``PEAK_SLACK`` covers.
        peak = self.peak
        bounds: list[float] = []
        for t, weight, _ in present:
            slack = PEAK_SLACK * peak.get(t, 1.0)
            bounds.append(weight / query_norm * (slack if slack < 1.0 else 1.0))  # min(1, slack)
        order = sorted(range(len(present)), key=bounds.__getitem__, reverse=True)
        # rest[i]: the bounds of order[i:], summed from the last one (as a loop back would)
        rest = list(itertools.accumulate([bounds[i] for i in reversed(order)], initial=0.0))
        rest.reverse()
        cap = max(FREQUENT_MIN, FREQUENT_SHARE * self.live)
        walked: list[tuple[_Postings, float]] = []
        looked_up: list[tuple[_Postings, float]] = []
        walked_terms: list[str] = []
        headroom = 0.0
        postings = self.postings
        for i, at_order in enumerate(order):
            term, weight, idf = present[at_order]
            pair = (postings[term], weight * idf)
            if i >= WALK_TERMS or rest[i] < floor or doc_freq[term] > cap:
                looked_up.append(pair)
                headroom += bounds[at_order]
            else:
                walked.append(pair)
                walked_terms.append(term)
        if not walked:
            return []
        dots = np.zeros(len(self.entries))
        rows = _scatter(dots, walked)  # what the walk reached, ascending (a sort of its few
        # rows: ``flatnonzero`` of the window-long dots was most of the scatter's cost)
        rows = rows[self.alive[rows] & ~(np.abs(self.at[rows] - at) > span)]
        stale = rows[~self.normed[rows]]
        if len(stale):
            self._renorm_rows(stale.tolist())
        scale = query_norm * self.norms[rows]
        hopeful = ~(dots[rows] / scale + headroom < floor)
        rows, scale = rows[hopeful], scale[hopeful]
        if not len(rows):
            return []
        if looked_up:
            _scatter(dots, looked_up, rows)
        similarity = dots[rows] / scale
        close = similarity >= floor
        entries = self.entries
        found = [(entries[row], value) for row, value in zip(
            rows[close].tolist(), similarity[close].tolist(), strict=True)]
        if len(found) > 1:  # rows ascend; the walk reached them term by term
            found.sort(key=lambda hit: next(
                i for i, term in enumerate(walked_terms) if term in hit[0].terms))
        return found

    def _renorm_rows(self, rows: list[int]) -> None:
        """``norm`` of several rows under one IDF (rows share most of their terms)."""
        doc_freq, log, top = self.doc_freq, math.log, 1.0 + self.live
        idf: dict[str, float] = {}
        norms, entries = self.norms, self.entries
        for row in rows:
            terms = entries[row].terms
            for t in terms:
                if t not in idf:
                    idf[t] = log(top / (1.0 + doc_freq.get(t, 0))) + 1.0
            norms[row] = math.sqrt(sum((w * idf[t]) ** 2 for t, w in terms.items())) or 1.0
        self.normed[rows] = True


def _scatter(
    dots: npt.NDArray[np.float64], postings: list[tuple[_Postings, float]],
    only: npt.NDArray[np.int64] | None = None,
) -> npt.NDArray[np.int64]:
    """Add ``weight * row weight`` of each posting to ``dots``, posting after posting (so each
    row's sum is added up in the same order as a loop over the terms would). With ``only``
    (ascending rows), a posting much longer than it adds to those rows alone: a common term's
    postings span the window, the candidates are a few rows of it. Returns the rows added
    to (without ``only``: ascending, each once)."""
    rows: list[npt.NDArray[np.int64]] = []
    weights: list[npt.NDArray[np.float64]] = []
    for bucket, _ in postings:
        these, those = bucket.rows[:bucket.size], bucket.weights[:bucket.size]
        if only is not None and bucket.size > LONG_POSTING * len(only):
            at = np.minimum(np.searchsorted(these, only), bucket.size - 1)
            hit = these[at] == only
            these, those = only[hit], those[at[hit]]
        rows.append(these)
        weights.append(those)
    query = np.repeat([weight for _, weight in postings], [len(r) for r in rows])
    reached = np.concatenate(rows)
    np.add.at(dots, reached, query * np.concatenate(weights))
    if only is not None or not len(reached):
        return reached
    reached.sort()
    return reached[np.concatenate(([True], reached[1:] != reached[:-1]))]


class StoryIndex:
    """Incremental grouping over a time window of recent articles (one per worker process).

    ``assign`` answers where an article belongs without changing anything; ``add`` records the
    decision. Callers serialise ``assign`` + story creation + ``add`` across workers (see
    ``shared.store``), after catching the index up with assignments other workers made.
    """

    def __init__(self, params: GroupingParams | None = None) -> None:
        self.params = params or GroupingParams()
        self._features = _Featurizer()
        self._by_key: dict[ArticleKey, _Entry] = {}
        self._by_link: dict[str, _Entry] = {}
        self._lsh = MinHashLSH(
            threshold=self.params.syndicated_threshold, num_perm=MINHASH_PERMUTATIONS
        )
        self._minhashes: dict[ArticleKey, MinHash] = {}
        self._vectors = _TermIndex()
        self._centroids: dict[StoryId, _Centroid] = {}
        self._ages: list[tuple[float, int, ArticleKey]] = []  # heap: oldest first
        self._added = 0
        self._newest = 0.0
        self._last: tuple[StoryArticle, _Features] | None = None
        # id(article) -> (article, plain text, terms, title, signature), from ``prepare``
        self._prepared: dict[int, tuple[StoryArticle, StoryArticle, dict[str, float],
                                        frozenset[str], MinHash | None]] = {}
        self._capitalised: dict[str, int] = {}  # live articles writing the stem as a name
        self._big: dict[StoryId, frozenset[str]] = {}  # big stories and their names
        self._big_at = -BIG_STORIES_EVERY
        # Big-story names as last computed, with the centroid and its ``changes`` then and the
        # lightest name's weight; the stems added or evicted since (their name test may have
        # changed); the stems that passed the name test at the last refresh.
        self._big_names: dict[StoryId, tuple[_Centroid, int, frozenset[str], float]] = {}
        self._touched: set[str] = set()
        self._names_then: set[str] = set()
        self._last_link = ("", canonical_url(""))

    def __len__(self) -> int:
        return len(self._by_key)

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def story_of(self, key: ArticleKey) -> StoryId | None:
        entry = self._by_key.get(key)
        return entry.story_id if entry else None

    def relabel(self, key: ArticleKey, story_id: StoryId) -> None:
        """Give a recorded article its real story id (the caller numbered new stories itself).

        The big-story list caches the story's names under its id: they follow the story (or
        are dropped if it joins one already listed), else the temporary id would hide it."""
        entry = self._by_key.get(key)
        if entry is not None and entry.story_id != story_id:
            names = self._big.pop(entry.story_id, None)
            if names is not None:
                self._big.setdefault(story_id, names)
        if entry is not None and entry.story_id in self._centroids:
            moved = self._centroids.pop(entry.story_id)
            kept = self._centroids.get(story_id)
            if kept is None:
                self._centroids[story_id] = moved
            elif entry.unit is not None:  # the rest of ``moved`` follows with its articles
                moved.include(entry.unit, -1.0)
                kept.include(entry.unit)
                if moved.size > 0:
                    self._centroids[entry.story_id] = moved
        if entry is not None:
            entry.story_id = story_id

    def assign(self, article: StoryArticle) -> Assignment:
        """The story this article joins (or NEW) and the evidence, without recording it."""
        known = self._by_key.get(article.key)
        if known is not None:
            return Assignment(known.story_id, Reason.EXACT_LINK, known.article.key, 1.0)
        span = self.params.window.total_seconds()
        at = article.seen_at.timestamp()
        linked = self._by_link.get(self._link(article.url))
        if linked is not None and abs(linked.at - at) <= span:
            return Assignment(linked.story_id, Reason.EXACT_LINK, linked.article.key, 1.0)
        features = self._features_of(article)
        copy = self._syndicated(article, features, at, span)
        if copy is not None:
            return Assignment(copy.story_id, Reason.SYNDICATED, copy.key, copy.similarity)
        event = self._same_event(article, features, at, span)
        if event is not None:
            return Assignment(event.story_id, Reason.SAME_EVENT, event.key, event.similarity)
        return Assignment(None, Reason.NEW)

    def add(self, article: StoryArticle, story_id: StoryId) -> None:
        """Record an assigned article; evicts what fell out of the window meanwhile."""
        if article.key in self._by_key:
            return
        features = self._features_of(article)
        at = article.seen_at.timestamp()
        entry = _Entry(article=article, story_id=story_id, link=self._link(article.url),
                       at=at, terms=features.terms, title=features.title, names=features.names,
                       capitalised=features.capitalised)
        self._count_names(entry.capitalised, 1)
        self._by_key[article.key] = entry
        self._by_link.setdefault(entry.link, entry)
        if features.minhash is not None:
            self._minhashes[article.key] = features.minhash
            self._lsh.insert(article.key, features.minhash, check_duplication=False)
        self._vectors.add(entry)
        self._vectors.renorm()
        self._touched.update(entry.terms, entry.capitalised)
        if entry.unit is not None:
            self._centroids.setdefault(story_id, _Centroid({})).include(entry.unit)
        self._added += 1
        heapq.heappush(self._ages, (at, self._added, article.key))
        self._newest = max(self._newest, at)
        self.evict(self._newest - 1.5 * self.params.window.total_seconds())

    def evict(self, before: float) -> int:
        """Forget articles seen before ``before`` (epoch seconds); returns how many."""
        evicted = 0
        ages = self._ages
        while ages and ages[0][0] < before:
            _, _, key = heapq.heappop(ages)
            entry = self._by_key.pop(key, None)
            if entry is None:
                continue
            if self._by_link.get(entry.link) is entry:
                del self._by_link[entry.link]
            if self._minhashes.pop(key, None) is not None:
                self._lsh.remove(key)
            self._vectors.kill(entry)
            self._count_names(entry.capitalised, -1)
            self._touched.update(entry.terms, entry.capitalised)
            centroid = self._centroids.get(entry.story_id)
            if centroid is not None and entry.unit is not None:
                centroid.include(entry.unit, -1.0)
                if centroid.size <= 0:
                    del self._centroids[entry.story_id]
            evicted += 1
        if evicted:
            logger.debug("story window evicted %d articles, %d left", evicted, len(self))
        return evicted

    def _count_names(self, stems: frozenset[str], step: int) -> None:
        counts = self._capitalised
        for stem in stems:
            left = counts.get(stem, 0) + step
            if left > 0:
                counts[stem] = left
            else:
                counts.pop(stem, None)

    def _is_name(self, stem: str) -> bool:
        """The window mostly writes it capitalised inside sentences: a name, not a word."""
        written = self._capitalised.get(stem, 0)
        return written > 0 and written >= NAME_SHARE * self._vectors.doc_freq.get(stem, 0)

    def _link(self, url: str) -> str:
        """The canonical link; the last one is kept, as ``assign`` then ``add`` ask twice."""
        if self._last_link[0] != url:
            self._last_link = (url, canonical_url(url))
        return self._last_link[1]

    def prepare(self, articles: Sequence[StoryArticle]) -> None:
        """Featurise articles about to be assigned or added, their MinHash signatures in one
        numpy pass (per article the numpy overhead was most of a signature's cost).

        Only what does not depend on the window is computed ahead (names do: the window says
        which capitalised words are names); ``assign``/``add`` of these objects use it."""
        texts = [replace(a, summary=plain_text(a.summary)) for a in articles]
        found = [self._features.features(text) for text in texts]
        copies = [shingles for _, _, shingles in found if len(shingles) >= MIN_SHINGLES]
        signatures = iter(MinHash.batch(copies, self._minhash([])))
        self._prepared = {}  # what an earlier batch left unused (articles seen twice)
        for article, text, (terms, title, shingles) in zip(articles, texts, found, strict=True):
            minhash = next(signatures) if len(shingles) >= MIN_SHINGLES else None
            self._prepared[id(article)] = (article, text, terms, title, minhash)

    def _features_of(self, article: StoryArticle) -> _Features:
        """Computed once per article: ``assign`` then ``add`` of one article reuse them."""
        if self._last is not None and self._last[0] is article:
            return self._last[1]
        prepared = self._prepared.pop(id(article), None)
        if prepared is not None and prepared[0] is article:
            _, text, terms, title, minhash = prepared
        else:
            # Feed summaries carry HTML: its markup ("img src https") is no evidence of anything.
            text = replace(article, summary=plain_text(article.summary))
            terms, title, shingles = self._features.features(text)
            minhash = self._minhash(shingles) if len(shingles) >= MIN_SHINGLES else None
        names, seen = self._features.names(text, self._is_name)
        features = _Features(terms, title, minhash, names, seen)
        self._last = (article, features)
        return features

    def _minhash(self, shingles: Iterable[bytes]) -> MinHash:
        seeded = _seeded_minhash()
        minhash = MinHash(num_perm=MINHASH_PERMUTATIONS, permutations=seeded.permutations,
                          scheme=seeded.scheme, hashfunc=zlib.crc32)
        minhash.update_batch(shingles)
        return minhash

    def _syndicated(
        self, article: StoryArticle, features: _Features, at: float, span: float
    ) -> _Candidate | None:
        minhash = features.minhash
        if minhash is None:
            return None
        best: _Candidate | None = None
        for key in self._lsh.query(minhash):
            entry = self._by_key[key]
            if abs(entry.at - at) > span or self._boilerplate_only(
                article, features.title, entry
            ):
                continue
            jaccard = float(minhash.jaccard(self._minhashes[key]))
            if jaccard >= self.params.syndicated_threshold and (
                best is None or jaccard > best.similarity
            ):
                best = _Candidate(entry.story_id, key, jaccard)
        return best

    @staticmethod
    def _boilerplate_only(article: StoryArticle, title: frozenset[str], other: _Entry) -> bool:
        """One feed's boilerplate ("Continue reading...", "Comments") makes its summaries
        alike; its real follow-ups on one event also share a word in their headlines."""
        if article.outlet != other.article.outlet:
            return False
        return len(title & other.title) < MIN_SHARED_TITLE_TERMS

    def _same_event(
        self, article: StoryArticle, features: _Features, at: float, span: float
    ) -> _Candidate | None:
        threshold = self.params.event_threshold
        hits = self._vectors.similar(features.terms, at, span, min(threshold, DEVELOPING_FLOOR))
        unit = self._vectors.unit(features.terms)
        kept: list[tuple[_Entry, float]] = []
        for entry, sim in sorted(hits, key=lambda hit: -hit[1]):
            if (self._boilerplate_only(article, features.title, entry)
                    or _actors_only(unit, features, at, entry, sim)
                    or _other_actors(features.title, features.names, features.terms, entry, sim)):
                continue
            kept.append((entry, sim))
            if sim < threshold:
                continue
            # Single links chain: a round-up close to one member of a big story is not its
            # next development unless it is close to what the story's articles share.
            centroid = self._centroids.get(entry.story_id)
            if centroid is not None and (
                    (centroid.size >= CENTROID_MIN_SIZE
                     and centroid.cosine(unit) < self.params.story_threshold)
                    or _new_headline(unit, features.title, centroid, sim)
                    or self._elsewhere(features.title & features.names, centroid, sim)):
                continue
            return _Candidate(entry.story_id, entry.article.key, sim)
        return self._developing(unit, features.title, kept, features.names)

    def _developing(self, unit: dict[str, float], title: frozenset[str],
                    hits: list[tuple[_Entry, float]],
                    names: frozenset[str] = frozenset()) -> _Candidate | None:
        """The big story whose centroid is closest, if close enough (see DEVELOPING_*)."""
        candidates: dict[StoryId, ArticleKey | None] = {}
        for entry, _ in hits:  # closest member first: the evidence named with the answer
            candidates.setdefault(entry.story_id, entry.article.key)
        named = {t for t in title if len(t) > 2 and self._is_name(t)}
        for story_id, story_names in self._big_stories().items():
            if story_id not in candidates and (not named or named & story_names):
                candidates[story_id] = None
        best: _Candidate | None = None
        position = {t: i for i, t in enumerate(unit)}
        for story_id, key in candidates.items():
            centroid = self._centroids.get(story_id)
            if centroid is None or centroid.size < DEVELOPING_MIN_SIZE:
                continue
            closeness = centroid.cosine(unit, position)
            if (closeness >= DEVELOPING_THRESHOLD and (best is None or closeness > best.similarity)
                    and not _new_headline(unit, title, centroid, closeness)
                    and not self._elsewhere(title & names, centroid, closeness)):
                best = _Candidate(story_id, key, closeness)
        return best

    def _elsewhere(self, named: frozenset[str], centroid: _Centroid, similarity: float) -> bool:
        """The headline names people or places, none of them the big story's own (its
        STORY_NAMES heaviest names), and the report is only loosely close: the same kind of
        event elsewhere ("object shot down over Canada" beside the Alaska one's story), found
        through a member whose headline named no place ("second object shot down")."""
        if centroid.size < NEW_HEADLINE_MIN_SIZE or similarity >= ELSEWHERE_SIMILARITY:
            return False
        named = frozenset(t for t in named if len(t) > 2)  # not initials ("U.S."): too common
        return bool(named) and not named & self._story_names(centroid.weights)

    def _big_stories(self) -> dict[StoryId, frozenset[str]]:
        """Stories of BIG_STORY_SIZE articles and their STORY_NAMES heaviest names, refreshed
        every BIG_STORIES_EVERY articles (amortised).

        A story's names are computed again only if its centroid changed since, or one of its
        terms passed or lost the name test (``_is_name``) meanwhile: the same names as a full
        recount, in the same (centroid) order, for a fraction of the work."""
        if self._added - self._big_at >= BIG_STORIES_EVERY:
            self._big_at = self._added
            flipped = self._flipped_names()
            cached, fresh = self._big_names, {}
            for story_id, centroid in self._centroids.items():
                if centroid.size < BIG_STORY_SIZE:
                    continue
                known = cached.get(story_id)
                if (known is None or known[0] is not centroid or known[1] != centroid.changes
                        or self._names_moved(centroid.weights, known[2], known[3], flipped)):
                    names = self._story_names(centroid.weights)
                    cut = (min(centroid.weights[t] for t in names) if len(names) == STORY_NAMES
                           else -math.inf)
                    known = (centroid, centroid.changes, names, cut)
                fresh[story_id] = known
            self._big_names = fresh
            self._big = {story_id: known[2] for story_id, known in fresh.items()}
        return self._big

    def _names_moved(self, weights: dict[str, float], names: frozenset[str], cut: float,
                     flipped: set[str]) -> bool:
        """Whether a story's names (the STORY_NAMES heaviest, ties in centroid order) change
        when the ``flipped`` stems pass or lose the name test: one of its names is no longer
        one, or a new name weighs at least its lightest (``cut``)."""
        now = self._names_then
        return any(t in names or (t in now and weights[t] >= cut)
                   for t in weights.keys() & flipped)

    def _flipped_names(self) -> set[str]:
        """Stems added or evicted since the last refresh whose name test changed meanwhile
        (a stem the window never capitalises is no name: ``_is_name`` is asked of the others)."""
        then, flipped, touched = self._names_then, set(), self._touched
        for stem in (touched & self._capitalised.keys()) | (touched & then):
            now = len(stem) > 2 and self._is_name(stem)
            if now != (stem in then):
                flipped.add(stem)
                if now:
                    then.add(stem)
                else:
                    then.discard(stem)
        self._touched = set()
        return flipped

    def _story_names(self, weights: dict[str, float]) -> frozenset[str]:
        """The STORY_NAMES heaviest terms of ``weights`` that are names (``_is_name`` inlined).

        A stem never written capitalised is no name, so the names are looked for among the
        centroid's terms that the window capitalises (one set intersection in C). Which of
        equal weights ``nlargest`` keeps depends on the terms' order: on a tie at the cut, the
        terms are walked in the centroid's order, as they always were."""
        written, freq = self._capitalised, self._vectors.doc_freq
        # Heaviest first (a stable sort in C, as ``nlargest`` orders), tested until
        # STORY_NAMES + 1 names are found: a big centroid has thousands of terms, its names
        # are among the heaviest, and the name test is the Python part.
        heavy = sorted(weights.keys() & written.keys(), key=weights.__getitem__, reverse=True)
        top: list[str] = []
        for t in heavy:
            if len(t) > 2 and written[t] >= NAME_SHARE * freq.get(t, 0):
                top.append(t)
                if len(top) > STORY_NAMES:
                    break
        if len(top) > STORY_NAMES and weights[top[-1]] == weights[top[-2]]:
            kept = {t for t in heavy if len(t) > 2 and written[t] >= NAME_SHARE * freq.get(t, 0)}
            top = heapq.nlargest(STORY_NAMES + 1, (t for t in weights if t in kept),
                                 key=weights.__getitem__)
        return frozenset(top[:STORY_NAMES])


def _headline_share(unit: dict[str, float], title: frozenset[str], centroid: _Centroid) -> float:
    """How much of what the report shares with the story's words its headline words give."""
    weights = centroid.weights
    shared = {t: value * weights[t] for t, value in unit.items() if t in weights}
    total = sum(shared.values())
    if total <= 0.0:
        return 1.0
    return sum(v for t, v in shared.items() if t in title) / total


def _new_headline(unit: dict[str, float], title: frozenset[str], centroid: _Centroid,
                  similarity: float) -> bool:
    """The headline's words give little of what the report shares with a big story: its news
    is something else, the story only its background (see NEW_HEADLINE_*)."""
    return (centroid.size >= NEW_HEADLINE_MIN_SIZE and similarity < NEW_HEADLINE_SIMILARITY
            and _headline_share(unit, title, centroid) < NEW_HEADLINE_SHARE)


def _actors_only(unit: dict[str, float], features: _Features, at: float, other: _Entry,
                 similarity: float) -> bool:
    """Two reports share only who is in them ("Pence subpoenaed" / "FBI searches Pence's home"):
    the same actors in two events. One event's reports also share what happened (words that
    are not names) unless the names alone are rare enough to make them very close, or the
    reports come within hours (the actors meeting: "Lavrov lands in Pyongyang"). A word of
    what happened that both headlines carry ("Kim's train leaves for Vladivostok summit" /
    "Putin will host Kim for a summit") is the story continuing: half the evidence will do."""
    if similarity >= ACTORS_ONLY_SIMILARITY or other.unit is None:
        return False
    actors = features.names | other.names
    if not actors:
        return False
    theirs = other.unit
    if abs(at - other.at) <= ACTORS_ONLY_HOURS * 3600:
        return False
    event = sum(w * theirs[t] for t, w in unit.items() if t in theirs and t not in actors)
    if event >= ACTORS_ONLY_EVENT_MIN:
        return False
    headline = (features.title & other.title) - actors
    return not (headline and event >= ACTORS_ONLY_HEADLINE_MIN)


def _other_actors(title: frozenset[str], names: frozenset[str], terms: dict[str, float],
                  other: _Entry, similarity: float) -> bool:
    """The headlines name other actors or places, neither report names the other's at all
    ("object shot down over Alaska" / "... over Canada"): two events of one kind. Reports of
    one event name the same ones somewhere, in other forms too ("Pyongyang", "North Korea")."""
    if similarity >= ACTORS_ONLY_SIMILARITY:
        return False
    actors = names | other.names
    ours = {t for t in title & actors if len(t) > 2}  # not initials ("U.S."): too common
    theirs = {t for t in other.title & actors if len(t) > 2}
    return (bool(ours) and bool(theirs) and not any(t in other.terms for t in ours)
            and not any(t in terms for t in theirs))


@functools.cache
def _seeded_minhash() -> MinHash:
    """Its random permutations are drawn once per process (a MinHash would redraw them per object).

    Shingles are hashed with CRC-32 (C speed; SHA-1 per shingle was most of the MinHash cost):
    the random affine permutations on top make it as good for Jaccard estimates, and
    signatures never leave the process."""
    return MinHash(num_perm=MINHASH_PERMUTATIONS)


def group(articles: Iterable[StoryArticle], params: GroupingParams | None = None) -> dict[
    ArticleKey, tuple[StoryId, Assignment]
]:
    """Group a batch in arrival order (evaluation, benchmarks, backfills); story ids from 1."""
    index = StoryIndex(params)
    result: dict[ArticleKey, tuple[StoryId, Assignment]] = {}
    next_id = 1
    for article in articles:
        assignment = index.assign(article)
        story_id = assignment.story_id
        if story_id is None:
            story_id, next_id = next_id, next_id + 1
        index.add(article, story_id)
        result[article.key] = (story_id, assignment)
    return result
