"""Cut a feed's standfirst that several references repeat verbatim before a topic learns from them.

A user who picks four reports of one outlet as references gives the topic that outlet's
furniture too ("Follow our Australia news live blog for the latest updates. Get our morning and
afternoon news emails, free app or daily news podcast"): every reference writes it, so its words
look like the story's own, and every other item of that outlet then matches the topic. Two
references repeating a run of words is not enough to call it furniture: wire copy repeats the
story's own sentences across outlets. The difference is in ordinary news: a standfirst's word
pairs are what the outlet prints under every headline, so the background has seen them all
(``PAIR_MIN_RATE``), while a story's sentence pairs its rare words ("cyclone Gabrielle",
"Norfolk Island") that no ordinary day writes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace

from services.classifier.background import Background, shipped
from services.classifier.text import Token, content_stems, tokenize
from shared.topics import Reference

RUN_MIN_WORDS = 6  # a shared run shorter than this is a phrase, not furniture
MIN_REFERENCES = 2  # ... written verbatim in at least this many references
# A run is furniture when this share of its adjacent content-word pairs are seen in at least
# PAIR_MIN_RATE of ordinary news (the Guardian's standfirst pairs: 2-4 in 1,000 items each).
PAIR_MIN_RATE = 3e-4
PAIR_SHARE = 0.8
MIN_PAIRS = 3


def without_shared_boilerplate(
    references: Sequence[Reference], background: Background | None = None,
) -> tuple[Reference, ...]:
    """The references with every furniture run they share cut out (each text kept otherwise)."""
    if len(references) < MIN_REFERENCES:
        return tuple(references)
    ground = background if background is not None else shipped()
    words = [list(tokenize(ref.text)) for ref in references]
    shared = _shared_positions(words)
    cleaned = []
    for ref, tokens, marked in zip(references, words, shared, strict=True):
        cuts = [(tokens[a].start, tokens[b].end) for a, b in _runs(marked)
                if _furniture(ref.text[tokens[a].start:tokens[b].end], ground)]
        cleaned.append(replace(ref, text=_cut(ref.text, cuts)) if cuts else ref)
    return tuple(cleaned)


def _shared_positions(words: list[list[Token]]) -> list[set[int]]:
    """Word positions covered by a RUN_MIN_WORDS-gram (of stems) that MIN_REFERENCES texts contain."""
    grams = [[tuple(t.stem for t in tokens[i:i + RUN_MIN_WORDS])
              for i in range(len(tokens) - RUN_MIN_WORDS + 1)] for tokens in words]
    seen: dict[tuple[str, ...], set[int]] = defaultdict(set)
    for number, own in enumerate(grams):
        for gram in own:
            seen[gram].add(number)
    return [{i + k for i, gram in enumerate(own) if len(seen[gram]) >= MIN_REFERENCES
             for k in range(RUN_MIN_WORDS)} for own in grams]


def _runs(marked: set[int]) -> list[tuple[int, int]]:
    """Consecutive marked positions as (first, last) pairs."""
    runs: list[tuple[int, int]] = []
    for position in sorted(marked):
        if runs and runs[-1][1] == position - 1:
            runs[-1] = (runs[-1][0], position)
        else:
            runs.append((position, position))
    return runs


def _furniture(text: str, ground: Background) -> bool:
    stems = content_stems(text)
    pairs = [f"{a} {b}" for a, b in zip(stems, stems[1:], strict=False) if a != b]
    if len(pairs) < MIN_PAIRS:
        return False
    common = sum(1 for pair in pairs if ground.rate(pair) >= PAIR_MIN_RATE)
    return common >= PAIR_SHARE * len(pairs)


def _cut(text: str, spans: list[tuple[int, int]]) -> str:
    for start, end in reversed(spans):
        text = f"{text[:start].rstrip()}\n\n{text[end:].lstrip(' ,;.')}"  # its own paragraph gone
    return text
