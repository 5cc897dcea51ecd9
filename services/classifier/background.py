"""How often ordinary news uses a term: the background a topic's match is measured against.

A topic is only useful if its full match is rare in everyday news. The background gives, for
each content stem and adjacent-stem bigram, the share of news items that contain it. It comes
from the stored articles when there are enough (``from_texts``), else from the table shipped
with the package (``shipped``: built by ``scripts/build_background.py`` from captured feeds,
frequencies only). Terms one feed repeats in most of its items ("continue reading", "live
updates") are listed as boilerplate and never become topic terms.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from services.classifier.text import content_stems

SHIPPED_PACKAGE = "shared"
SHIPPED_FILE = "data/background.json.gz"
UNSEEN_DF = 0.5  # a term absent from the table: rarer than anything kept in it


def document_terms(text: str) -> set[str]:
    """The distinct content stems and adjacent-stem bigrams of a text (what df counts)."""
    words = content_stems(text)
    return set(words) | {f"{a} {b}" for a, b in zip(words, words[1:], strict=False) if a != b}


@dataclass(frozen=True)
class Background:
    docs: int
    df: dict[str, float]
    boilerplate: frozenset[str] = field(default_factory=frozenset)
    min_df: float = 1.0  # terms below this were not kept: unseen ones get half of it
    # For frequent names (stems), the share of their items using each word that keeps them
    # company far more often than ordinary news does ("ukrain": {"alli": 0.034, ...}).
    companions: dict[str, dict[str, float]] = field(default_factory=dict)

    def rate(self, term: str) -> float:
        """Share of background items containing ``term`` (smoothed, never 0)."""
        count = self.df.get(term)
        if count is None:
            count = UNSEEN_DF * self.min_df
        return min((count + 1.0) / (self.docs + 1.0), 1.0)

    def rate_beside(self, term: str, name: str) -> float | None:
        """Share of the items naming ``name`` that contain ``term``; None when the name has no
        statistics. A bigram's share is its rate lifted as much as its least lifted word."""
        company = self.companions.get(name)
        if company is None:
            return None
        words = term.split()
        if len(words) == 1:
            return max(company.get(term, 0.0), self.rate(term))
        lift = min(max(company.get(w, 0.0), self.rate(w)) / self.rate(w) for w in words)
        return min(self.rate(term) * lift, 1.0)

    def any_rate(self, terms: Iterable[str]) -> float:
        """Share containing at least one of ``terms``, assuming independence (an upper bound
        for synonyms, which co-occur)."""
        miss = 1.0
        for term in terms:
            miss *= 1.0 - self.rate(term)
        return 1.0 - miss

    @classmethod
    def from_texts(cls, texts: Iterable[str], *, boilerplate: frozenset[str] = frozenset()) -> Background:
        counts: Counter[str] = Counter()
        docs = 0
        for text in texts:
            counts.update(document_terms(text))
            docs += 1
        return cls(docs=docs, df=dict(counts), boilerplate=boilerplate)


@lru_cache(maxsize=1)
def shipped() -> Background:
    """The packaged table; an empty background (every term unseen) if it is missing."""
    try:
        raw = (resources.files(SHIPPED_PACKAGE) / SHIPPED_FILE).read_bytes()
    except (FileNotFoundError, OSError):
        return Background(docs=1, df={})
    data = json.loads(gzip.decompress(raw).decode("utf-8"))
    df = {str(k): float(v) for k, v in data["df"].items()}
    companions = {
        str(name): {str(k): float(v) for k, v in words.items()}
        for name, words in data.get("companions", {}).items()
    }
    return Background(
        docs=int(data["docs"]), df=df, boilerplate=frozenset(data.get("boilerplate", ())),
        min_df=1.0, companions=companions,
    )
