"""Derive term groups for a topic that has reference documents but no refinements.

A topic about world news is nearly always "some actors doing something": so the derived
topic requires one salient *entity* (a name the references keep capitalising: countries,
capitals, leaders, organisations) and a salient *subject* (content words and two-word phrases
the references keep repeating and ordinary news seldom uses). Salience is measured against
the background (``services.classifier.background``): a term is salient when the references
use it many times more often than everyday news, so feed boilerplate and news filler never
qualify. The description the user wrote is read as one more reference, and its specific words
join the subject (those no reference repeats at ``DESCRIPTION_ONLY_SHARE`` of their weight).

Calibration: each name and subject term weighs ``log(rate) / log(TARGET_RATE)`` where ``rate``
is its background document rate; the subject is fully matched when the pooled weights of the
names and subject words a text matched reach 1 (each further group of a clause counting
``POOLED_DECAY`` less), i.e. when, under independence, ordinary news would show that match by
chance in at most ``TARGET_RATE`` of items (set 5x below 1 in 10,000 because real terms
co-occur). Rare names ("Leopard") need little subject, common ones ("Ukraine") a lot; a word
that keeps a frequent name company in ordinary news ("allies" beside "Ukraine", from the
background's ``companions``) weighs less beside it. The description's request words and what
it excludes ("not ...", "other than ...") are no subject terms; the excluded words penalise.

Names: a name few references use is peripheral and weighs ``PERIPHERAL_SHARE`` of its rarity
(unless the description names it and it is no place); two of the story's names together can
carry the subject (``NAMES_TOGETHER``); a name with particles ("Sharm el-Sheikh") is one name,
and so is one with connectors ("State of the Union") where the references keep writing it so. A
place is no protagonist, but a rare one nearly every reference's headline names ("Kherson") is the
subject where a headline names it.
A subject word most references use (``CORE_SHARE``) keeps its weight beside the names, and one
the description names only as unwanted is none. Names that keep each other company in ordinary
news weigh less beside each other (``_names_beside``), except two protagonists of the story.
``chance_per_10k`` is what the calibration expects a topic to send by chance.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache

from services.classifier.background import Background, shipped
from services.classifier.names import CORE_MARK
from services.classifier.text import STOP_STEMS, content_stems, stem, stems
from shared.topics import Reference, Refinements, TermGroup

MAX_ENTITIES = 14
MAX_CONCEPTS = 30
MIN_SHARE = 0.3  # a salient concept appears in at least this share of reference documents
MIN_ENTITY_SHARE = 0.2  # a salient name in at least this share
MIN_DOCS = 2  # ... and never in fewer documents than this
MIN_LIFT = 30.0  # reference document rate / background rate
MAX_BACKGROUND_RATE = 0.02  # in more than 2 % of ordinary news: never a topic term
TARGET_RATE = 2e-5  # chance full matches per item, by the independence estimate
# How far a subject word's weight moves toward its weight among a name's items (1: all the
# way; the rest credits the story for using the word at all).
COMPANION_SHARE = 0.5
POOLED_DECAY = 0.5  # each further matched group of a clause counts half the one before
# A subject word only the description uses (no reference repeats it) was written once, to
# outline the story, not observed in it: beside the topic's ordinary names it is weaker
# evidence than its rarity says ("Canada" + "analysis", "India" + "regulators" are everyday
# news), so it weighs this share of a reference word's weight.
DESCRIPTION_ONLY_SHARE = 0.7
# A subject word is evidence of the story as far as the story's texts use it more often than
# ordinary news does: its lift (the share of the topic's texts, references and description,
# that use it, over its background rate). A word the texts use this many times more often
# than everyday news keeps its full weight; one less distinctive ("north" in a third of an
# earthquake's reports, in 1 % of all news) weighs ``log(lift) / log(DISTINCT_LIFT)`` of it:
# beside one of the story's names it is what any story of that place or person says.
DISTINCT_LIFT = 100.0
# A protagonist (a person or firm named in most references, not a place) this rare in ordinary
# news is the subject itself: "Tyre Nichols", "FTX". A place as rare that as many references
# name in their headline ("Kherson"; no country or capital) is the subject in a headline only.
PROTAGONIST_SHARE = 0.7
SUBJECT_NAME_RATE = 1e-3
# An event's name is what happens, not who acts ("Super Bowl", "Australian Open"): a
# protagonist the texts number as an edition ("Super Bowl LVII", "Super Bowl 2023") is the
# subject itself, in a headline, when ordinary news names it at most this often.
EVENT_NAME_RATE = 2e-3
_EDITION = r"\s+(?:[IVXLC]{2,}|(?:19|20)\d\d|\d{1,3})\b"
# A name fewer than this share of the references use is peripheral to the story (a place one
# report mentions, a bystander): it weighs ``PERIPHERAL_SHARE`` of its rarity, unless the
# description names it (a place keeps the discount: users name where a story happens, which
# is no evidence of the story itself).
PERIPHERAL_NAME_SHARE = 0.45
PERIPHERAL_SHARE = 0.5
# A subject word this share of the references use is the story's own ("earthquake" in a quake
# story): it keeps its full weight beside the topic's names, whatever company it keeps with
# them in ordinary news.
CORE_SHARE = 0.7
# Two of the topic's names written together (one at least no place) whose weights reach this
# are the subject: "Adani" beside "Hindenburg" is the story without any subject word.
NAMES_TOGETHER = 1.0
PREFIX_MERGE_MIN = 4  # "iran" is a prefix of "iranian": same entity
# A multi-word name's distinctive word matches alone (``distinctive_words``): it has this many
# letters at least, and the name's other words are ordinary (or this common in ordinary news).
CORE_MIN_LETTERS = 4
ORDINARY_WORD_RATE = 1e-3
ACRONYM_MIN = 2
INFLECTION_MIN_STEM = 5  # "ukrain" -> "ukrainian", "ukraini"; shorter stems are too ambiguous
INFLECTION_MAX_ENDING = 3
# Other spellings of a subject term that ordinary news writes: the -ify family the stemmer
# keeps apart ("verified" -> "verification"), "-cy" nouns ("bankrupt" -> "bankruptcy"), and a
# compound written in one word or two ("halftime" / "half-time", "check mark" / "checkmark").
# Each pair is (ending of one stem, ending of the other).
FAMILY_ENDINGS = (("if", "ifi"), ("ifi", "if"), ("rupt", "ruptci"), ("ruptci", "rupt"))
COMPOUND_MIN_PART = 4  # letters each part of a split compound keeps ("half" + "time")
VARIANT_MIN_DF = 2.0  # a variant must be written in ordinary news this often

# Words every news text repeats; never salient for a topic.
NEWS_GENERIC_WORDS = (
    "said says say told according added including reported report reports statement "
    "official officials spokesman spokeswoman year years month months week weeks day days "
    "time new also would could may might one two three first last percent people country "
    "countries government president minister ministry secretary state states world "
    "international national news agency monday tuesday wednesday thursday friday saturday "
    "sunday january february march april june july august september october november "
    "december today recent recently later earlier since part well made make many much "
    "number continue continues continued "
    # live blogs' clock
    "gmt bst utc est edt cet cest pst pdt am pm"
)
NEWS_GENERIC = frozenset(stem(w) for w in NEWS_GENERIC_WORDS.split())
# Lowercase particles inside a name ("Sharm el-Sheikh", "Mohammed bin Salman", "Ursula von der
# Leyen"): the name is one, not its capitalised fragments ("Sharm", "Sheikh").
NAME_PARTICLES = ("al", "el", "bin", "ibn", "bint", "van", "von", "der", "den", "de", "du", "di", "da",
                  "del", "della", "dos", "das", "la", "le", "ter", "ten", "zu")
_PARTICLE = "(?:" + "|".join(NAME_PARTICLES) + r")(?:[^\S\n]+|-)"
# A name never runs across a line break: the headline's last word and the summary's first
# ("... State of the Union" / "President Biden ...") are two names.
_CAPITALISED = re.compile(
    rf"(?<![.!?]\s)(?<!^)\b([A-Z][\w’'-]*(?:[^\S\n]+(?:{_PARTICLE})*[A-Z][\w’'-]*)*)", re.MULTILINE)
# Lowercase connectors inside a longer name ("State of the Union", "Bank of England", "Leader
# of the House", "Chamber of Commerce"). Unlike particles they also join a title to a place
# ("President of Ukraine"), so a name with a connector is one name only where the references
# keep writing it so (``_joined_names``); elsewhere its capitalised parts are the names.
_CAPS = rf"[A-Z][\w-]*(?:[^\S\n]+(?:{_PARTICLE})*[A-Z][\w-]*)*"
_JOINED = re.compile(
    rf"(?<![.!?]\s)(?<!^)\b({_CAPS}(?:[^\S\n]+of(?:[^\S\n]+the)?[^\S\n]+{_CAPS})+)", re.MULTILINE)


def derive_refinements(
    references: Sequence[Reference], description: str | None = None,
    background: Background | None = None,
) -> Refinements:
    """Entity and subject groups from references (+ description); empty when there are none."""
    wanted, unwanted = split_description(description)
    texts = [ref.text for ref in references] + ([wanted] if wanted else [])
    if not texts:
        return Refinements()
    ground = background if background is not None else shipped()
    entities = _salient_entities(texts, ground)
    protagonists = _protagonists(entities, texts)
    entity_stems = {s for terms in entities.values() for t in terms for s in stems(t)}
    concepts = _salient_concepts(texts, ground, exclude=entity_stems)
    # What the description names only as unwanted ("not Dominic Raab's bullying inquiry") is
    # another story, though the references report it as context: no subject term.
    concepts = [c for c in concepts if not _unwanted_only(c, wanted, unwanted)]
    described: set[str] = set()
    if wanted:
        # By stem, not as written: the description's "earthquakes" is the references'
        # "earthquake", one subject term (else it counts twice, once as description-only);
        # and a phrase of the description ("classified material") is added once.
        known = {_term_key(c) for c in concepts}
        own = [c for c in _description_terms(wanted, ground, entity_stems)
               if _term_key(c) not in known and not known.add(_term_key(c))]  # type: ignore[func-returns-value]
        described = set(own) if references else set()  # a description alone is all it has
        concepts += own
    _spell_out_acronyms(entities, concepts)
    target = TARGET_RATE
    core = _core_terms(concepts, [ref.text for ref in references])
    peripheral = _peripheral_names(entities, [ref.text for ref in references], wanted)
    entity_groups = [
        TermGroup(name=f"entity:{label}", label=label, terms=tuple(terms),
                  weight=round(_weight(ground.any_rate({_term_key(t) for t in terms}), target)
                               * (PERIPHERAL_SHARE if label in peripheral else 1.0), 3))
        for label, terms in entities.items()
    ]
    # Names that keep each other company in ordinary news ("Kevin McCarthy" beside "Biden",
    # "Russian" beside "Ukraine") weigh less together; two protagonists of the story are not
    # discounted beside each other ("Elon Musk" and "Twitter": their meeting is the story).
    leads = {f"entity:{label}" for label in protagonists}
    beside = _names_beside(entity_groups, ground, target)
    entity_groups = [
        replace(g, given=tuple((other, w) for other, w in beside[g.name]
                               if not (g.name in leads and other in leads)))
        for g in entity_groups
    ]
    distinct = _distinctness(concepts, texts, ground)
    concept_groups = [
        TermGroup(name=f"concept:{c}", label=c, terms=(c, *_term_variants(c, ground)),
                  weight=round(_weight(ground.rate(_term_key(c)), target) * share, 3),
                  given=() if c in core else tuple(
                      (name, round(w * share, 3))
                      for name, w in _weights_beside(_term_key(c), entity_groups, ground, target)))
        for c in concepts
        for share in (DESCRIPTION_ONLY_SHARE if c in described else 1.0,)
    ]
    concept_groups = [replace(g, outside_headline=distinct[g.label]) if distinct[g.label] < 1.0 else g
                      for g in concept_groups]
    groups = entity_groups + concept_groups
    require = tuple(
        clause for clause in (tuple(g.name for g in entity_groups), tuple(g.name for g in concept_groups))
        if clause
    )
    excluded = _excluded_terms(unwanted, texts, ground, entity_stems) if require else []
    if excluded:
        groups.append(TermGroup(name=EXCLUDED_GROUP, label="excluded by the description",
                                terms=tuple(excluded)))
    rates = {g.name: max(ground.rate(_term_key(t)) for t in g.terms) for g in entity_groups}
    named = tuple(g.name for g in entity_groups
                  if g.label in protagonists and rates[g.name] <= SUBJECT_NAME_RATE)
    # An event's name commoner than that ("Super Bowl": ads and parties borrow it) is the
    # subject only where a headline names it.
    events = tuple(g.name for g in entity_groups if g.label in protagonists and g.name not in named
                   and rates[g.name] <= EVENT_NAME_RATE and _numbered_event(entities[g.label], texts))
    named += events
    # A rare place nearly every reference names in its headline ("Kherson") is where the story
    # happens: the subject where a headline names it, as an event's name is.
    reference_texts = [ref.text for ref in references]
    sited = _story_places(entities, reference_texts)
    scenes = tuple(g.name for g in entity_groups if g.label in sited and rates[g.name] <= SUBJECT_NAME_RATE)
    events += scenes
    named += scenes
    story = _story_phrases(concept_groups, reference_texts, ground, unwanted)
    events += story
    named += story
    # Any name completes the actors' clause; the subject clause needs the pooled evidence.
    minimums = tuple(0.0 if index < len(require) - 1 else 1.0 for index in range(len(require)))
    # Subject words written as names may stand for the actors; a place never does (where a
    # story happens says nothing of it: "Phoenix" beside "commercial" is any ad).
    written_as_names = [g.name for g in concept_groups if _written_as_name(g.label, texts)]
    actors = tuple(g.name for g in concept_groups
                   if g.name in written_as_names and g.label.lower() not in _all_places())
    places = tuple(g.name for g in entity_groups if _is_place(g.terms))
    # A multi-word name's distinctive word matches alone ("Hurricane Nicole" for "Subtropical
    # Storm Nicole"), added last: the name's weight and standing are the references' name's.
    cores = {g.name: distinctive_words(g.terms, texts, ground) for g in entity_groups}
    groups = [replace(g, terms=(*g.terms, *(f"{CORE_MARK}{w}" for w in cores[g.name]
                                           if f"{CORE_MARK}{w}" not in g.terms)))
              if cores.get(g.name) else g for g in groups]
    return Refinements(groups=tuple(groups), require=require, min_groups=minimums,
                       subject_names=named if len(require) > 1 else (), pooled_decay=POOLED_DECAY,
                       penalize=(EXCLUDED_GROUP,) if excluded else (),
                       actor_names=actors if len(require) > 1 else (),
                       event_names=events if len(require) > 1 else (),
                       names_together=NAMES_TOGETHER if len(require) > 1 else 0.0, places=places,
                       names=tuple(g.name for g in entity_groups) + tuple(written_as_names),
                       capitalised=tuple(written_as_names))


def _unwanted_only(term: str, wanted: str, unwanted: str) -> bool:
    """Whether the description names this subject term only where it says what it does not
    want ("not Dominic Raab's bullying inquiry"), or a word of it ("bullying claims"): the
    references may use it, reporting the neighbouring story as context, but it is no evidence
    of this one."""
    if not unwanted:
        return False
    refused, asked = _stem_terms(unwanted), _stem_terms(wanted)
    key = _term_key(term)
    return any(part in refused and part not in asked for part in (key, *key.split()))


def _stem_terms(text: str) -> set[str]:
    """A text's content stems and adjacent-stem bigrams, as subject terms are keyed."""
    words = content_stems(_undot(text))
    return set(words) | {f"{a} {b}" for a, b in zip(words, words[1:], strict=False)}


