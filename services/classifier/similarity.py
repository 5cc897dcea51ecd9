"""TF-IDF similarity between an article and a topic's reference passages.

scikit-learn fits the vocabulary and IDF once per topic. Scoring one article through
``TfidfVectorizer.transform`` costs a few hundred microseconds of overhead, so the query
side is done with plain dicts over the fitted weights (same sublinear TF, same IDF, same L2
norm): a short headline touches only a handful of inverted-index entries.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sklearn.feature_extraction.text import TfidfVectorizer

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
        vectorizer = TfidfVectorizer(analyzer=analyze, sublinear_tf=True, norm="l2")
        matrix = vectorizer.fit_transform(self.passages).tocsc()
        vocabulary: dict[str, int] = vectorizer.vocabulary_
        idf = vectorizer.idf_
        for term, column in vocabulary.items():
            self._idf[term] = float(idf[column])
            start, end = matrix.indptr[column], matrix.indptr[column + 1]
            rows = matrix.indices[start:end]
            weights = matrix.data[start:end]
            self._postings[term] = [(int(r), float(w)) for r, w in zip(rows, weights, strict=True)]
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
