"""Resolve the topics the classifier scores: the built-in ``axis`` plus the config's topics.

A topic is reference documents (the texts that define it) plus optional refinements (term
groups that must co-occur, support groups, off-topic groups). The built-in topic lives in
``shared/builtin_topics/<id>/topic.yaml``; a config entry with the same id overrides only
the fields it sets (refinement groups merge by name), so a user can point ``axis`` at
other reference files without losing its refinements. Reference globs are relative to
the file that names them: the config file's folder, or the built-in topic's folder.
"""

from __future__ import annotations

import glob
import logging
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from shared.config import YAML_LOADER, AppConfig, RefinementsConfig, TopicConfig
from shared.exceptions import ConfigError

log = logging.getLogger(__name__)

BUILTIN_PACKAGE = "shared"
BUILTIN_FOLDER = "builtin_topics"
DEFAULT_THRESHOLD = 0.5
REFERENCE_SUFFIXES = (".txt", ".md", ".markdown", ".text")


@dataclass(frozen=True)
class Reference:
    """One reference document; ``source`` is the file name shown in explanations."""

    source: str
    text: str


@dataclass(frozen=True)
class TermGroup:
    """Aliases of one idea ("Iran", "Tehran", "IRGC"); ``label`` names it in explanations."""

    name: str
    label: str
    terms: tuple[str, ...]
    # An alias group whose matches count as another group's ("the North" -> north_korea) ...
    counts_as: str | None = None
    # ... and only when one of these groups also matched (a Korean context: Seoul, Pyongyang).
    only_with: tuple[str, ...] = ()
    # A context group ("joint drills", "parade") in whose presence these groups' evidence is
    # weak: the missiles on show at a parade are not missiles changing hands.
    explains: tuple[str, ...] = ()
    # ... unless one of these groups matched too ("shipped", "arms deal"): then hardware
    # is changing hands after all and keeps its strength.
    unless: tuple[str, ...] = ()
    # A group whose term counts only where every one of these groups is named within
    # ``near_words`` words in the same clause: "meets" is a leaders' summit only in
    # "Kim meets Putin", not in "Kim's sister seen at Vostochny ahead of meeting".
    near: tuple[str, ...] = ()
    near_words: int = 12
    # How much of its clause's minimum this group carries (derived subjects weigh their
    # terms by how rare they are in ordinary news; feedback moves the weights).
    weight: float = 1.0
    # Derived subject terms: the lower weight they carry beside a name they keep company with
    # in ordinary news ("allies" beside "Ukraine"), as (group name, weight) pairs.
    given: tuple[tuple[str, float], ...] = ()
    # Derived subject terms that ordinary news uses nearly as readily as the topic's texts do
    # ("border", "north" for an earthquake): the share of their weight they keep where no
    # headline names them (``salience.DISTINCT_LIFT``). A headline says what the article is
    # about; the same word further down is any story of the topic's places and people.
    outside_headline: float = 1.0