def chance_per_10k(refinements: Refinements, target: float = TARGET_RATE) -> float:
    """Alerts per 10,000 ordinary items a derived topic sends by chance, by the calibration:
    a full subject match at ``target``, plus what needs no subject word, each at the rate its
    weights encode (``rate = target ** weight``): a name that is the subject itself, and two
    names together (one at least no place) whose weights reach ``names_together``."""
    if not refinements.pooled_decay:
        return 0.0
    weight = {g.name: g.weight for g in refinements.groups}
    rate: float = target + sum(target ** weight[g] for g in refinements.subject_names)
    names = list(refinements.require[0]) if len(refinements.require) > 1 else []
    places = set(refinements.places)
    if refinements.names_together > 0:
        for index, first in enumerate(names):
            for second in names[index + 1:]:
                pair = weight[first] + weight[second]
                if pair >= refinements.names_together and not {first, second} <= places:
                    rate += target ** pair
    return round(float(rate) * 10_000, 2)


# "Alert me about ...", "I want news on ...": the request, not the subject.
_REQUEST = re.compile(
    r"^\s*(?:please\s+)?(?:(?:alert|notify|tell|warn|show|send|email|ping|update)\s+me"
    r"(?:\s+(?:about|of|on|to|when|whenever|if))?"
    r"|i\s+(?:want|would\s+like|need|am\s+interested\s+in)(?:\s+(?:news|stories|articles|alerts))?"
    r"(?:\s+(?:about|on|of))?)\b[\s:,]*",
    re.IGNORECASE,
)
# Where the user starts saying what they do not want; "not just"/"not only" add, not exclude,
# and a "not" after an auxiliary negates a verb of the story ("what he did not say about it",
# "talks that do not turn on Kherson"), not the user's wish.
_AUXILIARIES = ("did", "does", "is", "are", "was", "were", "has", "have", "had", "could",
                "would", "will", "can", "should", "may", "might", "must")
