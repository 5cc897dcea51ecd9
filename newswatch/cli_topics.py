"""`newswatch topics check ID`: what a topic would alert on, before anyone subscribes."""

from __future__ import annotations

import json
from pathlib import Path

import click

from newswatch.options import config_option
from shared.exceptions import NewswatchError

DEFAULT_LIMIT = 20_000
SHOWN = 10


@click.group("topics")
def topics_group() -> None:
    """Topics: what each requires and how often it would alert."""


@topics_group.command("check")
@click.argument("topic_id")
@click.option("--sample", "sample_path", default=None,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSONL of items (title, summary) instead of the stored articles.")
@click.option("--limit", default=DEFAULT_LIMIT, show_default=True,
              help="At most this many (newest) stored articles.")
@click.option("--show", "shown", default=SHOWN, show_default=True,
              help="How many alerts and closest misses to list.")
@config_option
def check_command(topic_id: str, sample_path: Path | None, limit: int, shown: int,
                  config_path: Path | None) -> None:
    """How many stored (or sample) articles TOPIC_ID would alert on, and the closest misses.

    Also shows what the topic requires: its clauses, the subject terms with their weights
    (derived topics weigh terms by how rare they are in ordinary news) and the threshold.
    """
    from newswatch.cli_classify import _topics
    from services.classifier.scorer import TopicScorer

    (topic,) = _topics(config_path, topic_id)
    scorer = TopicScorer(topic)
    items = _sample(sample_path) if sample_path else _stored(config_path, limit)
    if not items:
        raise click.ClickException("no articles to check: none stored yet; pass --sample FILE.jsonl")
    _describe(scorer)
    scored = sorted(((scorer.score(title, summary), ident, title) for ident, title, summary in items),
                    key=lambda row: -row[0].score)
    alerts = [row for row in scored if row[0].score >= topic.threshold]
    misses = [row for row in scored if row[0].score < topic.threshold][:shown]
    rate = len(alerts) * 10_000 / len(items)
    source = str(sample_path) if sample_path else "stored articles"
    chance = _chance(scorer)
    expected = f"; {chance:.2f} expected by chance" if chance is not None else ""
    click.echo(f"{len(alerts)} alerts in {len(items)} {source} ({rate:.1f} per 10,000{expected}) "
               f"at threshold {topic.threshold}")
    for heading, rows in (("alerts", alerts[:shown]), ("closest misses", misses)):
        if rows:
            click.echo(f"{heading}:")
        for result, ident, title in rows:
            click.echo(f"  {result.score:.3f} [{ident}] {title[:120]}")
            click.echo(f"        {result.explanation['summary'][:200]}")
    summary = {"topic": topic.id, "items": len(items), "alerts": len(alerts),
               "per_10k": round(rate, 2), "threshold": topic.threshold}
    if chance is not None:
        summary["chance_per_10k"] = chance
    click.echo(json.dumps(summary))


def _chance(scorer: object) -> float | None:
    """A derived topic's chance alerts per 10,000 ordinary items, by its calibration (the
    weights say how rare each match is); None for a refined topic, which has none."""
    from services.classifier.salience import chance_per_10k
    from services.classifier.scorer import TopicScorer

    assert isinstance(scorer, TopicScorer)
    return chance_per_10k(scorer.refinements) if scorer.derived else None


def _describe(scorer: object) -> None:
    from services.classifier.scorer import TopicScorer

    assert isinstance(scorer, TopicScorer)
    refinements = scorer.refinements
    origin = "derived from references and description" if scorer.derived else "refinements"
    click.echo(f"topic {scorer.topic.id} ({scorer.topic.name}): {origin}")
    for index, clause in enumerate(refinements.require):
        role = "subject" if index == len(refinements.require) - 1 else "actors"
        terms = ", ".join(
            f"{refinements.group(g).label}"
            + (f" ({scorer.group_weight(g):.2f})" if abs(scorer.group_weight(g) - 1.0) > 1e-3 else "")
            for g in clause[:24]
        )
        more = f" … (+{len(clause) - 24})" if len(clause) > 24 else ""
        click.echo(f"  requires {role} (weight >= {refinements.clause_minimum(index):g}): {terms}{more}")
    if refinements.subject_names:
        names = ", ".join(refinements.group(g).label for g in refinements.subject_names)
        click.echo(f"  names that are the subject themselves: {names}")
    if refinements.names_together:
        click.echo(f"  two names together (not both places) whose weights reach "
                   f"{refinements.names_together:g} satisfy the subject")
    chance = _chance(scorer)
    if chance is not None:
        click.echo(f"  expected by chance (calibration): {chance:.2f} alerts per 10,000 ordinary items")


def _sample(path: Path) -> list[tuple[str, str, str]]:
    items: list[tuple[str, str, str]] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                items.append((str(data.get("id") or data.get("link") or f"line {number}"),
                              str(data.get("title") or ""), str(data.get("summary") or "")))
            except (ValueError, AttributeError) as exc:
                raise click.ClickException(f"{path}:{number}: not a JSON object ({exc})") from exc
    return items


def _stored(config_path: Path | None, limit: int) -> list[tuple[str, str, str]]:
    from newswatch.options import open_context
    from shared import store

    try:
        ctx = open_context(config_path, require_queue=False)
        with ctx.engine.connect() as conn:
            rows = store.recent_article_texts(conn, limit)
    except NewswatchError as exc:
        raise click.ClickException(str(exc)) from exc
    return [(f"article {r.id}", r.title or "", r.summary or "") for r in rows]


COMMANDS: list[click.Command] = [topics_group]
