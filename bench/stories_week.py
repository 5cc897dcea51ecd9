"""Story grouping quality on a real week of news, against our own story labels.

Not a test (the week's texts are not ours to ship). Runs every entry of the week file through the
grouping engine in publication order, with the articles' own times as the clock, then scores the
labelled items (bench/data/stories_week/labels.jsonl: link, story, note; see its README):

- pairwise and B-cubed precision / recall of the engine's stories against the labelled stories;
- the false merges: engine stories holding items of two labelled stories (precision errors);
- alerts per labelled story: a subscriber who wants that story gets its labelled items in time
  order; the first item of each engine story alerts, a later one sends a marked update under the
  gate's rules (StoriesConfig defaults, as services.classifier.dedup_assign.story_gate);
- with ``--mixed FILE`` (another week), that week's entries are moved by whole weeks onto this
  one and mixed in: the labelled items must still group alike among twice the other traffic
  (the window's IDF, the big stories and the candidates all change);
- with ``--topic DIR`` (a topic of bench/data/topics*/), alerts per story for the items the
  topic's scorer finds relevant over the whole week, as a live subscriber would get them.

    .venv/bin/python bench/stories_week.py /work/shared/weeks/week-2023-02-06.jsonl
    .venv/bin/python bench/stories_week.py /work/shared/weeks/week-2023-02-06.jsonl \\
        --topic bench/data/topics/balloon --show 3
    .venv/bin/python bench/stories_week.py /work/shared/weeks/week-2023-02-06.jsonl \\
        --mixed /work/shared/weeks/week-2023-01-23.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.stream_stories import _gate  # noqa: E402
from services.classifier.dedup_metrics import score_grouping  # noqa: E402
from services.classifier.stories import StoryArticle, StoryIndex  # noqa: E402
from shared.config import StoriesConfig  # noqa: E402

LABELS = ROOT / "bench" / "data" / "stories_week"
Sent = dict[int, list[tuple[datetime, int, float]]]


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    rows.sort(key=lambda r: r.get("published") or "")
    return rows


def mix_in(rows: list[dict[str, str]], other: list[dict[str, str]]) -> list[dict[str, str]]:
    """``other`` moved by whole weeks (weekdays and hours kept) to start in ``rows``'s first
    week, merged in publication order; the labelled links stay those of ``rows``."""
    dated = [r for r in other if r.get("published")]
    if not rows or not dated:
        return rows
    start = datetime.fromisoformat(rows[0]["published"])
    gap = start - datetime.fromisoformat(dated[0]["published"])
    shift = timedelta(weeks=round(gap / timedelta(weeks=1)))
    known = {row.get("link") for row in rows}
    moved = [{**r, "published": str(datetime.fromisoformat(r["published"]) + shift)}
             for r in dated if r.get("link") not in known]
    mixed = rows + moved
    mixed.sort(key=lambda r: datetime.fromisoformat(r["published"]))
    return mixed


def group_week(rows: list[dict[str, str]]) -> tuple[list[int], list[int], float]:
    """Engine story id and distinct outlets of that story so far, per row; CPU seconds."""
    index, outlets_of = StoryIndex(), defaultdict(set)
    stories, outlets, next_id = [], [], 0
    started = time.process_time()
    for i, row in enumerate(rows):
        article = StoryArticle(key=i, outlet=urlsplit(row["feed"]).hostname or row["feed"],
                               url=row.get("link") or f"item-{i}", title=row.get("title") or "",
                               summary=row.get("summary") or "",
                               seen_at=datetime.fromisoformat(row["published"]))
        story_id = index.assign(article).story_id
        if story_id is None:
            next_id += 1
            story_id = next_id
        index.add(article, story_id)
        outlets_of[story_id].add(article.outlet)
        stories.append(story_id)
        outlets.append(len(outlets_of[story_id]))
    return stories, outlets, time.process_time() - started


def alerts(items: list[int], rows: list[dict[str, str]], stories: list[int],
           outlets: list[int], gate: StoriesConfig, scores: dict[int, float] | None = None) -> Sent:
    """What one subscriber receiving ``items`` (time order) gets, per engine story."""
    sent: Sent = {}
    for i in items:
        score = scores[i] if scores else 1.0
        _gate(gate, sent, stories[i], datetime.fromisoformat(rows[i]["published"]), outlets[i],
              score)
    return sent


def labelled_report(rows: list[dict[str, str]], stories: list[int], outlets: list[int],
                    gate: StoriesConfig, top: int) -> None:
    by_link = {row["link"]: i for i, row in enumerate(rows)}
    labels = [json.loads(line) for line in
              (LABELS / "labels.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    gold = {by_link[label["link"]]: label["story"] for label in labels}
    order = sorted(gold)
    s = score_grouping(gold, {i: stories[i] for i in order}, order)
    print(f"labelled: {len(order)} items, {s.events} stories -> {s.stories} engine stories")
    print(f"  pairwise P/R/F1 {s.pair_precision:.3f} / {s.pair_recall:.3f} / {s.pair_f1:.3f}")
    print(f"  B-cubed  P/R/F1 {s.bcubed_precision:.3f} / {s.bcubed_recall:.3f} / {s.bcubed_f1:.3f}")
    print(f"  alerts per story (one subscriber for all) {s.alerts_per_story:.2f}, "
          f"stories never alerted {s.missed_events}")
    mixed: dict[int, Counter[str]] = defaultdict(Counter)
    for i in order:
        mixed[stories[i]][gold[i]] += 1
    merges = {sid: c for sid, c in mixed.items() if len(c) > 1}
    print(f"false merges: {len(merges)} engine stories hold items of several labelled stories")
    for sid, counts in sorted(merges.items()):
        print(f"  engine story {sid}: " + ", ".join(f"{k} x{v}" for k, v in counts.most_common()))
    members: dict[str, list[int]] = defaultdict(list)
    for i in order:
        members[gold[i]].append(i)
    print(f"alerts per labelled story (gate: {gate.update_min_new_outlets} more outlets or "
          f"+{gate.update_score_gain} score, {gate.update_min_interval} apart, "
          f"at most {gate.max_updates} update(s) per engine story):")
    total = 0
    for story, items in sorted(members.items(), key=lambda kv: -len(kv[1])):
        sent = alerts(items, rows, stories, outlets, gate)
        count = sum(map(len, sent.values()))
        total += count
        if top > 0:
            top -= 1
            print(f"  {story}: {len(items)} items -> {len(sent)} engine stories, {count} alerts")
    print(f"  all {len(members)} labelled stories: {total} alerts")


def topic_report(rows: list[dict[str, str]], stories: list[int], outlets: list[int],
                 gate: StoriesConfig, topic_dir: Path, show: int) -> None:
    from bench.topics_eval import build_scorer

    spec = yaml.safe_load((topic_dir / "topic.yaml").read_text(encoding="utf-8"))
    by_link = {row["link"]: row for row in rows}
    with tempfile.TemporaryDirectory() as folder:
        scorer = build_scorer(spec, by_link, Path(folder))
    scores = {}
    for i, row in enumerate(rows):
        score = scorer.score(row.get("title") or "", row.get("summary") or "").score
        if score >= scorer.topic.threshold:
            scores[i] = score
    sent = alerts(sorted(scores), rows, stories, outlets, gate, scores)
    print(f"topic {spec['id']}: {len(scores)} relevant items of {len(rows)} -> "
          f"{len(sent)} engine stories, {sum(map(len, sent.values()))} alerts")
    relevant: dict[int, list[int]] = defaultdict(list)
    for i in sorted(scores):
        relevant[stories[i]].append(i)
    for n, (sid, items) in enumerate(sorted(relevant.items(), key=lambda kv: -len(kv[1]))[:15]):
        print(f"  story {sid}: {len(sent[sid])} alerts, {len(items)} relevant, "
              f"{rows[items[0]]['published'][:16]} {rows[items[0]]['title'][:80]}")
        if n < show:
            for i in items:
                print(f"      {rows[i]['published'][5:16]} {(rows[i].get('title') or '')[:90]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("week", type=Path)
    parser.add_argument("--topic", type=Path, action="append", default=[],
                        help="a topic folder (topic.yaml): alerts per story for its relevant items")
    parser.add_argument("--mixed", type=Path, action="append", default=[],
                        help="another week's file, moved onto this week and mixed in")
    parser.add_argument("--top", type=int, default=15, help="labelled stories to list")
    parser.add_argument("--show", type=int, default=0, help="headlines of the N biggest stories")
    args = parser.parse_args()
    rows = read_rows(args.week)
    for other in args.mixed:
        rows = mix_in(rows, read_rows(other))
    stories, outlets, cpu = group_week(rows)
    print(f"{len(rows)} items -> {len(set(stories))} engine stories; "
          f"{cpu * 1000 / len(rows):.2f} ms CPU per item (grouping)")
    gate = StoriesConfig()
    labelled_report(rows, stories, outlets, gate, args.top)
    for topic_dir in args.topic:
        topic_report(rows, stories, outlets, gate, topic_dir, args.show)


if __name__ == "__main__":
    main()
