"""TF-IDF similarity between an article and a topic's reference passages.

The weighting is scikit-learn's ``TfidfVectorizer(sublinear_tf=True, norm="l2")`` (smooth IDF
``ln((1 + n) / (1 + df)) + 1``, TF ``1 + ln(tf)``, rows L2-normalised), fitted here with plain
dicts: a few reference passages need no sparse-matrix library, and scoring a short headline
touches only a handful of inverted-index entries.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from services.classifier.text import content_stems

UNKNOWN_TERM_SHARE = 0.5


def analyze(text: str) -> list[str]:
    """Content stems plus adjacent-stem bigrams ("ballist missil"): phrases carry the topic."""
    words = content_stems(text)
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


@dataclass(frozen=True)
class PassageHit:
    index: int
    similarity: float


class PassageIndex:
    """Cosine similarity of a text to each reference passage; empty index scores 0."""

    def __init__(self, passages: Sequence[str]) -> None:
        self.passages = list(passages)
        self._idf: dict[str, float] = {}
        self._postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        self._unknown_sq = 0.0
        if not self.passages:
            return
        counted = [Counter(analyze(passage)) for passage in self.passages]
        df: Counter[str] = Counter(term for counts in counted for term in counts)
        n = len(self.passages)
        self._idf = {term: math.log((1 + n) / (1 + d)) + 1.0 for term, d in df.items()}
        for row, counts in enumerate(counted):
            weights = {t: (1.0 + math.log(c)) * self._idf[t] for t, c in counts.items()}
            norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
            for term in sorted(weights):
                self._postings[term].append((row, weights[term] / norm))
        if not self._idf:
            return
        self._unknown_sq = (sum(self._idf.values()) / len(self._idf)) ** 2 * UNKNOWN_TERM_SHARE

    def best(self, text: str) -> PassageHit | None:
        """The most similar passage, or None when the text shares no term with any."""
        scores = self.similarities(text)
        if not scores:
            return None
        index = max(scores, key=scores.__getitem__)
        return PassageHit(index, scores[index])

    def similarities(self, text: str) -> dict[int, float]:
        terms = analyze(text)
        counts = Counter(t for t in terms if t in self._idf)
        if not counts:
            return {}
        weights = {t: (1.0 + math.log(c)) * self._idf[t] for t, c in counts.items()}
        # Words the references never use still make the article "about something else":
        # they enter its norm with a typical IDF instead of being silently dropped.
        unknown = len(terms) - sum(counts.values())
        norm = math.sqrt(sum(w * w for w in weights.values()) + unknown * self._unknown_sq)
        scores: dict[int, float] = defaultdict(float)
        for term, weight in weights.items():
            for row, passage_weight in self._postings[term]:
                scores[row] += weight * passage_weight
        return {row: value / norm for row, value in scores.items()}
