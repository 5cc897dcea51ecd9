"""Story grouping cost per article against windows of recent articles, plus corpus quality.

Run: .venv/bin/python bench/stories.py [--probes 300]
CPU time (time.process_time) is measured, not wall time: the machine's 2 cores are shared.
Background articles are synthetic (Zipf-distributed words from a made-up vocabulary, a quarter
of them in multi-outlet events, some wire copies) so the LSH and the TF-IDF index see a
realistic mix of near-duplicates and unrelated text.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.classifier.dedup_metrics import load_corpus, score_grouping  # noqa: E402
from services.classifier.stories import StoryArticle, StoryIndex, group  # noqa: E402

WINDOWS = (1_000, 5_000, 10_000, 20_000)
VOCABULARY = 30_000
START = datetime(2025, 3, 1, tzinfo=UTC)


class Synth:
    """Deterministic fake news: words drawn by Zipf rank, events re-told by several outlets."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.words = [f"w{i}" for i in range(VOCABULARY)]
        self.weights = [1.0 / (rank + 1) for rank in range(VOCABULARY)]
        self.events: list[list[str]] = []
        self.count = 0

    def _text(self, n: int, core: list[str] | None = None) -> str:
        words = self.rng.choices(self.words, self.weights, k=n)
        if core:
            words[: len(core) // 2] = self.rng.sample(core, len(core) // 2)
            self.rng.shuffle(words)
        return " ".join(words)

    def article(self, at: datetime) -> StoryArticle:
        self.count += 1
        core: list[str] | None = None
        roll = self.rng.random()
        if self.events and roll < 0.25:
            core = self.rng.choice(self.events[-200:])
        elif roll < 0.35:
            core = [f"e{self.count}x{i}" for i in range(16)]
            self.events.append(core)
        outlet = f"outlet{self.rng.randrange(200)}.example"
        return StoryArticle(
            key=self.count,
            outlet=outlet,
            url=f"https://{outlet}/news/{self.count}?utm_source=rss",
            title=self._text(10, core),
            summary=self._text(45, core),
            seen_at=at,
        )


def measure(window: int, probes: int) -> tuple[float, float]:
    """Mean and worst CPU ms of assign+add per article, with ``window`` articles in 72h."""
    synth = Synth()
    index = StoryIndex()
    step = timedelta(hours=72) / (window + probes)
    for i in range(window):
        index.add(synth.article(START + i * step), i)
    costs: list[float] = []
    for j in range(probes):
        article = synth.article(START + (window + j) * step)
        began = time.process_time()
        found = index.assign(article)
        index.add(article, found.story_id if found.story_id is not None else window + j)
        costs.append((time.process_time() - began) * 1000)
    return sum(costs) / len(costs), sorted(costs)[int(0.99 * (len(costs) - 1))]


def corpus_quality() -> None:
    items = load_corpus(ROOT / "tests" / "fixtures" / "stories" / "corpus.yaml")
    assigned = group([i.article for i in items])
    s = score_grouping(
        {i.article.key: i.event for i in items},
        {key: story for key, (story, _) in assigned.items()},
        [i.article.key for i in items],
    )
    print(f"corpus: {len(items)} articles, {s.events} events -> {s.stories} stories")
    print(f"  pairwise P/R/F1 {s.pair_precision:.3f} / {s.pair_recall:.3f} / {s.pair_f1:.3f}")
    print(f"  B-cubed  P/R/F1 {s.bcubed_precision:.3f} / {s.bcubed_recall:.3f} / {s.bcubed_f1:.3f}")
    print(f"  alerts per story {s.alerts_per_story:.2f}, events never alerted {s.missed_events}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probes", type=int, default=300)
    parser.add_argument("--windows", type=int, nargs="*", default=list(WINDOWS))
    args = parser.parse_args()
    corpus_quality()
    print(f"\n{'window':>8} {'mean ms/article':>16} {'p99 ms':>8}   (CPU time, assign+add)")
    for window in args.windows:
        mean, p99 = measure(window, args.probes)
        print(f"{window:>8} {mean:>16.2f} {p99:>8.2f}")


if __name__ == "__main__":
    main()
