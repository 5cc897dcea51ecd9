"""How good a grouping is against hand-labelled events: pairwise, B-cubed, alerts per story.

Kept beside the engine (not in tests) because both the test suite and bench/stories.py report
the same figures, and a user tuning thresholds on their own labelled sample needs them too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import combinations
from pathlib import Path
from typing import TypeVar

import yaml

from services.classifier.stories import StoryArticle

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class GroupingScores:
    """Figures of one grouping; ``alerts_per_story`` is 1.0 when every event alerts once."""

    pair_precision: float
    pair_recall: float
    bcubed_precision: float
    bcubed_recall: float
    alerts_per_story: float
    missed_events: int
    events: int
    stories: int

    @property
    def pair_f1(self) -> float:
        return _f1(self.pair_precision, self.pair_recall)

    @property
    def bcubed_f1(self) -> float:
        return _f1(self.bcubed_precision, self.bcubed_recall)


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def score_grouping(
    gold: Mapping[K, Hashable],
    predicted: Mapping[K, Hashable],
    order: Sequence[K],
) -> GroupingScores:
    """Compare ``predicted`` story ids with ``gold`` event labels for the articles in ``order``.

    ``order`` is arrival order: an alert goes out for the first article of each predicted
    story, so an event is *missed* when every one of its articles landed in stories that
    another event opened first (a false merge costs the user a whole alert).
    """
    keys = list(order)
    same_gold = same_pred = both = 0
    for a, b in combinations(keys, 2):
        g, p = gold[a] == gold[b], predicted[a] == predicted[b]
        same_gold += g
        same_pred += p
        both += g and p
    by_gold: dict[Hashable, set[K]] = defaultdict(set)
    by_pred: dict[Hashable, set[K]] = defaultdict(set)
    for key in keys:
        by_gold[gold[key]].add(key)
        by_pred[predicted[key]].add(key)
    b_precision = b_recall = 0.0
    for key in keys:
        overlap = len(by_gold[gold[key]] & by_pred[predicted[key]])
        b_precision += overlap / len(by_pred[predicted[key]])
        b_recall += overlap / len(by_gold[gold[key]])
    opener: dict[Hashable, Hashable] = {}
    for key in keys:
        opener.setdefault(predicted[key], gold[key])
    alerted_events = set(opener.values())
    return GroupingScores(
        pair_precision=both / same_pred if same_pred else 1.0,
        pair_recall=both / same_gold if same_gold else 1.0,
        bcubed_precision=b_precision / len(keys) if keys else 1.0,
        bcubed_recall=b_recall / len(keys) if keys else 1.0,
        alerts_per_story=len(by_pred) / len(by_gold) if by_gold else 0.0,
        missed_events=len(set(by_gold) - alerted_events),
        events=len(by_gold),
        stories=len(by_pred),
    )


@dataclass(frozen=True, slots=True)
class LabelledArticle:
    article: StoryArticle
    event: str


def load_corpus(path: Path) -> list[LabelledArticle]:
    """Read a labelled YAML corpus (see tests/fixtures/stories/corpus.yaml), in time order."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    items = [
        LabelledArticle(
            StoryArticle(
                key=str(row["id"]),
                outlet=str(row["outlet"]),
                url=str(row["url"]),
                title=str(row["title"]),
                summary=str(row.get("summary") or ""),
                seen_at=_utc(row["published"]),
            ),
            str(row["event"]),
        )
        for row in raw["articles"]
    ]
    return sorted(items, key=lambda item: item.article.seen_at)


def _utc(value: datetime | str) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
