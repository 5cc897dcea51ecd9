"""Estimate how the classifier will do on text it was not tuned on (not a test).

Four views, printed as tables:

1. the labelled dev file grouped by ``kind`` and by ``note`` (which failure class errs);
2. fragility: for each refinement term, drop it and count dev verdicts that flip. Items that
   hang on one term are the ones a held-out paraphrase breaks;
3. hand-written probes (``bench/axis_probes.py``): paraphrased transfer verbs, other weapon
   names, headline-only items, long HTML summaries, and distractor families (energy deals,
   Iran-China oil, Rosatom, unrelated sanctions, proxies, North Korean tests and hackers).
   ``check`` probes were never read while tuning, so their figures are the honest estimate;
4. leave-one-reference-out for a topic defined by references alone: how much the score
   depends on which reference documents the user happened to give.

    .venv/bin/python bench/classify_cv.py [--labels ../shared/eval/dev.jsonl]
        [--config PATH] [--topic axis] [--no-fragility] [--refs '../shared/seeds/*.txt']
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.axis_probes import probes  # noqa: E402
from services.classifier.scorer import TopicScorer  # noqa: E402
from shared.config import AppConfig, load_config  # noqa: E402
from shared.topics import Refinements, ResolvedTopic, TermGroup, load_references, resolve_topics  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LABELS = ROOT.parent / "shared" / "eval" / "dev.jsonl"


@dataclass(frozen=True)
class Item:
    group: str
    title: str
    summary: str
    label: int


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, label: int, predicted: bool) -> None:
        if label and predicted:
            self.tp += 1
        elif label:
            self.fn += 1
        elif predicted:
            self.fp += 1
        else:
            self.tn += 1

    def row(self) -> str:
        n = self.tp + self.fp + self.fn + self.tn
        precision = f"{self.tp / (self.tp + self.fp):.2f}" if self.tp + self.fp else "-"
        recall = f"{self.tp / (self.tp + self.fn):.2f}" if self.tp + self.fn else "-"
        return f"{n:>5} {self.tp:>4} {self.fp:>4} {self.fn:>4} {self.tn:>4} {precision:>6} {recall:>6}"


HEADER = f"{'':<46} {'n':>5} {'tp':>4} {'fp':>4} {'fn':>4} {'tn':>4} {'prec':>6} {'recall':>6}"


def read_dev(path: Path) -> list[tuple[Item, Item]]:
    """Each dev line as (kind-grouped, note-grouped) items."""
    import json

    out = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                d = json.loads(line)
                base = Item("", d.get("title") or "", d.get("summary") or "", int(d["label"]))
                out.append((replace(base, group=str(d.get("kind"))), replace(base, group=str(d.get("note")))))
    return out


def table(title: str, scorer: TopicScorer, items: Iterable[Item], show_errors: bool = False) -> Tally:
    tallies: dict[str, Tally] = defaultdict(Tally)
    total = Tally()
    errors: list[str] = []
    for item in items:
        result = scorer.score(item.title, item.summary)
        predicted = result.score >= scorer.topic.threshold
        tallies[item.group].add(item.label, predicted)
        total.add(item.label, predicted)
        if show_errors and predicted != bool(item.label):
            kind = "FP" if predicted else "FN"
            errors.append(f"  {kind} {result.score:.2f} [{item.group}] {item.title[:90]}")
    print(f"\n## {title}\n{HEADER}")
    for group in sorted(tallies):
        print(f"{group[:46]:<46} {tallies[group].row()}")
    print(f"{'ALL':<46} {total.row()}")
    for line in errors:
        print(line)
    return total


def fragility(topic: ResolvedTopic, items: Sequence[Item]) -> None:
    """Drop one refinement term at a time; report terms whose loss flips a dev verdict."""
    base = TopicScorer(topic)
    verdicts = [base.score(i.title, i.summary).score >= topic.threshold for i in items]
    flips: list[tuple[int, str, str]] = []
    hanging: set[int] = set()
    for group in topic.refinements.groups:
        for term in group.terms:
            reduced = tuple(
                TermGroup(g.name, g.label, tuple(t for t in g.terms if t != term) or ("\x00none",))
                if g.name == group.name
                else g
                for g in topic.refinements.groups
            )
            scorer = TopicScorer(replace(topic, refinements=replace(topic.refinements, groups=reduced)))
            lowered = term.lower()
            changed = 0
            for index, item in enumerate(items):
                if lowered.split()[0][:4] not in f"{item.title} {item.summary}".lower():
                    continue
                now = scorer.score(item.title, item.summary).score >= topic.threshold
                if now != verdicts[index]:
                    changed += 1
                    if item.label:
                        hanging.add(index)
            if changed:
                flips.append((changed, group.name, term))
    flips.sort(reverse=True)
    positives = sum(1 for i in items if i.label)
    print("\n## fragility: dev verdicts that flip when one term is dropped")
    print(f"positives hanging on a single term: {len(hanging)} of {positives}")
    for changed, group_name, dropped in flips[:25]:
        print(f"  {changed:>3} flips without {group_name}:{dropped!r}")


def leave_one_reference_out(pattern: str, base_dir: Path, items: Sequence[Item]) -> None:
    references = load_references([pattern], base_dir, "refs")
    print(f"\n## leave-one-reference-out, topic from {pattern} alone (no refinements)")
    print(f"{'left out':<46} {'n':>5} {'tp':>4} {'fp':>4} {'fn':>4} {'tn':>4} {'prec':>6} {'recall':>6}")
    for left_out in [None, *references]:
        kept = tuple(r for r in references if r is not left_out)
        topic = ResolvedTopic("refs", "refs", 0.5, kept, Refinements())
        scorer = TopicScorer(topic)
        tally = Tally()
        for item in items:
            tally.add(item.label, scorer.score(item.title, item.summary).score >= 0.5)
        name = "(none: all references)" if left_out is None else left_out.source
        print(f"{name[:46]:<46} {tally.row()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, default=DEFAULT_LABELS)
    parser.add_argument("--config", type=Path, default=None)
    parser.add_argument("--topic", default="axis")
    parser.add_argument("--no-fragility", action="store_true")
    parser.add_argument("--errors", action="store_true", help="list tune-split probe errors")
    parser.add_argument("--refs", default=None, help="glob of references for leave-one-out")
    args = parser.parse_args()

    config = load_config(args.config) if args.config else AppConfig()
    topic = next(t for t in resolve_topics(config) if t.id == args.topic)
    scorer = TopicScorer(topic)
    if args.labels.exists():
        dev = read_dev(args.labels)
        table("dev by kind", scorer, (k for k, _ in dev))
        table("dev by note (failure class)", scorer, (n for _, n in dev))
        if not args.no_fragility and not scorer.derived:
            fragility(topic, [k for k, _ in dev])
    all_probes = probes()
    for split in ("tune", "check"):
        chosen = [Item(p.family, p.title, p.summary, p.label) for p in all_probes if p.split == split]
        table(f"probes, {split} split", scorer, chosen, show_errors=args.errors and split == "tune")
    if args.refs and args.labels.exists():
        leave_one_reference_out(args.refs, Path.cwd(), [k for k, _ in read_dev(args.labels)])


if __name__ == "__main__":
    main()
