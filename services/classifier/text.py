"""Text preparation shared by every scoring signal: HTML to text, tokens, stems, passages.

One pipeline for articles, topic terms and reference documents, so that a term written
as "North Korean" in a topic file matches "north-korean" in a summary: both go through
the same lowercasing, hyphen splitting and Snowball stemming.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

import Stemmer
from selectolax.lexbor import LexborHTMLParser

from services.classifier.stopwords import ENGLISH_STOP_WORDS

STEM_LANGUAGE = "english"
STEM_CACHE_SIZE = 200_000
PLAIN_TEXT_CACHE_SIZE = 256  # a classify batch (100 articles) has a title and a summary each
PASSAGE_MAX_WORDS = 90
PASSAGE_MIN_WORDS = 12

# Unicode words ("ciężkim" must not yield "kim"); a dotted acronym ("A.I.", "U.N.") is one
# word, read without its dots, so it matches "AI" and "UN".
_TOKEN = re.compile(r"(?:[^\W\d_]\.){2,}|[^\W_]+")
_CALIBRE = re.compile(r"\d{2,3}mm")
CALIBRE_STEM = "mm"  # "152mm", "122mm": one term for every calibre
_POSSESSIVE = re.compile(r"['’]s\b")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9“\"‘'])")
_PARAGRAPH_END = re.compile(r"[.!?:\"”’)]$")
_WHITESPACE = re.compile(r"\s+")
_HTML_HINT = re.compile(r"<[a-zA-Z/!]|&[#a-zA-Z0-9]+;")
_DROPPED_TAGS = ("script", "style", "noscript", "template")


class Token(NamedTuple):
    """A stemmed word and where it sits in the plain text (for quoting evidence).

    A named tuple, not a frozen dataclass: an article makes a hundred of them per topic
    scored, and a frozen dataclass's ``__init__`` (``object.__setattr__`` per field) cost
    about a seventh of ``tokenize``'s time."""

    stem: str
    start: int
    end: int


_stemmer = Stemmer.Stemmer(STEM_LANGUAGE)


@lru_cache(maxsize=STEM_CACHE_SIZE)
def stem(word: str) -> str:
    """Stem one lowercase word; cached because news vocabulary repeats heavily."""
    if _CALIBRE.fullmatch(word):
        return CALIBRE_STEM
    return str(_stemmer.stemWord(word))


# Polish feeds inflect every noun and verb ("Rosja", "Rosji", "Rosję"; "wysyła", "wysyłają"):
# a Polish text is also matched through the Polish Snowball stemmer, so one listed form of a
# Polish term matches its other inflections. A text is Polish when at least this many of its
# words carry letters only Polish writes (cheap, and English news naming "Łódź" once is not).
_polish_stemmer = Stemmer.Stemmer("polish")
_POLISH_LETTER = re.compile(r"[ąćęłńśźżĄĆĘŁŃŚŹŻ]")
_NON_WORD = re.compile(r"[\W\d_]")
POLISH_MIN_WORDS = 2


@lru_cache(maxsize=STEM_CACHE_SIZE)
def polish_stem(word: str) -> str:
    """Stem one lowercase word as Polish (the calibre rule as in ``stem``)."""
    if _CALIBRE.fullmatch(word):
        return CALIBRE_STEM
    return str(_polish_stemmer.stemWord(word.replace(".", "")))


def polish_stems(text: str) -> list[str]:
    """Polish stems of a term or text, word for word as ``stems`` splits it."""
    lowered = _POSSESSIVE.sub("  ", text.lower())
    return [polish_stem(word) for word in _TOKEN.findall(lowered)]


def is_polish(text: str) -> bool:
    """Whether a text reads as Polish (enough words with Polish-only letters)."""
    position = 0
    for _ in range(POLISH_MIN_WORDS):
        letter = _POLISH_LETTER.search(text, position)
        if letter is None:
            return False
        gap = _NON_WORD.search(text, letter.end())  # the next word starts after this one
        position = gap.end() if gap else len(text)
    return True


STOP_STEMS: frozenset[str] = frozenset(stem(w) for w in ENGLISH_STOP_WORDS) | frozenset(ENGLISH_STOP_WORDS)


@lru_cache(maxsize=PLAIN_TEXT_CACHE_SIZE)
def plain_text(raw: str) -> str:
    """Feed summaries often carry HTML; analysts and the matcher both want the words only.

    Cached: every topic's scorer and the story grouping read the same summaries in turn."""
    if _HTML_HINT.search(raw):
        tree = LexborHTMLParser(raw)
        for tag in _DROPPED_TAGS:
            for node in tree.css(tag):
                node.decompose()
        raw = tree.text(separator=" ") if tree.body is not None else raw
    return _WHITESPACE.sub(" ", raw).strip()


