"""Resolving topics: the built-in axis, overrides by id, reference globs, config errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.config import AppConfig, parse_config
from shared.exceptions import ConfigError
from shared.topics import resolve_topics


def _config(tmp_path: Path, body: str) -> AppConfig:
    path = tmp_path / "newswatch.yaml"
    path.write_text(body)
    return parse_config(body, source=path)


def test_builtin_axis_ships_our_brief_and_refinements() -> None:
    (axis,) = [t for t in resolve_topics(AppConfig()) if t.id == "axis"]
    assert axis.threshold == 0.5
    assert {r.source for r in axis.references} >= {"brief.md"}
    names = {g.name for g in axis.refinements.groups}
    assert {"iran", "north_korea", "china", "russia", "weapons"} <= names
    iran = axis.refinements.group("iran")
    assert "Tehran" in iran.terms and "Fath-360" in iran.terms
    assert len(axis.refinements.require) == 3


def test_override_by_id_changes_only_the_fields_it_sets(tmp_path: Path) -> None:
    refs = tmp_path / "refs"
    refs.mkdir()
    (refs / "one.txt").write_text("Iran sent drones to Russia.")
    (refs / "two.md").write_text("North Korea sent shells to Russia.")
    config = _config(
        tmp_path,
        "topics:\n  - id: axis\n    threshold: 0.6\n    references: ['refs/*']\n"
        "    refinements:\n      groups:\n        china:\n          terms: [China, Beijing, PRC]\n",
    )
    (axis,) = resolve_topics(config)
    assert axis.threshold == 0.6
    assert [r.source for r in axis.references] == ["one.txt", "two.md"]
    assert axis.name.startswith("Arms for Russia")  # kept from the built-in
    assert axis.refinements.group("china").terms == ("China", "Beijing", "PRC")
    assert "Pyongyang" in axis.refinements.group("north_korea").terms
    assert len(axis.refinements.require) == 3


def test_new_topic_with_refinements_and_references(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("Volcano erupts near Grindavik, Iceland.")
    config = _config(
        tmp_path,
        "topics:\n  - id: volcano\n    references: [a.md]\n    refinements:\n"
        "      groups:\n        place: {terms: [Iceland, Grindavik]}\n"
        "        event: {terms: [eruption, erupts, lava]}\n"
        "      require: [[place], [event]]\n",
    )
    topics = resolve_topics(config)
    assert [t.id for t in topics] == ["axis", "volcano"]
    volcano = topics[1]
    assert volcano.name == "volcano" and volcano.threshold == 0.5
    assert volcano.refinements.require == (("place",), ("event",))


def test_unknown_group_in_require_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("text")
    config = _config(
        tmp_path,
        "topics:\n  - id: t\n    references: [a.md]\n    refinements:\n"
        "      groups:\n        place: {terms: [Iceland]}\n      require: [[place], [nope]]\n",
    )
    with pytest.raises(ConfigError, match="nope"):
        resolve_topics(config)


def test_reference_glob_matching_nothing_is_a_config_error(tmp_path: Path) -> None:
    config = _config(tmp_path, "topics:\n  - id: t\n    references: ['missing/*.txt']\n")
    with pytest.raises(ConfigError, match="missing/\\*.txt"):
        resolve_topics(config)


def test_unknown_refinement_key_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r":4: .*refinements.requires"):
        _config(tmp_path, "topics:\n  - id: t\n    refinements:\n      requires: []\n")


def test_topic_with_nothing_to_score_against_is_a_config_error() -> None:
    config = parse_config("topics:\n  - id: empty\n    name: Nothing here\n")
    with pytest.raises(ConfigError, match="topics.empty: a topic needs reference documents"):
        resolve_topics(config)