_VERB_NOT = "".join(rf"(?<!\b{aux}\s)" for aux in _AUXILIARIES)
_NEGATION = re.compile(
    r"\b(?:(?:i\s+)?(?:do\s+not|don['’]t)(?:\s+(?:want|need|care\s+about))?"
    rf"|but\s+not|and\s+not|{_VERB_NOT}not(?!\s+(?:just|only|merely|necessarily)\b)|nor|except(?:\s+for)?"
    r"|excluding|other\s+than|rather\s+than|never)\b",
    re.IGNORECASE,
)
# "... unless it is about the tanks": the exception brings back what the topic wants.
_UNLESS = re.compile(r"\b(?:unless|except\s+(?:when|if|where))\b[^,;.()]*", re.IGNORECASE)
# Sentences end at ".", "!", "?"; a semicolon joins clauses of one sentence, so a list the user
# does not want ("I don't want A (B; C), D") stays unwanted after it.
_CLAUSE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9“\"‘'])")
EXCLUDED_GROUP = "excluded:description"


def split_description(description: str | None) -> tuple[str, str]:
    """The description's wanted part and the part that names what the user does not want.

    "Alert me about X and Y. Not Z unless it is about X" -> ("X and Y.", "Z"): the request
    words are no subject term, and what follows "not", "except" or "other than" up to the end
    of its sentence is excluded (an "unless ..." clause inside it is dropped: it restates
    the subject)."""
    if not description:
        return "", ""
    wanted: list[str] = []
    unwanted: list[str] = []
    for sentence in _CLAUSE_END.split(description.strip()):
        sentence = _REQUEST.sub("", sentence, count=1)
        cue = _NEGATION.search(sentence)
        if cue is None:
            wanted.append(sentence)
            continue
        wanted.append(sentence[: cue.start()])
        unwanted.append(_UNLESS.sub(" ", sentence[cue.end():]))
    return " ".join(w.strip() for w in wanted if w.strip()), " ".join(unwanted).strip()


