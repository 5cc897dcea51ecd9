"""Per-article CPU of the classifier job (score, story, route, store) as the database grows.

For each size N: a fresh database (SQLite file, or a fresh PostgreSQL database with
--postgres), N real articles stored and classified through the real job (batches of
``jobs.CLASSIFY_BATCH``), then ``--measure`` more articles classified the same way while
``time.process_time`` runs: CPU of this process per article (the PostgreSQL server's own CPU is
not in it), split into scoring and the rest. Articles come from a JSONL stream or week (not a
test; the data is not ours to ship), cycled with shifted dates when N exceeds it, so the
72-hour story window holds what a real feed set would. ``peak MB`` is the process's peak
resident memory so far (ru_maxrss): with several sizes, the larger ones' figure includes the
smaller ones' runs, so give one size per run for a clean figure.

    .venv/bin/python bench/classify_cpu.py ../shared/weeks/week-2023-01-23.jsonl --sizes 1000 10000
    .venv/bin/python bench/classify_cpu.py WEEK.jsonl --postgres postgresql://postgres@127.0.0.1/postgres
    .venv/bin/python bench/classify_cpu.py WEEK.jsonl --sizes 10000 --profile /tmp/classify.prof
    .venv/bin/python bench/classify_cpu.py WEEK.jsonl --sizes 1000 --dump /tmp/before.tsv

``--dump`` writes every story membership, story and score of the run (one sorted line each)
to PATH.<size>: two runs' dumps are identical when a speed change kept the behaviour.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import resource
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def items(path: Path) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]
    rows = [r for r in rows if r.get("published")]
    rows.sort(key=lambda r: r["published"])
    return rows


def cycled(rows: list[dict[str, Any]], start: int, count: int) -> Iterator[tuple[int, dict[str, Any]]]:
    """Items start..start+count of the stream repeated, each lap shifted by its span."""
    first = datetime.fromisoformat(rows[0]["published"])
    span = datetime.fromisoformat(rows[-1]["published"]) - first + timedelta(hours=1)
    for n in range(start, start + count):
        lap, row = divmod(n, len(rows))
        yield n, {**rows[row], "when": datetime.fromisoformat(rows[row]["published"]) + lap * span}


def database(args: argparse.Namespace, size: int) -> str:
    if not args.postgres:
        return f"sqlite:///{tempfile.mkdtemp(prefix='nw-cpu-')}/bench.db"
    from sqlalchemy import create_engine, text

    name = f"nw_cpu_{size}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return args.postgres.rsplit("/", 1)[0] + "/" + name


def store_items(ctx: Any, chunk: list[tuple[int, dict[str, Any]]]) -> list[int]:
    from shared import store

    by_feed: dict[str, list[store.NewArticle]] = defaultdict(list)
    for n, row in chunk:
        by_feed[row["feed"]].append(store.NewArticle(
            identity=f"{n}:{row.get('link')}", content_hash=str(n), title=row.get("title") or "",
            summary=row.get("summary") or "", url=row.get("link"), published_at=row["when"],
        ))
    ids: list[int] = []
    with ctx.engine.begin() as conn:
        feed_ids = {r.url: r.id for r in store.all_feeds(conn)}
        for feed, entries in by_feed.items():
            seen = max(e.published_at for e in entries if e.published_at)
            ids += [i for i, change in store.upsert_articles(conn, feed_ids[feed], entries, seen)
                    if change == "new"]
    return ids


def fresh_context(args: argparse.Namespace, rows: list[dict[str, Any]], size: int) -> tuple[Any, str]:
    """A fresh database for ``size`` articles, migrated, with the rows' feeds and one console
    subscription to the built-in topic; the embedded context on it, set as current."""
    from shared import store
    from shared.config import AppConfig, FeedConfig
    from shared.context import build_context, set_context
    from shared.db import migrate
    from shared.settings import Settings

    url = database(args, size)
    os.environ["DATABASE_URL"] = url
    migrate(url)
    config = AppConfig.model_validate({
        "alert_max_age": 0,
        "subscriptions": [{"id": "desk", "topics": ["axis"], "console": {}}],
    })
    ctx = build_context(embedded=True, config=config, settings=Settings())
    set_context(ctx)
    with ctx.engine.begin() as conn:
        feeds = sorted({r["feed"] for r in rows})
        store.sync_feeds(conn, [FeedConfig(url=f) for f in feeds], datetime.now(UTC))
    return ctx, url


def fill(ctx: Any, rows: list[dict[str, Any]], count: int) -> None:
    """Store and classify the first ``count`` (cycled) rows through the real job, by 1000."""
    from services.classifier.jobs import classify_articles
    from shared import jobs

    for lo in range(0, count, 1000):
        ids = store_items(ctx, list(cycled(rows, lo, min(1000, count - lo))))
        for batch in jobs.batches(ids):
            classify_articles(batch)


def run_size(args: argparse.Namespace, rows: list[dict[str, Any]], size: int) -> None:
    from services.classifier.jobs import classify_articles, scorers
    from shared import jobs, store

    ctx, url = fresh_context(args, rows, size)
    started = time.monotonic()
    fill(ctx, rows, size)
    fill_s = time.monotonic() - started
    measured = list(cycled(rows, size, args.measure))
    ids = store_items(ctx, measured)
    with ctx.engine.connect() as conn:
        texts = [(a.title, a.summary) for a in store.get_articles(conn, ids)]
    topic_scorers = list(scorers(ctx).values())
    cpu = time.process_time()
    for title, summary in texts:
        for scorer in topic_scorers:
            scorer.score(title, summary)
    scoring = time.process_time() - cpu
    profile = cProfile.Profile(time.process_time) if args.profile else None  # CPU, not wall
    cpu, wall = time.process_time(), time.monotonic()
    if profile:
        profile.enable()
    for batch in jobs.batches(ids):
        classify_articles(batch)
    if profile:
        profile.disable()
        profile.dump_stats(f"{args.profile}.{size}")
    total, wall = time.process_time() - cpu, time.monotonic() - wall
    n = len(ids)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{ctx.engine.dialect.name:10}  {size:>7}  {n:>5}  {total * 1000 / n:8.3f}  "
          f"{scoring * 1000 / n:8.3f}  {(total - scoring) * 1000 / n:8.3f}  "
          f"{wall * 1000 / n:8.3f}  {fill_s:7.0f}  {peak:7.0f}", flush=True)
    if args.dump:
        dump(ctx, f"{args.dump}.{size}")
    ctx.engine.dispose()
    drop_database(args, url)


def dump(ctx: Any, path: str) -> None:
    """Every membership, story, score and delivery of the run, one sorted line each."""
    from sqlalchemy import select

    from shared.models import deliveries, scores, stories, story_members

    queries = {
        "member": select(story_members.c.article_id, story_members.c.story_id,
                         story_members.c.reason, story_members.c.matched_article_id,
                         story_members.c.similarity, story_members.c.outlet,
                         story_members.c.seen_at),
        "story": select(stories.c.id, stories.c.title, stories.c.first_article_id,
                        stories.c.article_count, stories.c.outlet_count,
                        stories.c.first_seen_at, stories.c.last_seen_at),
        "score": select(scores.c.article_id, scores.c.topic_id, scores.c.score,
                        scores.c.explanation, scores.c.content_hash),
        "delivery": select(deliveries.c.subscription_id, deliveries.c.article_id,
                           deliveries.c.topic_id, deliveries.c.score, deliveries.c.story_id,
                           deliveries.c.kind, deliveries.c.status),
    }
    lines: list[str] = []
    with ctx.engine.connect() as conn:
        for name, query in queries.items():
            lines += [name + "\t" + json.dumps(list(row), default=str, sort_keys=True)
                      for row in conn.execute(query)]
    Path(path).write_text("\n".join(sorted(lines)) + "\n", encoding="utf-8")


def drop_database(args: argparse.Namespace, url: str) -> None:
    """The bench's own PostgreSQL database, not the user's (a SQLite file is left in /tmp)."""
    if not args.postgres:
        return
    from sqlalchemy import create_engine, text

    admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stream", type=Path)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--measure", type=int, default=1000, help="articles timed per size")
    parser.add_argument("--postgres", help="admin URL; a fresh database is made per size")
    parser.add_argument("--profile", help="cProfile the timed classify batches to PROFILE.<size>")
    parser.add_argument("--dump", help="write memberships, stories, scores to DUMP.<size>")
    args = parser.parse_args()
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import logging

    logging.basicConfig(level=logging.WARNING)
    rows = items(args.stream)
    print("database    stored  timed  CPU ms/art  score ms  rest ms  wall ms/art  fill s  peak MB")
    for size in args.sizes:
        run_size(args, rows, size)


if __name__ == "__main__":
    main()
