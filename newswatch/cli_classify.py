"""`newswatch score` and `newswatch eval`: try the classifier by hand and measure it.

Both work without a database or Redis: they need only the config (optional) and the
topic references, so an analyst can tune a topic on a laptop.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from newswatch.options import config_option
from shared.exceptions import NewswatchError

if TYPE_CHECKING:  # the scorer pulls numpy and the stemmer: only the commands load it
    from services.classifier.scorer import Score, TopicScorer
    from shared.topics import ResolvedTopic

DEFAULT_EVAL_TOPIC = "axis"

def _topics(config_path: Path | None, topic_id: str | None) -> list[ResolvedTopic]:
    from shared.config import load_config
    from shared.topics import resolve_topics

    try:
        topics = resolve_topics(load_config(config_path))
    except NewswatchError as exc:
        raise click.ClickException(str(exc)) from exc
    if topic_id is None:
        return topics
    chosen = [t for t in topics if t.id == topic_id]
    if not chosen:
        known = ", ".join(t.id for t in topics)
        raise click.ClickException(f"unknown topic {topic_id!r}; known topics: {known}")
    return chosen


def _split(text: str) -> tuple[str, str]:
    """First line is the title, the rest the summary (a one-line text is all title)."""
    title, _, summary = text.strip().partition("\n")
    return title.strip(), summary.strip()


@click.command("score")
@click.option("--topic", "topic_id", default=None, help="Score against this topic only.")
@config_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per topic per line.")
@click.argument("text", required=False)
def score_command(
    topic_id: str | None, config_path: Path | None, as_json: bool, text: str | None
) -> None:
    """Score TEXT (or stdin) against each topic and explain the score.

    The first line is taken as the headline, the rest as the summary (HTML allowed).
    """
    from services.classifier.scorer import build_scorers

    raw = text if text is not None else sys.stdin.read()
    if not raw.strip():
        raise click.UsageError("nothing to score: pass TEXT or pipe it on stdin")
    title, summary = _split(raw)
    for scorer in build_scorers(_topics(config_path, topic_id)).values():
        result = scorer.score(title, summary)
        if as_json:
            click.echo(json.dumps(_record(scorer, result), ensure_ascii=False))
        else:
            _print_score(scorer, result)


def _record(scorer: TopicScorer, result: Score) -> dict[str, object]:
    return {
        "topic": result.topic_id,
        "score": result.score,
        "threshold": scorer.topic.threshold,
        "relevant": result.score >= scorer.topic.threshold,
        "explanation": result.explanation,
    }


def _print_score(scorer: TopicScorer, result: Score) -> None:
    threshold = scorer.topic.threshold
    verdict = "ALERT" if result.score >= threshold else "below threshold"
    click.echo(f"{result.topic_id}: {result.score:.4f} ({verdict}, threshold {threshold})")
    _print_explanation(result, indent="  ")


def _print_explanation(result: Score, indent: str) -> None:
    explanation = result.explanation
    click.echo(f"{indent}{explanation['summary']}")
    for line in explanation["evidence"]:
        click.echo(f"{indent}+ {line}")
    for line in explanation.get("penalties", []):
        click.echo(f"{indent}- {line}")
    passage = explanation.get("passage")
    if passage:
        click.echo(
            f"{indent}nearest passage ({passage['source']}, similarity {passage['similarity']}): "
            f"{passage['text']}"
        )
    click.echo(f"{indent}components: {json.dumps(explanation.get('components', {}))}")


@click.command("eval")
@click.option(
    "--labels",
    "labels_path",
    default=None,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JSONL file: one object per line with title, summary, label (1/0).",
)
@click.option("--feedback", "use_feedback", is_flag=True,
              help="Measure on the feedback labels collected so far (the database).")
@click.option("--topic", "topic_id", default=DEFAULT_EVAL_TOPIC, show_default=True)
@config_option
@click.option("--errors", "show_errors", is_flag=True, help="List false positives and negatives.")
def eval_command(
    labels_path: Path | None, use_feedback: bool, topic_id: str, config_path: Path | None,
    show_errors: bool,
) -> None:
    """Precision/recall of a topic on labelled items, at the topic's configured threshold.

    With --feedback the items are the readers' labels in the database: it prints the topic as
    configured, then as it learns from the labels (the older half teaches, the newer half is
    measured, then all of them in-sample). The last line of output is one JSON object:
    {"topic","n","tp","fp","fn","tn","precision","recall","f1","threshold"}.
    """
    if (labels_path is None) == (not use_feedback):
        raise click.UsageError("give exactly one of --labels FILE or --feedback")
    from services.classifier.evaluate import evaluate, read_labels
    from services.classifier.scorer import TopicScorer

    (topic,) = _topics(config_path, topic_id)
    if use_feedback:
        _eval_feedback(topic, config_path, show_errors)
        return
    assert labels_path is not None
    scorer = TopicScorer(topic)
    try:
        result = evaluate(scorer, read_labels(labels_path))
    except NewswatchError as exc:
        raise click.ClickException(str(exc)) from exc
    if show_errors:
        for kind, item, score in result.errors:
            ident = item.item_id or f"line {item.line}"
            click.echo(f"{kind} {score.score:.4f} [{ident}] {item.title}")
            _print_explanation(score, indent="    ")
    click.echo(json.dumps(result.metrics()))


def _eval_feedback(topic: ResolvedTopic, config_path: Path | None, show_errors: bool) -> None:
    from newswatch.options import open_context
    from services.classifier.evaluate import LabelledItem, evaluate
    from services.classifier.learning import Label, apply, learn
    from services.classifier.scorer import TopicScorer
    from shared import store

    try:
        ctx = open_context(config_path, require_queue=False)
        with ctx.engine.connect() as conn:
            rows = store.list_feedback(conn, topic.id)
    except NewswatchError as exc:
        raise click.ClickException(str(exc)) from exc
    if not rows:
        raise click.ClickException(f"no feedback labels for topic {topic.id!r} yet "
                                   "(newswatch feedback ARTICLE_ID --topic ID relevant|not-relevant)")
    labels = [Label(r.title or "", r.summary or "", r.label == "relevant") for r in rows]
    items = [
        LabelledItem(line=n, title=lab.title, summary=lab.summary, label=int(lab.relevant),
                     item_id=str(r.article_id))
        for n, (lab, r) in enumerate(zip(labels, rows, strict=True))
    ]
    base = TopicScorer(topic)
    half = len(labels) // 2
    early = learn(base, labels[:half]) if half else None
    learned = learn(base, labels)
    runs: list[tuple[str, TopicScorer, list[LabelledItem]]] = [("as configured", base, items)]
    if early is not None:
        runs.append((f"learned from the older {half}, on the newer {len(items) - half}",
                     TopicScorer(apply(topic, early)), items[half:]))
    final = TopicScorer(apply(topic, learned))
    runs.append(("learned from all (in-sample)", final, items))
    click.echo(f"{len(labels)} feedback labels for {topic.id}: {sum(x.relevant for x in labels)} relevant")
    click.echo(f"learned: {learned.describe()}")
    result = None
    for name, scorer, subset in runs:
        result = evaluate(scorer, subset)
        click.echo(f"{name}: {json.dumps(result.metrics())}")
        if show_errors:
            for kind, item, score in result.errors:
                click.echo(f"  {kind} {score.score:.4f} [article {item.item_id}] {item.title}")
    assert result is not None
    click.echo(json.dumps(result.metrics()))


COMMANDS: list[click.Command] = [score_command, eval_command]