def _excluded_terms(
    unwanted: str, wanted_texts: Sequence[str], ground: Background, entity_stems: set[str]
) -> list[str]:
    """Words and phrases of the unwanted part that the references and the wanted part never
    use and ordinary news seldom does: naming them points to a neighbouring story."""
    if not unwanted:
        return []
    used: set[str] = set()
    for text in wanted_texts:
        words = content_stems(_undot(text))
        used |= set(words) | {f"{a} {b}" for a, b in zip(words, words[1:], strict=False)}
    surface: dict[str, Counter[str]] = {}
    for word in re.findall(r"[^\W_]+", unwanted.lower()):
        surface.setdefault(stem(word), Counter())[word] += 1
    found: list[str] = []
    for part in re.split(r"[,;()]|\bor\b|\band\b", _undot(unwanted)):
        words = [w for w in content_stems(part) if w not in NEWS_GENERIC and len(w) > 2]
        terms = [f"{a} {b}" for a, b in zip(words, words[1:], strict=False) if a != b] + words
        for term in terms:
            parts = term.split()
            if term in used or (len(parts) == 1 and (term in entity_stems or term in used)):
                continue
            if term in ground.boilerplate or ground.rate(term) > MAX_BACKGROUND_RATE / 5:
                continue
            if len(parts) > 1 and all(p in used for p in parts):
                continue
            readable = " ".join(_readable(p, surface) for p in parts)
            if readable not in found:
                found.append(readable)
    return found


@lru_cache(maxsize=1)
def _all_places() -> frozenset[str]:
    """Countries, capitals, cities (15,000+ people) and US states, lowercase: never protagonists."""
    from importlib.resources import files

    text = files("services.classifier").joinpath("place_names.txt").read_text(encoding="utf-8")
    names = set(_places())
    names |= {line for line in text.splitlines() if line and not line.startswith("#")}
    return frozenset(names)


def _spell_out_acronyms(entities: dict[str, list[str]], concepts: list[str]) -> None:
    """"AI" and "artificial intelligence" are one name: a subject phrase whose initials are an
    entity's acronym joins that entity (and leaves the subject)."""
    for terms in entities.values():
        short = {t.upper() for t in terms if t.isupper() and 2 <= len(t) <= 5}
        for phrase in list(concepts):
            words = phrase.split()
            if len(words) >= 2 and "".join(w[0] for w in words).upper() in short:
                terms.append(phrase)
                concepts.remove(phrase)


def _distinctness(concepts: Sequence[str], texts: Sequence[str], ground: Background) -> dict[str, float]:
    """Each subject term's share of its rarity weight: 1 when the topic's texts use it at least
    ``DISTINCT_LIFT`` times as often as ordinary news, ``log(lift) / log(DISTINCT_LIFT)`` below.
    Rarity alone measures how seldom a word is written, not how much it says of this story:
    "border" in three of ten earthquake reports is in every other border story too."""
    used = [_stem_terms(text) | _concept_terms(text) for text in texts]
    found: dict[str, float] = {}
    for concept in concepts:
        key = _term_key(concept)
        share = sum(1 for terms in used if key in terms) / len(texts) if texts else 0.0
        if _written_as_name(concept, texts):
            found[concept] = 1.0  # a name ("Macron", "FTC"): its rarity is what it says
            continue
        lift = max(share, 1.0 / max(len(texts), 1)) / ground.rate(key)
        found[concept] = round(min(1.0, max(math.log(lift), 0.0) / math.log(DISTINCT_LIFT)), 3)
    return found


def _concept_terms(text: str) -> set[str]:
    """A text's subject-term keys as ``_salient_concepts`` counts them (news filler left out,
    so "magnitude 7.8 earthquake" yields "magnitude earthquake")."""
    words = [w for w in content_stems(_undot(text)) if w not in NEWS_GENERIC and len(w) > 2]
    return set(words) | {f"{a} {b}" for a, b in zip(words, words[1:], strict=False) if a != b}


def _core_terms(concepts: Sequence[str], references: Sequence[str]) -> set[str]:
    """The subject terms most references use (stems and stem bigrams, as concepts count)."""
    if not references:
        return set()
    used: list[set[str]] = []
    for text in references:
        words = content_stems(_undot(text))
        used.append(set(words) | {f"{a} {b}" for a, b in zip(words, words[1:], strict=False)})
    return {c for c in concepts
            if sum(1 for terms in used if _term_key(c) in terms) >= CORE_SHARE * len(references)}


def _name_pattern(terms: Sequence[str], flags: int = 0) -> re.Pattern[str]:
    return re.compile("|".join(rf"\b{re.escape(t)}\b" for t in terms), flags)