@dataclass(frozen=True)
class Refinements:
    """What a user adds to sharpen a topic beyond its reference documents.

    ``require``: clauses that must all match; a clause matches when any of its groups does.
    ``support``: groups that add evidence but satisfy no clause on their own.
    ``weak``: groups that satisfy a clause, but with less confidence than the others
    (e.g. "met", "ties" for a topic about arms transfers).
    ``penalize``: groups that signal a neighbouring, off-topic story and lower the score.
    ``contexts``: groups naming another kind of story (a drill, a strike report, a peace
    plan); they discount weak evidence like ``penalize`` but subtract nothing themselves,
    because real transfer stories mention them too ("drones Iran sent were shot down").
    ``min_groups``: per require clause, the summed weight of matched groups that makes a
    full match (less counts as a weak match); groups weigh 1 unless derived or learned.
    The last require clause is the subject: a text whose subject evidence is weak never alerts.
    """

    groups: tuple[TermGroup, ...] = ()
    require: tuple[tuple[str, ...], ...] = ()
    support: tuple[str, ...] = ()
    weak: tuple[str, ...] = ()
    penalize: tuple[str, ...] = ()
    contexts: tuple[str, ...] = ()
    min_groups: tuple[float, ...] = ()
    # Derived topics: names so rare in ordinary news that they are the subject themselves
    # ("Tyre Nichols"): a text naming one needs no further subject evidence.
    subject_names: tuple[str, ...] = ()
    # Derived topics: subject terms the texts write as names ("Pence", "Mar-a-Lago", "FTC"):
    # a text naming none of the actors' clause reads them as its actors instead ("Classified
    # documents found at Mike Pence's home" is actors doing something).
    actor_names: tuple[str, ...] = ()
    # Derived topics: subject names that name an event ("Super Bowl"): the subject itself only
    # in the headline; a summary's passing mention ("... plans to air an ad during the Super
    # Bowl") is about something else.
    event_names: tuple[str, ...] = ()
    # Derived topics: the subject clause's evidence pools every clause's matched weights (a
    # rare name needs less subject than a common one), each further group of a clause
    # counting this factor less than the one before (news terms co-occur); 0 = not pooled.
    pooled_decay: float = 0.0
    # Derived topics: two of the topic's names written together whose weights sum to this
    # satisfy the subject ("Adani" and "Hindenburg": the story's two parties); 0 = never.
    # ``places`` are the names that are places: a pair needs at least one that is not.
    names_together: float = 0.0
    places: tuple[str, ...] = ()
    # Derived topics: groups whose terms are names, matched however a feed spells or inflects
    # them ("Zełenskiego", "Zelenskiy" for "Zelensky": ``services.classifier.names``).
    names: tuple[str, ...] = ()
    # Derived topics: subject groups the topic's texts only ever write capitalised ("Grant" of
    # "Grant Shapps", "Lucy"): names, so a text's lowercase word is another sense ("a package
    # of grants") and no evidence; they match only where the text capitalises them.
    capitalised: tuple[str, ...] = ()

    def clause_minimum(self, index: int) -> float:
        return self.min_groups[index] if index < len(self.min_groups) else 1.0

    @property
    def empty(self) -> bool:
        return not self.groups

    def group(self, name: str) -> TermGroup:
        return next(g for g in self.groups if g.name == name)


@dataclass(frozen=True)
class ResolvedTopic:
    id: str
    name: str
    threshold: float
    references: tuple[Reference, ...]
    refinements: Refinements = field(default_factory=Refinements)
    # The user's statement of what they want: read as one more reference passage, and for
    # derived topics a source of required subject terms.
    description: str | None = None
    # Factors learned from feedback labels (services.classifier.learning), per group name.
    learned_weights: dict[str, float] = field(default_factory=dict)


def resolve_topics(config: AppConfig) -> list[ResolvedTopic]:
    """Built-in topics first (overridden field by field by same-id config entries), then the rest."""
    overrides = {topic.id: topic for topic in config.topics}
    resolved: list[ResolvedTopic] = []
    for topic_id in builtin_topic_ids():
        base_dir, builtin = load_builtin(topic_id)
        override = overrides.pop(topic_id, None)
        resolved.append(_merge(builtin, base_dir, override, config.base_dir))
    for topic in overrides.values():
        resolved.append(_merge(topic, config.base_dir, None, config.base_dir))
    return resolved


def builtin_topic_ids() -> list[str]:
    root = resources.files(BUILTIN_PACKAGE) / BUILTIN_FOLDER
    return sorted(p.name for p in root.iterdir() if p.is_dir() and (p / "topic.yaml").is_file())


def load_builtin(topic_id: str) -> tuple[Path, TopicConfig]:
    """The built-in topic's folder and its topic.yaml, validated like a config entry."""
    folder = Path(str(resources.files(BUILTIN_PACKAGE) / BUILTIN_FOLDER / topic_id))
    path = folder / "topic.yaml"
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER)  # noqa: S506
        return folder, TopicConfig.model_validate(data)
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise ConfigError(f"built-in topic {topic_id!r} is broken ({path}): {exc}") from exc


