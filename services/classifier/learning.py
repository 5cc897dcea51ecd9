"""Learn from readers' feedback: a topic's threshold and its term weights move with labels.

Two adjustments, both small and explainable:

* **Term weights.** A false alert (labelled not relevant, scored at or above the threshold)
  lowers the weight of the evidence group that relevant labels support least: the name or
  term that made this kind of text look on-topic ("Lebanon" for an earthquake topic, a bare
  "footage"). Its weight is multiplied by ``(tp + fn + PRIOR) / (tp + fp + PRIOR)``: one false
  alert takes a group from 1 to 2/3, two to 1/2; relevant labels that use the group protect
  it. A clause whose only evidence is a down-weighted group is then a weak match, and a weak
  subject never alerts: the kind of false alert stops recurring. A missed relevant text raises
  the weight of its least supported matched group the same way (capped at 1), so it can
  complete its clause.
* **Threshold.** With at least ``MIN_LABELS`` labels of both kinds, the threshold moves toward
  the one that maximises F1 on them, by ``n / (n + THRESHOLD_PRIOR)`` of the distance.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from services.classifier.scorer import TopicScorer
from shared.topics import ResolvedTopic

log = logging.getLogger(__name__)

PRIOR = 2.0
MAX_RAISE = 2.0  # a weight never more than doubles (and the scorer caps it at 1)
MIN_LABELS = 20
THRESHOLD_PRIOR = 50.0
THRESHOLD_GRID = tuple(round(0.3 + 0.02 * i, 2) for i in range(31))  # 0.30 .. 0.90


@dataclass(frozen=True)
class Label:
    title: str
    summary: str
    relevant: bool


@dataclass(frozen=True)
class Learned:
    threshold: float
    weights: dict[str, float] = field(default_factory=dict)
    labels: int = 0

    def describe(self) -> str:
        moved = ", ".join(f"{g} x{w:.2f}" for g, w in sorted(self.weights.items()))
        return f"threshold {self.threshold:.2f} from {self.labels} labels; weights: {moved or 'unchanged'}"


def learn(scorer: TopicScorer, labels: Sequence[Label]) -> Learned:
    """Adjustments for ``scorer.topic`` from ``labels`` (oldest first)."""
    base = scorer.topic.threshold
    evidence = [(label, set(scorer.evidence_groups(label.title, label.summary)),
                 scorer.score(label.title, label.summary).score) for label in labels]
    support: Counter[str] = Counter()
    for label, groups, _ in evidence:
        if label.relevant:
            support.update(groups)
    against: Counter[str] = Counter()
    towards: Counter[str] = Counter()
    for label, groups, value in evidence:
        if not groups:
            continue
        least = min(support[g] for g in groups)
        culprits = [g for g in groups if support[g] == least]
        if not label.relevant and value >= base:
            against.update(culprits)
        elif label.relevant and value < base:
            towards.update(culprits)
    weights: dict[str, float] = {}
    for group in set(against) | set(towards):
        factor = (support[group] + towards[group] + PRIOR) / (support[group] + against[group] + PRIOR)
        factor = min(factor, MAX_RAISE)
        if abs(factor - 1.0) > 1e-3:
            weights[group] = round(factor, 3)
    return Learned(_threshold(scorer, labels, base), weights, len(labels))


def _threshold(scorer: TopicScorer, labels: Sequence[Label], base: float) -> float:
    positives = sum(label.relevant for label in labels)
    if len(labels) < MIN_LABELS or positives in (0, len(labels)):
        return base
    values = [(scorer.score(label.title, label.summary).score, label.relevant) for label in labels]

    def f1(threshold: float) -> float:
        tp = sum(1 for v, rel in values if v >= threshold and rel)
        fp = sum(1 for v, rel in values if v >= threshold and not rel)
        fn = sum(1 for v, rel in values if v < threshold and rel)
        return 2 * tp / (2 * tp + fp + fn) if tp else 0.0

    best = max(THRESHOLD_GRID, key=lambda t: (f1(t), -abs(t - base)))
    share = len(labels) / (len(labels) + THRESHOLD_PRIOR)
    return round(base + (best - base) * share, 3)


def apply(topic: ResolvedTopic, learned: Learned) -> ResolvedTopic:
    """The topic with its learned threshold and group weights (refined or derived groups)."""
    return replace(topic, threshold=learned.threshold, learned_weights=dict(learned.weights))


def labels_from_rows(rows: Sequence[object]) -> dict[str, list[Label]]:
    """``store.list_feedback`` rows grouped by topic, oldest first."""
    grouped: dict[str, list[Label]] = {}
    for row in rows:
        grouped.setdefault(row.topic_id, []).append(  # type: ignore[attr-defined]
            Label(row.title or "", row.summary or "", row.label == "relevant")  # type: ignore[attr-defined]
        )
    return grouped


def learned_topics(topics: Sequence[ResolvedTopic], rows: Sequence[object]) -> list[ResolvedTopic]:
    """Each topic with what its feedback labels teach (unchanged when it has none)."""
    grouped = labels_from_rows(rows)
    out: list[ResolvedTopic] = []
    for topic in topics:
        labels = grouped.get(topic.id)
        if not labels:
            out.append(topic)
            continue
        learned = learn(TopicScorer(topic), labels)
        log.info("topic %s learned from feedback: %s", topic.id, learned.describe())
        out.append(apply(topic, learned))
    return out
