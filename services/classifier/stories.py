"""Story grouping: decide which story an incoming article belongs to, and why.

Forty outlets reporting one event must cost the user one alert, so every article is put in a
story before deliveries are routed. Three tests run in order, cheapest and surest first:

1. ``exact_link``  -- the canonical link (tracking parameters, ``www.``/``m.``, AMP, fragments
   and default ports removed) was already seen: the same article again.
2. ``syndicated``  -- the text is a near copy (wire copy under another outlet): MinHash over word
   shingles, candidates from an LSH index (datasketch), kept above a Jaccard estimate.
3. ``same_event``  -- another outlet's own words about the same event: TF-IDF cosine over stemmed
   words (scikit-learn's FeatureHasher, IDF from the live window), names and numbers counted
   twice, news boilerplate ("on Tuesday", "state media", "officials said") dropped. Actors alone
   ("North Korea", "Russia") are common in a monitoring window, so their IDF is low and two
   different events that share them stay apart unless their specific facts (places, weapons,
   figures) also overlap. Word pairs were tried and dropped: they diluted the cosine of reports
   written in different words more than they separated events.

The engine is incremental and in-memory: state is the window of recent articles (default 72h),
rebuilt from the database on start (``StoryIndex.add`` for each recent assigned article). It
never writes: the caller creates story rows and then calls ``add`` with the id it got.
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

import numpy as np
import scipy.sparse as sp
import Stemmer
from datasketch import MinHash, MinHashLSH
from numpy.typing import NDArray
from sklearn.feature_extraction import FeatureHasher
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from shared.urls import story_url

logger = logging.getLogger(__name__)

ArticleKey = Hashable
StoryId = int

# --- named defaults (StoriesConfig in shared/config.py overrides the user-facing ones) ------
DEFAULT_WINDOW = timedelta(hours=72)
DEFAULT_SYNDICATED_THRESHOLD = 0.5  # MinHash Jaccard estimate over word 3-shingles
DEFAULT_EVENT_THRESHOLD = 0.27  # TF-IDF cosine to the closest article of a story; the top of
# the 0.22-0.27 plateau on our corpus: when unsure, split (a duplicate alert beats a missed story)
MINHASH_PERMUTATIONS = 128
SHINGLE_WORDS = 3
MIN_SHINGLES = 8  # shorter texts are too small to call a copy
MIN_SHARED_TITLE_TERMS = 1  # same-outlet same-event matches share a headline word
HASH_FEATURES = 2**20
SEAL_EVERY = 256  # rows kept in the fresh buffer before the matrix is rebuilt
TITLE_WEIGHT = 2.0  # a headline term counts as much as two body mentions
NAME_WEIGHT = 1.0  # extra weight of capitalised words and figures (names, places, numbers)


_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
_NAME = re.compile(r"\b(?:[A-Z][\w’'-]*|\d[\w.,-]*)")
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
    """Text -> shingles (copy detection) and hashed stemmed terms (event similarity)."""

    def __init__(self) -> None:
        self._stemmer = Stemmer.Stemmer("english")
        self._hasher = FeatureHasher(
            n_features=HASH_FEATURES, input_type="dict", alternate_sign=False
        )

    def shingles(self, article: StoryArticle) -> list[bytes]:
        words = _words(article.summary)
        if len(words) < 20:
            words = _words(article.title) + words
        return [
            " ".join(words[i : i + SHINGLE_WORDS]).encode()
            for i in range(len(words) - SHINGLE_WORDS + 1)
        ]

    def term_counts(self, article: StoryArticle) -> dict[str, float]:
        counts: dict[str, float] = {}
        for text, weight in ((article.title, TITLE_WEIGHT), (article.summary, 1.0)):
            names = " ".join(_NAME.findall(text))
            for words, boost in ((text, weight), (names, weight * NAME_WEIGHT)):
                for term in self._stems(words):
                    counts[term] = counts.get(term, 0.0) + boost
        return {term: 1.0 + math.log(count) for term, count in counts.items()}

    def title_terms(self, article: StoryArticle) -> frozenset[str]:
        return frozenset(self._stems(article.title))

    def _stems(self, text: str) -> list[str]:
        stems: list[str] = self._stemmer.stemWords([w for w in _words(text) if w not in _STOP])
        return stems

    def vector(self, article: StoryArticle) -> sp.csr_matrix:
        """Sublinear term frequencies, hashed; IDF is applied later from the live window."""
        matrix: sp.csr_matrix = self._hasher.transform([self.term_counts(article)]).tocsr()
        matrix.sum_duplicates()
        return matrix


# --- the window index ---------------------------------------------------------------------


@dataclass(slots=True)
class _Entry:
    article: StoryArticle
    story_id: StoryId
    link: str
    features: NDArray[np.int32]
    weights: NDArray[np.float64]
    alive: bool = True


@dataclass(slots=True)
class _Candidate:
    story_id: StoryId
    key: ArticleKey
    similarity: float


@dataclass
class _VectorWindow:
    """Rows of term vectors with document frequencies over the live rows.

    Old rows sit in a column-major matrix weighted with the IDF of the moment it was sealed
    (``X[:, terms]`` touches only the query's columns); rows added since then are weighted with
    the current IDF on every query. Sealing happens every ``SEAL_EVERY`` additions and also
    drops evicted rows, so the cost per article stays flat in the window size.
    """

    entries: list[_Entry] = field(default_factory=list)
    doc_freq: NDArray[np.float64] = field(
        default_factory=lambda: np.zeros(HASH_FEATURES, dtype=np.float64)
    )
    live: int = 0
    sealed: sp.csc_matrix | None = None
    sealed_rows: int = 0
    times: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))

    def idf(self, features: NDArray[np.int32]) -> NDArray[np.float64]:
        result: NDArray[np.float64] = (
            np.log((1.0 + self.live) / (1.0 + self.doc_freq[features])) + 1.0
        )
        return result

    def add(self, entry: _Entry) -> None:
        self.entries.append(entry)
        self.doc_freq[entry.features] += 1.0
        self.live += 1
        if len(self.entries) - self.sealed_rows >= SEAL_EVERY:
            self.seal()

    def kill(self, entry: _Entry) -> None:
        if entry.alive:
            entry.alive = False
            self.doc_freq[entry.features] -= 1.0
            self.live -= 1

    def seal(self) -> None:
        """Rebuild the column matrix from live rows with today's IDF (drops evicted rows)."""
        self.entries = [e for e in self.entries if e.alive]
        self.sealed = self._matrix(self.entries).tocsc() if self.entries else None
        self.sealed_rows = len(self.entries)
        self.times = np.array([e.article.seen_at.timestamp() for e in self.entries])

    def _matrix(self, entries: Sequence[_Entry]) -> sp.csr_matrix:
        data = [e.weights * self.idf(e.features) for e in entries]
        norms = [float(np.linalg.norm(d)) or 1.0 for d in data]
        indptr = np.cumsum([0] + [len(e.features) for e in entries])
        return sp.csr_matrix(
            (
                np.concatenate([d / n for d, n in zip(data, norms, strict=True)]),
                np.concatenate([e.features for e in entries]),
                indptr,
            ),
            shape=(len(entries), HASH_FEATURES),
        )

    def similar(
        self, features: NDArray[np.int32], weights: NDArray[np.float64], at: float, span: float,
        floor: float,
    ) -> list[tuple[_Entry, float]]:
        """Live rows within ``span`` seconds of ``at`` whose cosine reaches ``floor``."""
        if len(features) == 0 or not self.entries:
            return []
        query = weights * self.idf(features)
        query = query / (float(np.linalg.norm(query)) or 1.0)
        found: list[tuple[_Entry, float]] = []
        if self.sealed is not None and self.sealed_rows:
            sims = np.asarray(self.sealed[:, features] @ query).ravel()
            hits = np.flatnonzero((sims >= floor) & (np.abs(self.times - at) <= span))
            found.extend((self.entries[i], float(sims[i])) for i in hits)
        fresh = self.entries[self.sealed_rows :]
        if fresh:
            sims = np.asarray(self._matrix(fresh)[:, features] @ query).ravel()
            for entry, sim in zip(fresh, sims, strict=True):
                if sim >= floor and abs(entry.article.seen_at.timestamp() - at) <= span:
                    found.append((entry, float(sim)))
        return [(e, s) for e, s in found if e.alive]


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
        self._vectors = _VectorWindow()
        self._newest = 0.0

    def __len__(self) -> int:
        return len(self._by_key)

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def story_of(self, key: ArticleKey) -> StoryId | None:
        entry = self._by_key.get(key)
        return entry.story_id if entry else None

    def assign(self, article: StoryArticle) -> Assignment:
        """The story this article joins (or NEW) and the evidence, without recording it."""
        known = self._by_key.get(article.key)
        if known is not None:
            return Assignment(known.story_id, Reason.EXACT_LINK, known.article.key, 1.0)
        span = self.params.window.total_seconds()
        at = article.seen_at.timestamp()
        linked = self._by_link.get(canonical_url(article.url))
        if linked is not None and abs(linked.article.seen_at.timestamp() - at) <= span:
            return Assignment(linked.story_id, Reason.EXACT_LINK, linked.article.key, 1.0)
        copy = self._syndicated(article, at, span)
        if copy is not None:
            return Assignment(copy.story_id, Reason.SYNDICATED, copy.key, copy.similarity)
        event = self._same_event(article, at, span)
        if event is not None:
            return Assignment(event.story_id, Reason.SAME_EVENT, event.key, event.similarity)
        return Assignment(None, Reason.NEW)

    def add(self, article: StoryArticle, story_id: StoryId) -> None:
        """Record an assigned article; evicts what fell out of the window meanwhile."""
        if article.key in self._by_key:
            return
        vector = self._features.vector(article)
        entry = _Entry(
            article=article,
            story_id=story_id,
            link=canonical_url(article.url),
            features=vector.indices.astype(np.int32),
            weights=vector.data.astype(np.float64),
        )
        self._by_key[article.key] = entry
        self._by_link.setdefault(entry.link, entry)
        shingles = self._features.shingles(article)
        if len(shingles) >= MIN_SHINGLES:
            minhash = self._minhash(shingles)
            self._minhashes[article.key] = minhash
            self._lsh.insert(article.key, minhash, check_duplication=False)
        self._vectors.add(entry)
        self._newest = max(self._newest, article.seen_at.timestamp())
        self.evict(self._newest - 1.5 * self.params.window.total_seconds())

    def evict(self, before: float) -> int:
        """Forget articles seen before ``before`` (epoch seconds); returns how many."""
        old = [e for e in self._by_key.values() if e.article.seen_at.timestamp() < before]
        for entry in old:
            key = entry.article.key
            del self._by_key[key]
            if self._by_link.get(entry.link) is entry:
                del self._by_link[entry.link]
            if self._minhashes.pop(key, None) is not None:
                self._lsh.remove(key)
            self._vectors.kill(entry)
        if old:
            logger.debug("story window evicted %d articles, %d left", len(old), len(self))
        return len(old)

    def _minhash(self, shingles: Iterable[bytes]) -> MinHash:
        minhash = MinHash(num_perm=MINHASH_PERMUTATIONS)
        minhash.update_batch(shingles)
        return minhash

    def _syndicated(self, article: StoryArticle, at: float, span: float) -> _Candidate | None:
        shingles = self._features.shingles(article)
        if len(shingles) < MIN_SHINGLES:
            return None
        minhash = self._minhash(shingles)
        best: _Candidate | None = None
        for key in self._lsh.query(minhash):
            entry = self._by_key[key]
            if abs(entry.article.seen_at.timestamp() - at) > span or self._boilerplate_only(
                article, entry.article
            ):
                continue
            jaccard = float(minhash.jaccard(self._minhashes[key]))
            if jaccard >= self.params.syndicated_threshold and (
                best is None or jaccard > best.similarity
            ):
                best = _Candidate(entry.story_id, key, jaccard)
        return best

    def _boilerplate_only(
        self, article: StoryArticle, other: StoryArticle, title: frozenset[str] | None = None
    ) -> bool:
        """One feed's boilerplate ("Continue reading...", "Comments") makes its summaries
        alike; its real follow-ups on one event also share a word in their headlines."""
        if article.outlet != other.outlet:
            return False
        if title is None:
            title = self._features.title_terms(article)
        return len(title & self._features.title_terms(other)) < MIN_SHARED_TITLE_TERMS

    def _same_event(self, article: StoryArticle, at: float, span: float) -> _Candidate | None:
        vector = self._features.vector(article)
        hits = self._vectors.similar(
            vector.indices.astype(np.int32), vector.data.astype(np.float64), at, span,
            self.params.event_threshold,
        )
        best: _Candidate | None = None
        title = self._features.title_terms(article)
        for entry, sim in hits:
            if self._boilerplate_only(article, entry.article, title):
                continue
            if best is None or sim > best.similarity:
                best = _Candidate(entry.story_id, entry.article.key, sim)
        return best


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