# The adjective of a place ("Indian", "Chinese", "Ukrainian", "Egyptian") says where, like the
# place's name: a place name (or it less its last letter) and one of these endings; or the
# place's name is the adjective and one of ``PLACE_ENDINGS`` ("Czech": Czechia, "Thai": Thailand).
DEMONYM_ENDINGS = ("n", "an", "ian", "ese", "ish", "ean")
PLACE_ENDINGS = ("ia", "land")
DEMONYM_MIN_PLACE = 4


def _is_place(terms: Sequence[str]) -> bool:
    places = _all_places()
    return any(t.lower() in places or _demonym_of_place(t.lower(), places) for t in terms)


def _demonym_of_place(word: str, places: frozenset[str]) -> bool:
    if " " in word or not word.isalpha():
        return False
    if any(f"{word}{ending}" in _countries() for ending in PLACE_ENDINGS):
        return True
    for ending in DEMONYM_ENDINGS:
        base = word[: -len(ending)]
        if len(base) >= DEMONYM_MIN_PLACE - 1 and word.endswith(ending) and (
            (len(base) >= DEMONYM_MIN_PLACE and base in places)
            or any(f"{base}{letter}" in places for letter in "aey")
        ):
            return True
    return False


def _peripheral_names(
    entities: dict[str, list[str]], references: Sequence[str], wanted: str
) -> set[str]:
    """Names few references use: "Queensland" in one report of a fraud story says where a
    mine is, not what the story is. The description's own names are never peripheral, except
    places."""
    if not references:
        return set()
    found: set[str] = set()
    for label, terms in entities.items():
        pattern = _name_pattern(terms, re.IGNORECASE)  # "German" is Germany's: 'german'
        used = sum(1 for text in references if pattern.search(_undot(text)))
        described = bool(wanted) and pattern.search(_undot(wanted)) is not None
        if used < PERIPHERAL_NAME_SHARE * len(references) and (not described or _is_place(terms)):
            found.add(label)
    return found


def _protagonists(entities: dict[str, list[str]], texts: Sequence[str]) -> set[str]:
    written = [_undot(text) for text in texts]
    return {label for label, terms in entities.items()
            if not _is_place(terms) and _named_in_most(terms, written)
            and not _written_as_place(terms, written)}


# "in the occupied West Bank", "across the Donbas", "near Bakhmut": a name the texts mostly
# write after a preposition of place is where things happen, though no gazetteer lists it.
_LOCATIVE = re.compile(r"\b(?:in|at|near|across|into|throughout|around)\s+(?:the\s+)?(?:[a-z]+\s+)?$")
PLACE_USE_SHARE = 0.5


def _written_as_place(terms: Sequence[str], texts: Sequence[str]) -> bool:
    """Whether most of the places the texts write a name follow a preposition of place."""
    pattern = _name_pattern(terms)
    uses = [bool(_LOCATIVE.search(text[max(0, m.start() - 40):m.start()]))
            for text in texts for m in pattern.finditer(text)]
    return bool(uses) and sum(uses) >= PLACE_USE_SHARE * len(uses)


def _story_places(entities: dict[str, list[str]], references: Sequence[str]) -> set[str]:
    """Places (no country or capital: every story of a country happens there) that nearly
    every reference's headline names: then the place is what the story is about ("Kherson"),
    not only where it happens (a city most reports name in their text, fewer in the headline,
    has every other story of that city too)."""
    countries_and_capitals = _places()
    places = _all_places()
    headlines = [_headline(text) for text in references]
    return {label for label, terms in entities.items()
            if any(t.lower() in places for t in terms)
            and not any(t.lower() in countries_and_capitals for t in terms)
            and bool(headlines) and _named_in_most(terms, headlines)}


def _named_in_most(terms: Sequence[str], texts: Sequence[str]) -> bool:
    """Whether at least ``PROTAGONIST_SHARE`` of the texts write one of a name's terms."""
    pattern = re.compile("|".join(rf"\b{re.escape(t)}\b" for t in terms))
    return sum(1 for text in texts if pattern.search(text)) >= PROTAGONIST_SHARE * len(texts)


def _headline(text: str) -> str:
    """A reference's first line (its headline, as the references folder writes them)."""
    return next((line for line in text.splitlines() if line.strip()), "")


def _weights_beside(
    term: str, entity_groups: Sequence[TermGroup], ground: Background, target: float
) -> tuple[tuple[str, float], ...]:
    """The contrast with ordinary news that shares the topic's names: a subject word that keeps
    a name company there ("allies", "western" beside "Ukraine") says little beside that name,
    so it weighs by its rate among that name's items instead."""
    base = _weight(ground.rate(term), target)
    found: list[tuple[str, float]] = []
    for group in entity_groups:
        shares = [ground.rate_beside(term, key) for t in group.terms for key in _name_keys(t)]
        known = [share for share in shares if share is not None]
        if known:
            weight = base + COMPANION_SHARE * (_weight(max(known), target) - base)
            if weight < base - 1e-3:
                found.append((group.name, round(weight, 3)))
    return tuple(found)


def _name_keys(name: str) -> list[str]:
    """The background keys a name's companions may be listed under: the name's own key and,
    for a name of several words, each of its words ("Joe Biden" is listed as "biden")."""
    key = _term_key(name)
    words = [w for w in stems(name) if w not in STOP_STEMS]
    return [key, *(w for w in words if w != key)] if len(words) > 1 else [key]


def _names_beside(
    entity_groups: Sequence[TermGroup], ground: Background, target: float
) -> dict[str, tuple[tuple[str, float], ...]]:
    """Each name's weight beside another of the topic's names that ordinary news lists it as a
    companion of ("Kevin McCarthy" among Biden's items): two names of one everyday beat together
    are no rarer than either, so the second weighs by its rate among the first's items."""
    found: dict[str, tuple[tuple[str, float], ...]] = {}
    for group in entity_groups:
        rate = ground.any_rate({_term_key(t) for t in group.terms})
        base = _weight(rate, target)
        words = {w for t in group.terms for w in stems(t) if w not in STOP_STEMS}
        pairs: list[tuple[str, float]] = []
        for other in entity_groups:
            lifts = [share / ground.rate(word)
                     for t in other.terms for key in _name_keys(t) for word in words
                     for share in (ground.rate_beside(word, key),) if share is not None]
            if other.name == group.name or not lifts or base <= 0:
                continue
            weight = base + COMPANION_SHARE * (_weight(min(rate * max(lifts), 1.0), target) - base)
            if weight < base - 1e-3:  # the same share of the group's own (maybe discounted) weight
                pairs.append((other.name, round(group.weight * weight / base, 3)))
        found[group.name] = tuple(pairs)
    return found


