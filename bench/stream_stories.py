"""Alerts per story on a real day of news (not a test; the data is not ours to ship).

Feeds a JSONL stream (feed, title, summary, link, published) in publication order through the
story grouping engine and the default scorer, then prints how the relevant items fall into
stories, and the alerts a live subscriber would get per story: the first relevant item alerts,
a later one sends a marked update under the gate's rules (StoriesConfig defaults: 3 more
outlets or a score 0.2 higher, 6 h apart, at most 1), with the articles' own times as the clock.
``--show N`` prints the member headlines of the N biggest relevant stories, to read them.

    .venv/bin/python bench/stream_stories.py ../shared/stream/2023-09-13.jsonl
    .venv/bin/python bench/stream_stories.py ../shared/weeks/week-2023-01-23.jsonl --show 5
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
from shared.config import AppConfig, StoriesConfig
from shared.topics import resolve_topics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stream", type=Path)
    parser.add_argument("--topic", default="axis")
    parser.add_argument("--show", type=int, default=0, help="headlines of the N biggest stories")
    args = parser.parse_args()
    gate = StoriesConfig()
    scorer = build_scorers(resolve_topics(AppConfig()))[args.topic]
    rows = [json.loads(line) for line in args.stream.read_text(encoding="utf-8").split("\n")
            if line.strip()]
    rows.sort(key=lambda r: r.get("published") or "")
    index, members, relevant = StoryIndex(), defaultdict(list), defaultdict(list)
    outlets_of: dict[int, set[str]] = defaultdict(set)
    sent: dict[int, list[tuple[datetime, int, float]]] = {}  # story -> (when, outlets, score)
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
        outlets_of[story_id].add(article.outlet)
        score = scorer.score(article.title, article.summary).score
        if score >= scorer.topic.threshold:
            relevant[story_id].append(i)
            _gate(gate, sent, story_id, when, len(outlets_of[story_id]), score)
    cpu = time.process_time() - started
    count = sum(len(v) for v in relevant.values())
    print(f"{len(rows)} items -> {len(members)} stories; {count} relevant items in "
          f"{len(relevant)} stories (alerts per relevant item {len(relevant) / max(count, 1):.2f}); "
          f"{cpu * 1000 / max(len(rows), 1):.2f} ms CPU per item (scoring + grouping)")
    print(f"alerts a subscriber gets: {sum(map(len, sent.values()))} "
          f"for {len(sent)} stories")
    ranked = sorted(relevant.items(), key=lambda kv: -len(kv[1]))
    for n, (story_id, items) in enumerate(ranked):
        outlets = {urlsplit(rows[i]["feed"]).hostname for i in members[story_id]}
        print(f"  story {story_id}: {len(sent[story_id])} alerts, {len(items)} relevant of "
              f"{len(members[story_id])} articles, {len(outlets)} outlets: "
              f"{rows[items[0]]['title'][:90]}")
        if n < args.show:
            for i in members[story_id]:
                mark = "*" if i in items else " "
                print(f"      {mark} {rows[i].get('published', '')[:16]} "
                      f"{urlsplit(rows[i]['feed']).hostname}: {(rows[i].get('title') or '')[:100]}")


def _gate(config: StoriesConfig, sent: dict[int, list[tuple[datetime, int, float]]],
          story_id: int, when: datetime, outlets: int, score: float) -> None:
    """The story gate of services.classifier.dedup_assign, on the articles' clock."""
    history = sent.get(story_id)
    if history is None:
        sent[story_id] = [(when, outlets, score)]
        return
    last_when, last_outlets, last_score = history[-1]
    grew = (outlets >= last_outlets + config.update_min_new_outlets
            or score >= last_score + config.update_score_gain)
    if (config.updates and len(history) - 1 < config.max_updates and grew
            and when - last_when >= config.update_min_interval):
        history.append((when, outlets, max(score, last_score)))


if __name__ == "__main__":
    main()
