"""The stored explanation JSON (docs/architecture.md) as something a template can show.

The classifier writes it; older rows or other scorers may lack fields or carry odd types,
so every field is read defensively and shown as text (escaped by the template).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Evidence:
    clause: str  # 'Iran'
    terms: str  # 'Tehran, Fath-360'


@dataclass(frozen=True)
class Passage:
    text: str
    source: str
    similarity: float | None


@dataclass(frozen=True)
class Explanation:
    summary: str
    evidence: list[Evidence] = field(default_factory=list)
    passage: Passage | None = None
    penalties: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.summary or self.evidence or self.passage or self.penalties)


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _evidence(item: Any) -> Evidence:
    clause, sep, terms = _text(item).partition(": ")
    return Evidence(clause, terms) if sep else Evidence("", clause)


def explanation(raw: Any) -> Explanation:
    if not isinstance(raw, Mapping):
        return Explanation(summary="")
    evidence = raw.get("evidence")
    penalties = raw.get("penalties")
    passage = raw.get("passage")
    found = None
    if isinstance(passage, Mapping) and passage.get("text"):
        similarity = passage.get("similarity")
        found = Passage(
            text=_text(passage.get("text")), source=_text(passage.get("source")) or "reference",
            similarity=float(similarity) if isinstance(similarity, int | float) else None,
        )
    return Explanation(
        summary=_text(raw.get("summary")),
        evidence=[_evidence(e) for e in evidence] if isinstance(evidence, list) else [],
        passage=found,
        penalties=[_text(p) for p in penalties] if isinstance(penalties, list) else [],
    )