def _story_phrases(
    groups: Sequence[TermGroup], texts: Sequence[str], ground: Background, unwanted: str = ""
) -> tuple[str, ...]:
    """Subject phrases that name the story as a protagonist names it ("classified documents",
    "spy balloon"): two words or more, in most references, and as rare in ordinary news as a
    subject name. In a headline, such a phrase is what the article is about, unless the
    description's unwanted part names it too ("not other short sellers": then it is a kind
    of story, not this one)."""
    if not texts:
        return ()
    written = [" ".join(stems(_undot(text))) for text in texts]
    refused = " ".join(stems(_undot(unwanted)))
    found: list[str] = []
    for group in groups:
        key = _term_key(group.label)
        if " " not in key or ground.rate(key) > SUBJECT_NAME_RATE:
            continue
        pattern = re.compile(rf"\b{re.escape(key)}\b")
        if pattern.search(refused):
            continue
        if sum(1 for text in written if pattern.search(text)) >= PROTAGONIST_SHARE * len(texts):
            found.append(group.name)
    return tuple(found)


def _numbered_event(terms: Sequence[str], texts: Sequence[str]) -> bool:
    """Whether the texts number a name of several words as an event's edition ("Super Bowl
    LVII", "Super Bowl 2023"), in at least two of them: a person or a firm has no editions
    (one-word names are left out: "Twitter 2.0", "Windows 11" are products)."""
    pattern = re.compile("|".join(rf"\b{re.escape(t)}{_EDITION}" for t in terms if " " in t))
    return bool(pattern.pattern) and sum(1 for text in texts if pattern.search(text)) >= MIN_DOCS


def _written_as_name(term: str, texts: Sequence[str]) -> bool:
    """Whether the texts write a subject term as a name: capitalised wherever it occurs
    ("Pence", "Mike Pence", "FTC"), so it names an actor, not what happens."""
    pattern = re.compile(rf"\b{re.escape(term)}\b", re.IGNORECASE)
    found = [m.group(0) for text in texts for m in pattern.finditer(text)]
    return bool(found) and all(w[:1].isupper() for f in found for w in f.split())


def distinctive_words(terms: Sequence[str], texts: Sequence[str], ground: Background) -> list[str]:
    """The word that is the name in a multi-word name of ordinary words ("Nicole" of
    "Subtropical Storm Nicole"): ordinary news seldom writes it (``SUBJECT_NAME_RATE``), the
    references only ever write it capitalised, and every other word of the name is an ordinary
    word (the references write it lowercase too, or ordinary news often: "storm", "tropical").
    None where two words are names ("Rishi Sunak"), or none is ("West Bank")."""
    found: list[str] = []
    own = {tuple(stems(t)) for t in terms}
    for term in terms:
        words = term.split()
        if len(words) < 2 or term.lower() in _all_places():
            continue
        # A plain word of letters ("Nicole"): no acronym or edition ("LVII"), no compound
        # ("Bankman-Fried"), no word the name already lists alone.
        named = [w for w in words if len(w) >= CORE_MIN_LETTERS and w.isalpha() and not w.isupper()
                 and _written_as_name(w, texts) and ground.rate(_term_key(w)) <= SUBJECT_NAME_RATE
                 and w.lower() not in _all_places()]
        others = [w for w in words if w not in named]
        if len(named) == 1 and others and all(
                not _written_as_name(w, texts) or ground.rate(_term_key(w)) >= ORDINARY_WORD_RATE
                for w in others):
            found.append(named[0])
    return [w for w in dict.fromkeys(found) if (*stems(w),) not in own]


def _term_variants(term: str, ground: Background) -> list[str]:
    """Spellings of a subject term that its stem misses, kept when ordinary news writes them:
    the same word family ("verification" beside "verified", "bankruptcy" beside "bankrupt")
    and the compound in one word or two ("half-time" beside "halftime", "checkmarks" beside
    "check mark"). Variants are matched, not weighed: the term's weight is its own."""
    words = term.split()
    found: list[str] = []
    if len(words) == 1:
        key = stem(words[0].lower())
        for end, other in FAMILY_ENDINGS:
            if key.endswith(end) and len(key) > len(end) + 2:
                found.append(key[: -len(end)] + other)
        word = words[0].lower()
        for cut in range(COMPOUND_MIN_PART, len(word) - COMPOUND_MIN_PART + 1):
            head, tail = word[:cut], word[cut:]
            found.append(f"{head} {tail}")
    elif len(words) == 2 and all(w.isalpha() for w in words):
        found.append("".join(words).lower())
    return [v for v in dict.fromkeys(found) if _written(v, ground) and stems(v) != stems(term)]


def _written(variant: str, ground: Background) -> bool:
    """Whether ordinary news writes this spelling (its stems as one background term)."""
    key = " ".join(stems(variant))
    return (ground.df.get(key, 0.0) >= VARIANT_MIN_DF and key not in ground.boilerplate
            and all(s not in STOP_STEMS for s in key.split()))


def _weight(rate: float, p_star: float) -> float:
    """How much of the subject one term carries: 1 when alone it is as rare as ``p_star``."""
    return round(min(math.log(rate) / math.log(p_star), 1.0), 3)


def _term_key(term: str) -> str:
    """The background key of a written term: its content stems, as unigram or bigram."""
    words = [w for w in stems(term) if w not in STOP_STEMS] or stems(term)
    return " ".join(words[:2]) if len(words) > 1 else (words[0] if words else term.lower())


def _lift(doc_share: float, rate: float) -> float:
    return doc_share / rate


@lru_cache(maxsize=1)
def _places() -> dict[str, tuple[str, ...]]:
    """Country and capital names (lowercase) -> both: "Moscow" is Russia."""
    places: dict[str, tuple[str, ...]] = {}
    for country, capital in _country_capitals():
        names = tuple(n for n in (country, capital) if n)
        for name in names:
            places[name.lower()] = names
    return places


