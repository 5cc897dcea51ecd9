"""The one-line keyword query people write instead of a topic: the baseline to beat.

A query is a list of OR-groups that are ANDed: ``[["iran", "north korea"], ["russia"]]``.
Terms match case-insensitively at word boundaries on the plain text of title + summary;
``inflect=True`` also lets a term take up to three more letters ("russia" matches "Russian",
"drone" matches "drones"), as a search box with stemming would.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from services.classifier.text import plain_text

AXIS_QUERY: list[list[str]] = [
    ["iran", "north korea", "china"],
    ["russia"],
    ["missile", "drone", "shell", "weapon", "arms", "ammunition"],
]


class KeywordQuery:
    def __init__(self, groups: Sequence[Sequence[str]], *, inflect: bool = False) -> None:
        tail = r"[a-z]{0,3}\b" if inflect else r"\b"
        self.groups = [list(g) for g in groups]
        self._patterns = [
            re.compile(
                r"\b(?:" + "|".join(re.escape(t).replace(r"\ ", r"[\s-]+") for t in group) + ")" + tail,
                re.IGNORECASE,
            )
            for group in groups
        ]

    def matches(self, title: str, summary: str) -> bool:
        text = f"{plain_text(title or '')} \n {plain_text(summary or '')}"
        return all(p.search(text) for p in self._patterns)

    def __str__(self) -> str:
        return " AND ".join("(" + "|".join(g) + ")" for g in self.groups)
