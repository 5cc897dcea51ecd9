"""Measure a topic scorer on labelled items at the topic's own threshold (no fitting).

Used by ``newswatch eval``; kept apart from the CLI so tests and benchmarks can call it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from services.classifier.scorer import Score, TopicScorer
from shared.exceptions import ConfigError


@dataclass(frozen=True)
class LabelledItem:
    line: int
    title: str
    summary: str
    label: int
    item_id: str | None = None


@dataclass
class Evaluation:
    topic: str
    threshold: float
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    errors: list[tuple[str, LabelledItem, Score]] = field(default_factory=list)

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    def metrics(self) -> dict[str, Any]:
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {
            "topic": self.topic,
            "n": self.n,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "tn": self.tn,
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "threshold": self.threshold,
        }


def read_labels(path: Path) -> Iterator[LabelledItem]:
    """Each non-blank line: a JSON object with title, summary, label (1/0); others ignored."""
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                label = int(data["label"])
                if label not in (0, 1):
                    raise ValueError(f"label must be 0 or 1, got {label}")
                yield LabelledItem(
                    line=number,
                    title=str(data.get("title") or ""),
                    summary=str(data.get("summary") or ""),
                    label=label,
                    item_id=str(data["id"]) if data.get("id") is not None else None,
                )
            except (ValueError, KeyError, TypeError) as exc:
                raise ConfigError(f"{path}:{number}: not a labelled item ({exc})") from exc


def evaluate(scorer: TopicScorer, items: Iterable[LabelledItem]) -> Evaluation:
    threshold = scorer.topic.threshold
    result = Evaluation(topic=scorer.topic.id, threshold=threshold)
    for item in items:
        score = scorer.score(item.title, item.summary)
        predicted = score.score >= threshold
        if predicted and item.label:
            result.tp += 1
        elif predicted:
            result.fp += 1
            result.errors.append(("FP", item, score))
        elif item.label:
            result.fn += 1
            result.errors.append(("FN", item, score))
        else:
            result.tn += 1
    return result
