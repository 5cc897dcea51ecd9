"""Benchmark the classifier: articles per second on one core and p99 latency per article.

Not a test. Times are CPU time of this thread (time.thread_time_ns / process_time), not wall
time: the machine's cores are shared, and CPU time is what one core can sustain.

    .venv/bin/python bench/classify.py [--n 5000] [--stream ../shared/stream/2023-09-13.jsonl]

Rows: the default built-in topic on synthetic articles (a few thousand, about 5 % on topic,
a quarter with HTML summaries), the same on a real day of feed traffic when the stream file
exists, and a references-only topic (groups derived from the built-in briefs) for comparison.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from services.classifier.scorer import TopicScorer
from shared.config import AppConfig
from shared.topics import Refinements, ResolvedTopic, resolve_topics

DEFAULT_N = 5000
DEFAULT_STREAM = Path(__file__).resolve().parent.parent.parent / "shared" / "stream" / "2023-09-13.jsonl"
SEED = 13
ON_TOPIC_SHARE = 0.05
HTML_SHARE = 0.25

SUPPLIERS = ["Iran", "Tehran", "North Korea", "Pyongyang", "China", "Beijing", "the IRGC"]
RECIPIENTS = ["Russia", "Moscow", "the Kremlin", "Russian forces"]
ITEMS = [
    "Shahed drones", "ballistic missiles", "artillery shells", "KN-23 missiles",
    "machine tools", "drone engines", "microelectronics", "ammunition", "Fath-360 missiles",
]
VERBS = ["shipped", "delivered", "supplied", "sent", "sold", "transferred"]
SOURCES = ["US officials say", "Ukraine's intelligence says", "a report shows", "Seoul says"]
OFF_TOPIC_SUBJECTS = [
    "The central bank", "A Premier League club", "Researchers", "The city council", "Apple",
    "Hurricane Lee", "The Senate", "A startup", "Taiwan's coast guard", "Israel's army",
    "North Korea's space agency", "Ukrainian drones", "The Kremlin",
]
OFF_TOPIC_ACTIONS = [
    "raised interest rates", "signed a new striker", "found a fossil of an early snake",
    "approved the budget", "launched a new phone", "strengthened over the Atlantic",
    "passed a spending bill", "raised $40 million", "tracked Chinese ships",
    "struck targets in Gaza", "launched a satellite", "hit an airbase in Crimea",
    "denied the reports",
]
FILLER = (
    "The announcement came after weeks of talks. Officials declined to give further details. "
    "Analysts said the move could have consequences for markets and for the region."
)


def synthetic_articles(n: int, rng: random.Random) -> list[tuple[str, str]]:
    """Headline + summary pairs shaped like feed entries (lengths, HTML, share on topic)."""
    articles = []
    for _ in range(n):
        if rng.random() < ON_TOPIC_SHARE:
            supplier, verb = rng.choice(SUPPLIERS), rng.choice(VERBS)
            title = f"{supplier} {verb} {rng.choice(ITEMS)} to {rng.choice(RECIPIENTS)}"
            summary = f"{title}, {rng.choice(SOURCES)}, for the war in Ukraine. {FILLER}"
        else:
            title = f"{rng.choice(OFF_TOPIC_SUBJECTS)} {rng.choice(OFF_TOPIC_ACTIONS)}"
            summary = f"{title} on Wednesday. {FILLER[: rng.randint(60, len(FILLER))]}"
        if rng.random() < HTML_SHARE:
            summary = f'<p>{summary}</p><p><img src="x.jpg"/><a href="https://e.x/a">Read more</a></p>'
        articles.append((title, summary))
    return articles


def stream_articles(path: Path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return [(d.get("title") or "", d.get("summary") or "") for d in map(json.loads, handle)]


def measure(scorer: TopicScorer, articles: Sequence[tuple[str, str]]) -> dict[str, float]:
    for title, summary in articles[:50]:  # warm the stem cache as a running service would
        scorer.score(title, summary)
    latencies = []
    alerts = 0
    start = time.process_time()
    for title, summary in articles:
        t0 = time.thread_time_ns()
        result = scorer.score(title, summary)
        latencies.append(time.thread_time_ns() - t0)
        alerts += result.score >= scorer.topic.threshold
    elapsed = time.process_time() - start
    latencies.sort()
    return {
        "n": len(articles),
        "per_s": len(articles) / elapsed if elapsed else float("inf"),
        "p50_ms": latencies[len(latencies) // 2] / 1e6,
        "p99_ms": latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] / 1e6,
        "alerts": alerts,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=DEFAULT_N)
    parser.add_argument("--stream", type=Path, default=DEFAULT_STREAM)
    args = parser.parse_args()

    axis = next(t for t in resolve_topics(AppConfig()) if t.id == "axis")
    t0 = time.process_time()
    default = TopicScorer(axis)
    build_ms = (time.process_time() - t0) * 1000
    derived_topic: ResolvedTopic = replace(axis, id="axis-refs-only", refinements=Refinements())
    derived = TopicScorer(derived_topic)

    synthetic = synthetic_articles(args.n, random.Random(SEED))
    rows = [("default (axis), synthetic", measure(default, synthetic))]
    if args.stream.exists():
        rows.append((f"default (axis), {args.stream.name}", measure(default, stream_articles(args.stream))))
    rows.append(("references only, synthetic", measure(derived, synthetic)))

    header = (
        f"{'scorer, articles':<44} {'n':>6} {'art/s (CPU)':>12} {'p50 ms':>8} {'p99 ms':>8} {'alerts':>7}"
    )
    lines = [header, "-" * len(header)]
    for name, r in rows:
        lines.append(
            f"{name:<44} {r['n']:>6.0f} {r['per_s']:>12,.0f} {r['p50_ms']:>8.3f}"
            f" {r['p99_ms']:>8.3f} {r['alerts']:>7.0f}"
        )
    lines.append(f"(one core, CPU time; building the default scorer took {build_ms:.0f} ms CPU)")
    print("\n".join(lines))  # noqa: T201 - a benchmark's output is its table


if __name__ == "__main__":
    main()