# A live blog's headline joins two stories with ";", "|", a dash or " as " ("missiles
# destroyed in Crimea; Xi and Putin to hold talks"): each part is a sentence of its own.
_TITLE_SPLIT = re.compile(r"\s(?:\||•|–|—|-)\s|;\s|\s+as\s+", re.IGNORECASE)
# A digest or live blog strings unrelated stories into one sentence ("missiles destroyed in
# Crimea, as Xi tells Putin ..."): its sentences are cut at these joints too.
_DIGEST_SPLIT = re.compile(r",\s+(?:as|while|and|but|plus)\s+|;\s|\s[–—]\s|\s+as\s+", re.IGNORECASE)
# "live" marks a live blog only as a label ("war live:", "– live", "Live updates"), not as
# the verb or adjective ("wants to live in South Korea", "live action").
_DIGEST_TITLE = re.compile(
    r"\b(?:live(?=\s*(?:[:|!]|$))|^\s*live|live\s+(?:updates?|blog|briefing|tracker|coverage)"
    r"|latest|at a glance|what we know|first thing|briefing|newsletter|round-?up|"
    r"key events|as it happened|morning report|evening report|in brief|news wrap|digest|"
    r"day \d+ of)\b",
    re.IGNORECASE,
)


def is_digest(title: str) -> bool:
    """Live blogs, briefings and round-ups: many stories under one headline."""
    return bool(_DIGEST_TITLE.search(title))


def segment_starts(text: str, title_end: int, *, digest: bool = False) -> list[int]:
    """Character offsets where sentences begin. In a digest the headline's parts are
    sentences of their own and its sentences are cut further at the joints between stories.
    """
    starts = [0]
    if digest:
        starts += [m.end() for m in _TITLE_SPLIT.finditer(text, 0, title_end)]
    if title_end < len(text):
        starts.append(title_end)
        starts += [m.end() for m in _SENTENCE_END.finditer(text, title_end)]
        if digest:
            starts += [m.end() for m in _DIGEST_SPLIT.finditer(text, title_end)]
    return sorted(set(starts))


# A subordinate clause of time or circumstance ("... as Kim prepares to meet Putin", "...
# ahead of Putin's meeting with Kim") sets a scene; the clause before it reports the event.
_SUBORDINATE = re.compile(
    r"\s(?:as|ahead of|after|before|while|amid|following|since)\s", re.IGNORECASE
)


def headline_main_end(title: str) -> int:
    """Where a headline's main clause ends: at its first subordinate clause, else its end."""
    found = _SUBORDINATE.search(title)
    return found.start() if found else len(title)


# A time frame: "... just before Kim's meeting with Putin", "na kilka godzin przed spotkaniem
# Kim Dzong Una z Putinem". What it names dates another event; it runs to the clause's end.
_TIME_FRAME = re.compile(
    r"\b(?:before|ahead\s+of|after|following|on\s+the\s+eve\s+of|in\s+the\s+run-up\s+to"
    r"|przed|w\s+przeddzień)\s",
    re.IGNORECASE,
)
_FRAME_END = re.compile(r"[,.;:!?()\[\]\"“”\n]|\s[–—-]\s")  # "\n": where the headline ends


def time_frames(text: str) -> list[tuple[int, int]]:
    """Character spans of time-frame phrases (cue to the end of its clause)."""
    spans: list[tuple[int, int]] = []
    for cue in _TIME_FRAME.finditer(text):
        end = _FRAME_END.search(text, cue.end())
        spans.append((cue.start(), end.start() if end else len(text)))
    return spans


# A relative clause about a person ("a pilot who shot down five Iranian drones in one day has
# said ...", "the president, whose cities Iranian drones have hit, said ..."): it tells who the
# person is. Set off by a comma, it runs to the next punctuation mark; else to where the main
# clause resumes with its verb ("has said", "told"), past the clause's own first verb.
_WHO = re.compile(r"(,\s*)?\b(who|whose)\s", re.IGNORECASE)
_NEXT_WORD = re.compile(r"\S+")
_PUNCTUATION = re.compile(r"[,.;:!?()\"“”\n]|\s[–—-]\s")
_MAIN_VERB = re.compile(
    r"\s(?:has|have|had|is|are|was|were|will|would|can|could|says|said|told|tells|explains"
    r"|explained|wants|believes|recalls|recalled)\b",
    re.IGNORECASE,
)


def who_clauses(text: str, start: int = 0) -> list[tuple[int, int]]:
    """Character spans of relative clauses about a person from ``start`` on."""
    spans: list[tuple[int, int]] = []
    for who in _WHO.finditer(text, start):
        stop = _PUNCTUATION.search(text, who.end())
        end = stop.start() if stop else len(text)
        if who.group(1) is None:
            # Past the word after "who" (its verb) or "whose" (its noun, then its verb).
            first = _NEXT_WORD.match(text, who.end())
            position = first.end() if first else who.end()
            if who.group(2).lower() == "whose":
                own = _MAIN_VERB.search(text, position, end)
                position = own.end() if own else position
            verb = _MAIN_VERB.search(text, position, end)
            end = verb.start() if verb else end
        spans.append((who.start(2), end))
    return spans


# A relative clause set off by commas describes what it follows ("Iran, which has supplied
# Russia with drones, condemned the sanctions"; Polish always sets it off: ", który ...").
_WHICH = re.compile(
    r",\s*(?:who|whose|which|któr(?:y|a|e|zy|ych|ym|ymi|ą|ego|ej))\b", re.IGNORECASE
)