@lru_cache(maxsize=1)
def _countries() -> frozenset[str]:
    return frozenset(country.lower() for country, _ in _country_capitals())


def _country_capitals() -> list[tuple[str, str]]:
    """GeoNames countries and capitals, generated by scripts/make_places.py (CC BY 4.0)."""
    from importlib.resources import files

    text = files("services.classifier").joinpath("places.txt").read_text(encoding="utf-8")
    rows = [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]
    return [(row[0], row[1] if len(row) > 1 else "") for row in rows]


def _salient_entities(texts: Sequence[str], ground: Background) -> dict[str, list[str]]:
    """Capitalised names (not sentence-initial) that recur across the references and are
    rare in ordinary news; acronyms join the name they abbreviate."""
    counts: Counter[str] = Counter()
    docs: Counter[str] = Counter()
    minimum = max(MIN_DOCS, round(MIN_ENTITY_SHARE * len(texts)))
    joined = _joined_names(texts, ground, minimum)
    for text in texts:
        found = _names_in(text, joined)
        counts.update(found)
        docs.update(set(found))
    ranked = [
        name for name, n in counts.most_common()
        if docs[name] >= minimum and _salient_name(name, docs[name] / len(texts), ground)
    ]
    groups: dict[str, list[str]] = {}
    places = _places()
    for name in ranked:
        key = next((label for label in groups if _same_entity(label, name)
                    or _share_rare_name(groups[label], name, ground)), None)
        if key is None:
            if len(groups) >= MAX_ENTITIES:
                continue
            groups[name] = [name]
        else:
            groups[key].append(name)
    for label, terms in groups.items():
        terms.extend(a for a in _acronyms(label, texts) if a not in terms)
    named: dict[str, list[str]] = {}
    for label, terms in groups.items():
        for term in list(terms):  # a country brings its capital, a capital its country
            terms.extend(p for p in places.get(term.lower(), ()) if p not in terms)
        country = next((places[t.lower()][0] for t in terms if t.lower() in places), label)
        named.setdefault(country, [])
        named[country] += [t for t in terms if t not in named[country]]
    for terms in named.values():
        terms.extend(a for a in _inflected_forms(terms, ground) if a not in terms)
    return named


def _salient_name(name: str, share: float, ground: Background) -> bool:
    """A name the references' share of use lifts far above its rate in ordinary news."""
    key = _term_key(name)
    return (stem(name.lower()) not in NEWS_GENERIC and key not in ground.boilerplate
            and ground.rate(key) <= MAX_BACKGROUND_RATE and _lift(share, ground.rate(key)) >= MIN_LIFT)


def _joined_names(texts: Sequence[str], ground: Background, minimum: int) -> frozenset[str]:
    """Names with a lowercase connector ("State of the Union", "Bank of England") that the
    references write so, as a salient name would recur: each is one name, not its capitalised
    parts ("State", "Union"). A joined name of news titles only ("Secretary of State") is none."""
    docs: Counter[str] = Counter()
    for text in texts:
        docs.update({m.group(1) for m in _JOINED.finditer(_undot(text))})
    return frozenset(
        name for name, n in docs.items()
        if n >= minimum and _salient_name(name, n / len(texts), ground)
        and any(s not in NEWS_GENERIC and s not in STOP_STEMS for s in stems(name)))


def _names_in(text: str, joined: frozenset[str]) -> list[str]:
    """The capitalised names of one text; a joined name where it is written counts whole and
    its parts there count no more."""
    plain = _undot(text)
    found: list[str] = []
    if joined:
        def whole(match: re.Match[str]) -> str:
            if match.group(1) not in joined:
                return match.group(0)
            found.append(match.group(1))
            return " " * len(match.group(0))

        plain = _JOINED.sub(whole, plain)
    found += [m.group(1).strip("’'-") for m in _CAPITALISED.finditer(plain)]
    return [f for f in found if f and stem(f.lower()) not in STOP_STEMS and len(f) > 1]


def _inflected_forms(terms: Sequence[str], ground: Background) -> list[str]:
    """Other forms of a one-word name that ordinary news writes ("Ukrainian", "Ukrainy",
    "Leopardów", "German"): background words extending its stem (or the stem less its last
    letter) by a short ending, that are no other place's name."""
    places = _all_places()
    own = {t.lower() for t in terms}
    found: list[str] = []
    for term in terms:
        words = stems(term)
        if len(words) != 1 or len(words[0]) < INFLECTION_MIN_STEM:
            continue
        word = words[0]
        for base in {word, word[:-1]} if len(word) > INFLECTION_MIN_STEM else {word}:
            for key in _background_words(ground).get(base[:INFLECTION_MIN_STEM], ()):
                if (key != word and key.startswith(base) and len(key) - len(base) <= INFLECTION_MAX_ENDING
                        and (key not in places or key in own) and key not in STOP_STEMS
                        and key[len(base):] not in ground.df and key[len(base):] not in STOP_STEMS
                        and stems(key) == [key] and key not in found):
                    found.append(key)
    return found


_WORD_INDEX: dict[int, dict[str, list[str]]] = {}


def _background_words(ground: Background) -> dict[str, list[str]]:
    """The background's one-word terms by their first letters (built once per background)."""
    index = _WORD_INDEX.get(id(ground))
    if index is None:
        index = {}
        for key in ground.df:
            if " " not in key and len(key) >= INFLECTION_MIN_STEM:
                index.setdefault(key[:INFLECTION_MIN_STEM], []).append(key)
        _WORD_INDEX.clear()
        _WORD_INDEX[id(ground)] = index
    return index


_DOTTED = re.compile(r"\b((?:[A-Za-z]\.){2,})")


def _undot(text: str) -> str:
    """"A.I." and "U.N." read as "AI" and "UN" (the tokenizer does the same)."""
    return _DOTTED.sub(lambda m: m.group(1).replace(".", "") + " ", text)