def _merge(
    base: TopicConfig, base_dir: Path, override: TopicConfig | None, override_dir: Path
) -> ResolvedTopic:
    fields = override.model_fields_set if override is not None else set()
    chosen = override if override is not None else base

    def pick(name: str) -> Any:
        return getattr(chosen, name) if name in fields else getattr(base, name)

    refs_dir = override_dir if "references" in fields else base_dir
    refinements = base.refinements
    if override is not None and override.refinements is not None:
        refinements = _merge_refinements(base.refinements, override.refinements)
    topic_id = base.id
    references = load_references(pick("references") or [], refs_dir, topic_id)
    built = build_refinements(refinements, topic_id)
    if not references and not built.groups:
        # Nothing to score against: every article would score 0 and the topic never alert.
        raise ConfigError(
            f"topics.{topic_id}: a topic needs reference documents (references: [path/*.md]) "
            "or refinement groups"
        )
    return ResolvedTopic(
        id=topic_id,
        name=pick("name") or topic_id,
        threshold=pick("threshold") if pick("threshold") is not None else DEFAULT_THRESHOLD,
        references=references,
        refinements=built,
        description=(pick("description") or "").strip() or None,
    )


def _merge_refinements(
    base: RefinementsConfig | None, override: RefinementsConfig
) -> RefinementsConfig:
    """Keys the override sets replace the base's; groups merge by name."""
    if base is None:
        return override
    groups = {**base.groups, **override.groups}
    updates: dict[str, Any] = {"groups": groups}
    for name in ("require", "support", "weak", "penalize", "contexts"):
        if name in override.model_fields_set:
            updates[name] = getattr(override, name)
    return base.model_copy(update=updates)


def build_refinements(config: RefinementsConfig | None, topic_id: str) -> Refinements:
    """Turn validated config into the frozen form, checking that every named group exists."""
    if config is None:
        return Refinements()
    groups = tuple(
        TermGroup(
            name=name,
            label=group.label or name.replace("_", " "),
            terms=tuple(group.terms),
            counts_as=group.counts_as,
            only_with=tuple(group.only_with),
            explains=tuple(group.explains),
            unless=tuple(group.unless),
            near=tuple(group.near),
            near_words=group.near_words,
        )
        for name, group in config.groups.items()
    )
    known = {g.name for g in groups}
    named = [n for clause in config.require for n in clause]
    named += config.support + config.weak + config.penalize + config.contexts
    for group in groups:
        named += [*group.only_with, *group.explains, *group.unless, *group.near]
        named += [group.counts_as] if group.counts_as else []
    unknown = sorted(set(named) - known)
    if unknown:
        raise ConfigError(
            f"topics.{topic_id}.refinements: unknown groups {unknown}; defined: {sorted(known)}"
        )
    return Refinements(
        groups=groups,
        require=tuple(tuple(clause) for clause in config.require),
        support=tuple(config.support),
        weak=tuple(config.weak),
        penalize=tuple(config.penalize),
        contexts=tuple(config.contexts),
    )


def load_references(patterns: list[str], base_dir: Path, topic_id: str) -> tuple[Reference, ...]:
    """Expand globs relative to ``base_dir``; a pattern matching nothing is a config error."""
    found: list[Reference] = []
    for pattern in patterns:
        full = pattern if Path(pattern).is_absolute() else str(base_dir / pattern)
        paths = sorted(Path(p) for p in glob.glob(full, recursive=True))
        paths = [p for p in paths if p.is_file() and p.suffix.lower() in REFERENCE_SUFFIXES]
        if not paths:
            raise ConfigError(
                f"topics.{topic_id}.references: {pattern!r} matches no .txt/.md file under {base_dir}"
            )
        for path in paths:
            found.append(Reference(source=path.name, text=path.read_text(encoding="utf-8")))
    log.debug("topic %s: %d reference documents", topic_id, len(found))
    return tuple(found)