def aside_clauses(text: str, start: int = 0) -> list[tuple[int, int]]:
    """Character spans of comma-delimited relative clauses from ``start`` on."""
    spans: list[tuple[int, int]] = []
    for which in _WHICH.finditer(text, start):
        stop = _PUNCTUATION.search(text, which.end())
        spans.append((which.start() + 1, stop.start() if stop else len(text)))
    return spans


def clause_starts(text: str, title_end: int) -> list[int]:
    """Character offsets where clauses begin: sentences, headline parts, and subordinate
    clauses anywhere ("Putin and Kim dine | after two-hour meeting")."""
    starts = segment_starts(text, title_end, digest=True)
    starts += [m.end() for m in _SUBORDINATE.finditer(text)]
    return sorted(set(starts))


_word_stems: dict[str, str] = {}  # a word as the tokenizer found it (dots kept) -> its stem
_last_tokens: tuple[str, list[Token]] = ("", [])


def _word_stem(word: str) -> str:
    found = _word_stems.get(word)
    if found is None:
        found = stem(word.replace(".", ""))
        if len(_word_stems) < STEM_CACHE_SIZE:
            _word_stems[word] = found
    return found


def tokenize(text: str) -> list[Token]:
    """Lowercase word tokens with offsets; possessive 's is dropped, hyphens split words.

    The last text's tokens are kept (and shared: callers only read them): every topic's
    scorer, and the similarity to its references (``stems``), tokenize the same article."""
    global _last_tokens
    last = _last_tokens
    if last[0] == text:
        return last[1]
    lowered = _POSSESSIVE.sub("  ", text.lower())
    known, find, make, tokens = _word_stems.get, lowered.find, tuple.__new__, []
    end = 0
    for word in _TOKEN.findall(lowered):
        # No word character lies between two matches, so the word's next occurrence is the
        # match itself: cheaper than a match object per token. ``tuple.__new__`` builds the
        # Token without the named tuple's Python-level ``__new__`` (a third of the time).
        start = find(word, end)
        end = start + len(word)
        tokens.append(make(Token, (known(word) or _word_stem(word), start, end)))
    _last_tokens = (text, tokens)
    return tokens


def stems(text: str) -> list[str]:
    """Stems only, for vocabulary building where offsets do not matter."""
    last = _last_tokens
    if last[0] == text:
        return [token.stem for token in last[1]]
    lowered = _POSSESSIVE.sub("  ", text.lower())
    return [_word_stem(word) for word in _TOKEN.findall(lowered)]


def content_stems(text: str) -> list[str]:
    """Stems without stop words: the unit of TF-IDF similarity and salient terms."""
    return [s for s in stems(text) if s not in STOP_STEMS and not s.isdigit()]


def passages(text: str) -> list[str]:
    """Split a reference document into passages of a paragraph or a few sentences.

    Short lines (headings) are glued to the following paragraph and long paragraphs are
    cut at sentence ends, so each passage is about one fact an analyst can read at a glance.
    """
    paragraphs = [re.sub(r"^#+\s*|^[-*]\s+", "", p) for p in _paragraphs(text)]
    merged: list[str] = []
    carry = ""
    for paragraph in paragraphs:
        joined = f"{carry} {paragraph}".strip() if carry else paragraph
        if len(joined.split()) < PASSAGE_MIN_WORDS:
            carry = joined
            continue
        carry = ""
        merged.extend(_chunk_sentences(joined))
    if carry:
        if merged:
            merged[-1] = f"{merged[-1]} {carry}"
        else:
            merged.append(carry)
    return merged


def _paragraphs(text: str) -> list[str]:
    """Paragraphs whether the file hard-wraps lines (Markdown) or puts one per line (plain text).

    A line ending without sentence punctuation continues on the next line, unless it is
    a Markdown heading or list item.
    """
    out: list[str] = []
    current = ""
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line:
            if current:
                out.append(current)
            current = ""
            continue
        if line.startswith(("#", "- ", "* ")) and current:
            out.append(current)
            current = ""
        current = f"{current} {line}" if current else line
        if line.startswith("#") or _PARAGRAPH_END.search(line):
            out.append(current)
            current = ""
    if current:
        out.append(current)
    return out


def _chunk_sentences(paragraph: str) -> list[str]:
    if len(paragraph.split()) <= PASSAGE_MAX_WORDS:
        return [paragraph]
    chunks: list[str] = []
    current: list[str] = []
    for sentence in _SENTENCE_END.split(paragraph):
        current.append(sentence)
        if sum(len(s.split()) for s in current) >= PASSAGE_MAX_WORDS // 2:
            chunks.append(" ".join(current))
            current = []
    if current:
        if chunks and sum(len(s.split()) for s in current) < PASSAGE_MIN_WORDS:
            chunks[-1] = f"{chunks[-1]} {' '.join(current)}"
        else:
            chunks.append(" ".join(current))
    return chunks
