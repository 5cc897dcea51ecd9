"""One name, however a feed writes it: diacritics, transliterations, Polish cases, a short form.

A derived topic takes its names from the references as they spell them ("Zelenskyy", "Kherson",
"Subtropical Storm Nicole"); the stream then writes the same names otherwise, and the stemmer
(English, suffixes only) sees other words:

* other romanisations of one Cyrillic name: "Zelensky", "Zelenskyy", "Zelenskiy", "Zelenski";
* the Polish feeds' spelling and cases: "Zełenski", "Zełenskiego", "Chersoń", "w Chersoniu",
  "Wołodymyr", "Dżenin";
* a later, shorter form of a multi-word name: "Hurricane Nicole", "Nicole" for the references'
  "Subtropical Storm Nicole".

A **name key** makes the spellings one: letters folded to ASCII (``unicodedata``; "ł" by hand,
it has no decomposition), "y" as "i" and "ii" as "i" (the Slavic final "-y", "-iy", "-yy",
"-ij" are one "-i"; other doubled letters stay: "Grammy" is not the Polish "Gramy"), and the
letters Polish writes for an English transliteration's ("w" for "v", "ch" for "kh", "dż" for
"j"; its "y" for "i": "Floryda") or for Czech and Slovak letters ("sz", "cz" for "š", "č":
"Babisz"). Both sides go through it, so a key only joins spellings that
differ in those letters.

In a Polish text a name's **core** (its key less a case ending from ``POLISH_ENDINGS``, the
nominal and adjectival endings of Polish declension; a fixed table of the grammar, not of any
topic) matches the core of the topic's name: "Zełenskiego" and "Zelensky" are both "zelensk";
a name in "-el", "-ek", "-ec" also has the core Polish declines it to ("Pavel": "Pavla").
A core shorter than ``MIN_CORE`` letters never matches ("Duda", "Gaza": only their keys do).
Only capitalised words are read this way: names, not the words that happen to share letters.

A multi-word name's **distinctive word** ("Nicole" of "Subtropical Storm Nicole") is a word
the references only ever write capitalised while the name's other words are ordinary words; it
is listed as a term marked ``CORE_MARK`` and matches alone only where it is no part of another
name: not before a capitalised word that is none of the topic's ("Nicole Kidman"), and nowhere
in a text that writes it so once. "Rishi Sunak", "West Bank" and "John Tory" have none (two name
words; two ordinary words; "Tory" is a name word).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from services.classifier.text import stem

CORE_MARK = "~"  # "~Nicole": the distinctive word of a multi-word name, alone
MIN_CORE = 4
MIN_KEY = 4  # shorter names are matched as the stemmer reads them, not by key
# Polish noun and adjective case endings, folded to ASCII (ą -> a, ę -> e, ó -> o), longest
# first: "Zełenskiego" -> "zelensk", "Londynie" -> "londyn", "Sunakiem" -> "sunak", "Chersonia"
# -> "cherson".
# Not "-ow" and "-owie": they end the names of places in "-ów" too ("Rzeszów", "w Rzeszowie").
_POLISH_ENDINGS = (
    "owi", "iego", "iemu", "ego", "emu", "ami", "ach", "om", "iem", "em", "ie", "iu",
    "ej", "im", "ich", "imi", "ym", "ych", "ymi", "a", "e", "i", "u", "y", "o",
    # after a soft consonant ("Chersoń": "Chersonia", "Chersoniowi", "Chersoniem")
    "ia", "iowi", "iom", "iach", "iami")
# ... compared with keys, so written as keys write them ("owi" is "ovi": "Bidenowi" -> "biden").
POLISH_ENDINGS = tuple(sorted({e.replace("w", "v").replace("y", "i") for e in _POLISH_ENDINGS},
                              key=len, reverse=True))
# Polish declension drops the "e" of a final "-el", "-ek", "-ec" ("Pavel": "Pavla", "Pavlem";
# "Marek": "Marka"): a topic's name ending so has that shorter core too.
FLEETING_E = re.compile(r"(?<=[^aeiou])e(?=[lkc]$)")
NAME_FINALS = frozenset("aeio")  # after keying, "y" is "i"
_FOLDED = str.maketrans({"ł": "l", "Ł": "l", "đ": "d", "ø": "o", "ß": "ss", "æ": "ae", "œ": "oe",
                         "ı": "i", "’": "", "'": ""})
_DOUBLE_I = re.compile(r"i{2,}")
_SLAVIC_FINAL = re.compile(r"ij$")


def fold(word: str) -> str:
    """Lowercase ASCII letters of a word: "Zełenskiego" -> "zelenskiego", "Chersoń" -> "cherson"."""
    word = word.lower().replace("dż", "j").replace("dź", "j").translate(_FOLDED)
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=50_000)
def name_key(word: str) -> str:
    """The spelling-free key of one name word ("" when too short to be read by key)."""
    key = fold(word)
    if not key.isalpha() or not key.isascii():
        return ""
    # Polish writes the Czech and Slovak "š", "č" (folded to "s", "c") as "sz", "cz": "Babisz".
    key = key.replace("sz", "s").replace("cz", "c")
    key = key.replace("kh", "ch").replace("w", "v").replace("y", "i")
    key = _DOUBLE_I.sub("i", key)
    key = _SLAVIC_FINAL.sub("i", key)
    return key if len(key) >= MIN_KEY else ""


@lru_cache(maxsize=50_000)
def polish_core(word: str) -> str:
    """A word of a Polish text as a name's core: its key less a case ending (the whole key
    when less would leave under ``MIN_CORE`` letters)."""
    key = name_key(word)
    for ending in POLISH_ENDINGS:
        if key.endswith(ending) and len(key) - len(ending) >= MIN_CORE:
            return key[: -len(ending)]
    return key


@lru_cache(maxsize=50_000)
def name_core(word: str) -> str:
    """A topic's name word as a core: its key less the final vowel Polish declension replaces
    ("Bruksela" -> "Brukseli", "Zelensky" -> "Zełenskiego"), none other ("Nassau" keeps its "u",
    "Macron" has none to lose)."""
    key = name_key(word)
    if key[-1:] in NAME_FINALS and len(key) - 1 >= MIN_CORE:
        return key[:-1]
    return key


def name_cores(word: str) -> tuple[str, ...]:
    """``name_core`` and, for a final "-el", "-ek", "-ec", the core Polish declines it to."""
    core = name_core(word)
    fleeting = FLEETING_E.sub("", core)
    return (core, fleeting) if fleeting != core and len(fleeting) >= MIN_CORE else (core,)


WORD_CACHE_SIZE = 200_000


@lru_cache(maxsize=WORD_CACHE_SIZE)
def word_keys(word: str) -> tuple[str, str]:
    """``name_key`` and ``polish_core`` of a text's word, cached: news repeats its names."""
    return name_key(word), polish_core(word)


_WORD = re.compile(r"[^\W\d_]+")


def lowercase_stems(texts: Iterable[str]) -> frozenset[str]:
    """Stems of the words these texts write lowercase somewhere: ordinary words ("hurricane",
    "storm"), which may stand before a name's distinctive word ("Hurricane Nicole")."""
    return frozenset(stem(w) for text in texts for w in _WORD.findall(text) if w[0].islower())
