"""Alerts per story on a real day of news (not a test; the data is not ours to ship).

Feeds a JSONL stream (feed, title, summary, link, published) in publication order through the
story grouping engine and the default scorer, then prints how the relevant items fall into
stories: the alerts a subscriber would get instead of one per article.

    .venv/bin/python bench/stream_stories.py ../shared/stream/2023-09-13.jsonl
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from services.classifier.scorer import build_scorers
from services.classifier.stories import StoryArticle, StoryIndex
from shared.config import AppConfig
from shared.topics import resolve_topics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stream", type=Path)
    parser.add_argument("--topic", default="axis")
    args = parser.parse_args()
    scorer = build_scorers(resolve_topics(AppConfig()))[args.topic]
    rows = [json.loads(line) for line in args.stream.read_text(encoding="utf-8").splitlines() if line]
    rows.sort(key=lambda r: r.get("published") or "")
    index, members, relevant = StoryIndex(), defaultdict(list), defaultdict(list)
    next_id, started = 0, time.process_time()
    for i, row in enumerate(rows):
        when = datetime.fromisoformat(row["published"]) if row.get("published") else datetime.now(UTC)
        article = StoryArticle(key=i, outlet=urlsplit(row["feed"]).hostname or row["feed"],
                               url=row.get("link") or f"item-{i}", title=row.get("title") or "",
                               summary=row.get("summary") or "", seen_at=when)
        assignment = index.assign(article)
        if assignment.story_id is None:
            next_id += 1
        story_id = assignment.story_id if assignment.story_id is not None else next_id
        index.add(article, story_id)
        members[story_id].append(i)
        if scorer.score(article.title, article.summary).score >= scorer.topic.threshold:
            relevant[story_id].append(i)
    cpu = time.process_time() - started
    count = sum(len(v) for v in relevant.values())
    print(f"{len(rows)} items -> {len(members)} stories; {count} relevant items in "
          f"{len(relevant)} stories (alerts per relevant item {len(relevant) / max(count, 1):.2f}); "
          f"{cpu * 1000 / max(len(rows), 1):.2f} ms CPU per item (scoring + grouping)")
    for story_id, items in sorted(relevant.items(), key=lambda kv: -len(kv[1])):
        outlets = {urlsplit(rows[i]["feed"]).hostname for i in members[story_id]}
        print(f"  story {story_id}: {len(items)} relevant of {len(members[story_id])} articles, "
              f"{len(outlets)} outlets: {rows[items[0]]['title'][:90]}")


if __name__ == "__main__":
    main()
