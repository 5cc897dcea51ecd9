"""A digest of what the classifier job decides on real articles, to prove a speed-up changed nothing.

Stores a JSONL stream (or ``--count`` items of it, cycled with shifted dates as in
bench/classify_cpu.py, so eviction and compaction of the story window run too) in a fresh
database, classifies it through the real job in ``jobs.CLASSIFY_BATCH`` batches, then prints
one SHA-256 over every article's (id, per topic: score and explanation, story id, membership
reason, matched article, similarity, deliveries). Same digest before and after a change: the
same scores, stories and alerts. ``--out`` writes the lines themselves, to diff two runs.

    .venv/bin/python bench/classify_digest.py ../shared/stream/2023-09-13.jsonl
    .venv/bin/python bench/classify_digest.py DAY.jsonl --count 12000 --out /tmp/after.txt
    .venv/bin/python bench/classify_digest.py DAY.jsonl --postgres postgresql://postgres@127.0.0.1/postgres
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from classify_cpu import ROOT, drop_database, fill, fresh_context, items  # noqa: E402

sys.path.insert(0, str(ROOT))


def classify_all(args: argparse.Namespace, rows: list[dict[str, Any]]) -> list[str]:
    from sqlalchemy import text

    count = args.count or len(rows)
    ctx, url = fresh_context(args, rows, count)
    fill(ctx, rows, count)
    with ctx.engine.connect() as conn:
        scores = conn.execute(text(
            "SELECT article_id, topic_id, score, explanation FROM scores")).all()
        members = conn.execute(text(
            "SELECT a.id, a.story_id, m.story_id, m.reason, m.matched_article_id, m.similarity"
            " FROM articles a LEFT JOIN story_members m ON m.article_id = a.id")).all()
        sent = conn.execute(text(
            "SELECT article_id, subscription_id, topic_id, score, story_id, kind, mode"
            " FROM deliveries")).all()
    ctx.engine.dispose()
    drop_database(args, url)
    by_article: dict[int, list[str]] = defaultdict(list)
    for article_id, topic, score, explanation in scores:
        if isinstance(explanation, str):  # SQLite through a plain text() query
            explanation = json.loads(explanation)
        by_article[article_id].append(
            f"score {topic} {score!r} {json.dumps(explanation, sort_keys=True)}")
    for article_id, *member in members:
        by_article[article_id].append("story " + " ".join(map(repr, member)))
    for article_id, *delivery in sent:
        by_article[article_id].append(f"alert {delivery}")
    return [f"{article_id} {part}" for article_id in sorted(by_article)
            for part in sorted(by_article[article_id])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stream", type=Path)
    parser.add_argument("--count", type=int, help="articles (default: the stream once)")
    parser.add_argument("--postgres", help="admin URL; a fresh database is made and dropped")
    parser.add_argument("--out", type=Path, help="write the digested lines here")
    args = parser.parse_args()
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import logging

    logging.basicConfig(level=logging.WARNING)
    lines = classify_all(args, items(args.stream))
    if args.out:
        args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    articles = len({line.split(" ", 1)[0] for line in lines})
    stories = len({line.split(" ")[2] for line in lines if line.split(" ")[1] == "story"})
    alerts = sum(1 for line in lines if line.split(" ")[1] == "alert")
    digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()
    print(f"articles {articles}  stories {stories}  alerts {alerts}  sha256 {digest}")


if __name__ == "__main__":
    main()
