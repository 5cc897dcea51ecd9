"""`newswatch feedback`: label an article for a topic, the same verdict an alert's link records."""

from __future__ import annotations

from pathlib import Path

import click

from newswatch.options import config_option, open_context
from shared.exceptions import NewswatchError

LABELS = ("relevant", "not-relevant")  # shared.store.FEEDBACK_LABELS, kept light for start-up


@click.command("feedback")
@click.argument("article_id", type=int)
@click.argument("label", type=click.Choice(LABELS))
@click.option("--topic", "topic_id", required=True, help="The topic the verdict is about.")
@config_option
def feedback_command(article_id: int, label: str, topic_id: str, config_path: Path | None) -> None:
    """Record that ARTICLE_ID is relevant / not-relevant to a topic (the latest label wins).

    Labels feed `newswatch eval --feedback` and the topic's learned threshold and weights.
    """
    from shared import store
    from shared.topics import resolve_topics

    try:
        ctx = open_context(config_path, require_queue=False)
        known = [t.id for t in resolve_topics(ctx.config)]
        if topic_id not in known:
            raise click.ClickException(f"unknown topic {topic_id!r}; known topics: {', '.join(known)}")
        with ctx.engine.begin() as conn:
            article = store.get_article(conn, article_id)
            if article is None:
                raise click.ClickException(f"no article with id {article_id}")
            before = store.get_feedback(conn, article_id, topic_id)
            store.save_feedback(conn, article_id, topic_id, label, "cli", store.utcnow())
    except NewswatchError as exc:
        raise click.ClickException(str(exc)) from exc
    change = f" (was {before.label})" if before is not None and before.label != label else ""
    click.echo(f"article {article_id} labelled {label} for {topic_id}{change}: {article.title}")


COMMANDS: list[click.Command] = [feedback_command]