def _acronyms(name: str, texts: Sequence[str]) -> list[str]:
    """Aliases from the data: "Securities and Exchange Commission (SEC)", and the name's
    initials when the references use them as a word ("ICC" for International Criminal Court)."""
    words = [w for w in name.split() if w[:1].isupper()]
    found: list[str] = []
    if len(words) >= ACRONYM_MIN:
        initials = "".join(w[0] for w in words).upper()
        if any(re.search(rf"\b{initials}\b", _undot(t)) for t in texts):
            found.append(initials)
    for text in texts:
        for match in re.finditer(rf"{re.escape(name)}\s*\(([A-Z][A-Za-z.]{{1,9}})\)", text):
            found.append(match.group(1).replace(".", ""))
    return list(dict.fromkeys(found))


def _same_entity(a: str, b: str) -> bool:
    places = _places()
    if places.get(a.lower()) is not None and places.get(a.lower()) == places.get(b.lower()):
        return True
    return _same_prefix(a, b)


def _share_rare_name(terms: Sequence[str], name: str, ground: Background) -> bool:
    """"Gautam Adani" and "Adani Group" are one story's name: they share a capitalised word
    (not a place) that ordinary news seldom uses."""
    words = {w for w in re.findall(r"[^\W\d_][\w-]+", name) if w[:1].isupper()}
    places = _all_places()
    for term in terms:
        for word in words & set(re.findall(r"[^\W\d_][\w-]+", term)):
            if (len(word) >= PREFIX_MERGE_MIN and word.lower() not in places
                    and ground.rate(_term_key(word)) <= SUBJECT_NAME_RATE):
                return True
    return False


def _same_prefix(a: str, b: str) -> bool:
    x, y = a.lower(), b.lower()
    short, long = sorted((x, y), key=len)
    return len(short) >= PREFIX_MERGE_MIN and long.startswith(short[: max(PREFIX_MERGE_MIN, len(short) - 1)])


def _salient_concepts(texts: Sequence[str], ground: Background, exclude: set[str]) -> list[str]:
    """Content stems and stem bigrams the references share and ordinary news seldom uses,
    shown in a readable form, most salient first."""
    docs: Counter[str] = Counter()
    surface: dict[str, Counter[str]] = {}
    for text in texts:
        words = [w for w in content_stems(_undot(text)) if w not in NEWS_GENERIC and len(w) > 2]
        terms = set(words) | {f"{a} {b}" for a, b in zip(words, words[1:], strict=False) if a != b}
        docs.update(t for t in terms if not set(t.split()) & exclude)
        for word in re.findall(r"[a-z0-9]+", text.lower()):
            surface.setdefault(stem(word), Counter())[word] += 1
    minimum = max(MIN_DOCS, round(MIN_SHARE * len(texts)))
    scored: list[tuple[float, str]] = []
    for term, n in docs.items():
        rate = ground.rate(term)
        if n < minimum or term in ground.boilerplate or rate > MAX_BACKGROUND_RATE:
            continue
        if any(part in ground.boilerplate for part in term.split()):
            continue
        lift = _lift(n / len(texts), rate)
        if lift >= MIN_LIFT:
            scored.append((n * math.log(lift), term))
    scored.sort(reverse=True)
    return [" ".join(_readable(s, surface) for s in t.split()) for _, t in scored[:MAX_CONCEPTS]]


def _description_terms(description: str, ground: Background, exclude: set[str]) -> list[str]:
    """The user's own words for the subject, kept when ordinary news seldom uses them."""
    surface: dict[str, Counter[str]] = {}
    for word in re.findall(r"[a-z0-9]+", description.lower()):
        surface.setdefault(stem(word), Counter())[word] += 1
    compounds = _hyphenated_names(description)
    inside = {s for name in compounds for s in stems(name)}
    words = [w for w in content_stems(_undot(description)) if w not in NEWS_GENERIC and len(w) > 2]
    kept = [
        w for w in dict.fromkeys(words)
        if w not in exclude and w not in inside and w not in ground.boilerplate
        and ground.rate(w) <= MAX_BACKGROUND_RATE / 5
    ]
    names = [n for n in compounds if not set(stems(n)) & exclude
             and ground.rate(_term_key(n)) <= MAX_BACKGROUND_RATE / 5]
    return ([_readable(w, surface) for w in kept] + names
            + _description_phrases(description, ground, exclude | inside))


# A name written with hyphens, two parts at least capitalised: "Mar-a-Lago", "Rolls-Royce".
_HYPHENATED_NAME = re.compile(r"\b[A-Z][\w’']*(?:-[\w’']+)*-[A-Z][\w’']*(?:-[\w’']+)*")


def _hyphenated_names(description: str) -> list[str]:
    """The description's hyphenated names, each one subject term: its parts alone ("Mar",
    "Lago") would be two subject words, and one name would count twice."""
    return list(dict.fromkeys(m.group(0) for m in _HYPHENATED_NAME.finditer(description)))


_PHRASE_BREAK = re.compile(r"[^\w\s'’-]+")


def _description_phrases(description: str, ground: Background, exclude: set[str]) -> list[str]:
    """Two-word phrases the user wrote whose words ordinary news uses too often to be subject
    terms alone ("check mark", "mass layoffs", "special counsel"): kept when the phrase is in
    the background (so its rarity is measured, not guessed) and rare there. The words must be
    adjacent as written (no stop word or punctuation between: "staff who are left" is no
    phrase), and name no entity (entities are the actors' clause)."""
    found: list[str] = []
    for part in _PHRASE_BREAK.split(_undot(description)):
        words = re.findall(r"[^\W_]+", part.lower())
        for a, b in zip(words, words[1:], strict=False):
            pair = (stem(a), stem(b))
            if any(p in STOP_STEMS or p in NEWS_GENERIC or p in exclude or len(p) < 3 for p in pair):
                continue
            key = " ".join(pair)
            if (ground.df.get(key, 0.0) > 0 and key not in ground.boilerplate
                    and ground.rate(key) <= MAX_BACKGROUND_RATE / 5 and f"{a} {b}" not in found):
                found.append(f"{a} {b}")
    return found


def _readable(stem_form: str, surface: dict[str, Counter[str]]) -> str:
    """The most frequent written form of a stem, so explanations show words, not stems."""
    forms = surface.get(stem_form)
    return forms.most_common(1)[0][0] if forms else stem_form
