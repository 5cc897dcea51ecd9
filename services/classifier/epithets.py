"""An event's name used as an epithet says who someone is, not that the event is the news.

"Grammy-winning producer charged", "Super Bowl champ's brother found guilty", "the
seven-time Super Bowl champion", "five Grammy nominations": the name of an award or a
championship describes a person's career, and a derived topic that reads it as the event
(its subject name) alerts on any story about anyone who ever won it. On the out-of-week
alerts of the grammys and superbowl topics such epithets were the commonest false alert of a
subject name. The forms are few and fixed in English, so they are recognised here by the
words written right after the name (or a tally right before it), the same for every topic.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from services.classifier.text import Token, stems

# Written right after the name: "Grammy-winning", "Grammy Award winner", "Super Bowl champ".
# Singular only: "the Grammy winners" (this year's list) and "Super Bowl champions" (the
# team that won this one) are the event's own news.
EPITHET_AFTER = frozenset({"winning", "winner", "nominated", "nominee", "champ", "champion"})
# A tally of honours: "five Grammy nominations", "seven Super Bowl rings" ("32 Grammy wins" is
# no tally here: a record set at the event is its news).
TALLY_AFTER = frozenset({"nominations", "nods", "rings", "titles", "appearances"})
COUNT_WORDS = frozenset({"two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                         "eleven", "twelve", "several", "multiple"})
# Words allowed between the name and its epithet: "Grammy Award-winning".
NAME_FILLERS = frozenset({"award", "awards"})
_JOIN = re.compile(r"[\s\-–‐]*")


def epithet_span(
    position: int, name_stems: frozenset[str], tokens: Sequence[Token], text: str
) -> tuple[int, int] | None:
    """Character span of the epithet when the name starting at token ``position`` is one."""
    end = position
    while end < len(tokens) and (tokens[end].stem in name_stems
                                 or _surface(tokens[end], text) in NAME_FILLERS):
        end += 1
    if end == position:
        return None
    after = _surface(tokens[end], text) if end < len(tokens) and _joined(tokens, end, text) else ""
    if after in EPITHET_AFTER:
        return tokens[position].start, tokens[end].end
    before = _surface(tokens[position - 1], text) if position and _joined(tokens, position, text) else ""
    if before == "time" and position > 1 and text[tokens[position - 2].end:tokens[position - 1].start] == "-":
        # "seven-time Super Bowl champion", "two-time Grammy nominee"
        return tokens[position - 2].start, tokens[end - 1].end
    if after in TALLY_AFTER and (before.isdigit() or before in COUNT_WORDS):
        return tokens[position - 1].start, tokens[end].end
    return None


def name_stems(terms: Iterable[str]) -> frozenset[str]:
    """The stems a name's written forms use ("Grammy Awards" -> grammi, award)."""
    return frozenset(s for term in terms for s in stems(term))


def _surface(token: Token, text: str) -> str:
    return text[token.start:token.end].lower()


def _joined(tokens: Sequence[Token], index: int, text: str) -> bool:
    """Token ``index`` follows the one before it with only spaces or a hyphen between."""
    between = text[tokens[index - 1].end:tokens[index].start]
    return _JOIN.fullmatch(between) is not None
